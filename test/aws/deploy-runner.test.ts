import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { deployerStatements, githubPullRequestTrust, PULUMI_CLI_VERSION, runnerBuildspec } from "../../infra/aws/deploy-spec";
import type { Plan } from "../../infra/plan/types";
import { ofType, planFor } from "../helpers/plan";

const AWS_STACKS = ["staging", "prod"] as const;
const ROOT = path.join(__dirname, "..", "..");
const byUrn = (plan: Plan) => new Map(plan.resources.map((r) => [r.urn, r]));

describe("the in-VPC deploy path", () => {
  it.each(AWS_STACKS)("runs preview and deploy as CodeBuild projects in the private subnets, behind a group without ingress (%s)", async (stack) => {
    const plan = await planFor(stack);
    const projects = ofType(plan, "aws:codebuild/project:Project");
    expect(projects.map((p) => p.inputs.name).sort()).toEqual([`tm-${stack}-deploy`, `tm-${stack}-preview`]);
    const privateSubnets = ofType(plan, "aws:ec2/subnet:Subnet").filter((s) => String((s.inputs.tags as Record<string, string>).Name).includes("-private-"));
    const resources = byUrn(plan);
    for (const p of projects) {
      for (const s of privateSubnets) expect(p.dependencies, String(p.inputs.name)).toContain(s.urn);
      const sg = p.dependencies.map((u) => resources.get(u)!).find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup")!;
      expect(sg.inputs.ingress ?? []).toEqual([]);
      expect(sg.inputs.egress).toEqual([expect.objectContaining({ fromPort: 443, toPort: 443 })]);
      const env = p.inputs.environment as { environmentVariables: Array<{ name: string; type: string }> };
      expect(env.environmentVariables.find((v) => v.name === "PULUMI_ACCESS_TOKEN")!.type).toBe("SECRETS_MANAGER");
      const logs = p.inputs.logsConfig as { cloudwatchLogs: { groupName: string } };
      const group = ofType(plan, "aws:cloudwatch/logGroup:LogGroup").find((g) => p.dependencies.includes(g.urn))!;
      expect(group.inputs.kmsKeyId).toBeDefined();
      expect(logs.cloudwatchLogs.groupName).toBe(group.inputs.name);
    }
    // The EKS API admits the runners; MSK's IAM port is reachable from them.
    const ingress = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").find((r) => r.name === "deploy-eks-from-runner")!;
    expect(ingress.inputs).toMatchObject({ fromPort: 443, toPort: 443 });
    expect(ofType(plan, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").find((r) => r.name === "deploy-runner-to-msk")!.inputs).toMatchObject({ fromPort: 9098, toPort: 9098 });
    // Both roles are EKS cluster admins through access entries (never the node role).
    const assoc = ofType(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
    expect(assoc).toHaveLength(2);
    // Only the deploy role is the MSK admin.
    const kafkaAdmin = ofType(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.endsWith("-kafka-admin"));
    expect(kafkaAdmin.map((a) => a.name)).toEqual(["deploy-deploy-kafka-admin"]);
  });

  it("installs the Pulumi CLI of the locked SDK and runs the policy pack", () => {
    const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string };
    expect(PULUMI_CLI_VERSION).toBe(sdk.version);
    const spec = yaml.load(runnerBuildspec("preview", "prod")) as { phases: { install: { commands: string[] }; build: { commands: string[] } } };
    expect(spec.phases.install.commands[0]).toContain(`--version ${PULUMI_CLI_VERSION}`);
    expect(spec.phases.build.commands[0]).toMatch(/pulumi preview .*--policy-pack policies --policy-pack-config policies\/config\/prod\.json/);
    expect(fs.existsSync(path.join(ROOT, "policies", "config", "prod.json"))).toBe(true);
    expect((yaml.load(runnerBuildspec("deploy", "prod")) as { phases: { build: { commands: string[] } } }).phases.build.commands[0]).toMatch(/pulumi up .*--yes/);
  });

  it("lets only this repository's pull requests assume the preview starter, and the deploy role never mints human credentials", () => {
    const trust = githubPullRequestTrust("arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com", "https://github.com/trademaster/platform.git") as { Statement: Array<{ Condition: { StringEquals: Record<string, string> } }> };
    expect(trust.Statement[0].Condition.StringEquals).toEqual({ "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:trademaster/platform:pull_request" });
    const deny = deployerStatements().filter((s) => s.Effect === "Deny").flatMap((s) => s.Action as string[]);
    expect(deny).toEqual(expect.arrayContaining(["iam:CreateUser", "iam:CreateAccessKey", "cloudtrail:StopLogging"]));
    const allow = deployerStatements().find((s) => s.Effect === "Allow")!.Action as string[];
    expect(allow).not.toContain("*");
    expect(allow.every((a) => /^[a-z0-9]+:\*$/.test(a))).toBe(true);
  });

  it("the PR workflow's real preview starts the stack's in-VPC project instead of running on the hosted runner", () => {
    const wf = yaml.load(fs.readFileSync(path.join(ROOT, ".github", "workflows", "platform-pr.yml"), "utf8")) as { jobs: Record<string, { steps: Array<{ run?: string; env?: Record<string, string>; uses?: string }> }> };
    const steps = wf.jobs.preview.steps;
    expect(steps.some((s) => s.run?.includes("aws codebuild start-build"))).toBe(true);
    expect(steps.find((s) => s.env?.PROJECT)!.env!.PROJECT).toBe("tm-${{ matrix.stack }}-preview");
    expect(steps.some((s) => s.run?.includes("pulumi preview") || s.uses?.startsWith("pulumi/actions"))).toBe(false);
  });
});

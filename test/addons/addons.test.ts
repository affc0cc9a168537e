import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLUSTER_ADDONS } from "../../infra/addons";
import { DEFAULT_STORAGE_CLASS, EBS_CSI_PROVISIONER } from "../../infra/addons/aws-ebs-csi-driver";
import { clusterAutoscalerPolicy } from "../../infra/addons/cluster-autoscaler";
import { CHARTS_DIR, loadChartSpec } from "../../infra/charts/pinned";
import type { Plan, PlanResource } from "../../infra/plan/types";
import { kubeOfKind, ofType, planFor } from "../helpers/plan";
import { stackConfig } from "../mesh/stack";

const AWS_STACKS = ["staging", "prod"] as const;
type Values = Record<string, unknown>;
const at = (v: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((o, k) => (o as Values | undefined)?.[k], v);
const byUrn = (plan: Plan) => new Map(plan.resources.map((r) => [r.urn, r]));
const chartOf = (plan: Plan, chart: string) => ofType(plan, "kubernetes:helm.sh/v4:Chart").find((c) => c.name === `addons-${chart}`)!;
/** The ServiceAccount name each chart creates, read from its merged values (the chart's own keys). */
const SERVICE_ACCOUNT_PATH: Record<string, string[]> = {
  "aws-ebs-csi-driver": ["controller", "serviceAccount", "name"],
  "cluster-autoscaler": ["rbac", "serviceAccount", "name"],
};

describe("the add-on pattern", () => {
  it("every add-on has its folder under infra/addons and a pinned chart under charts/", () => {
    for (const a of CLUSTER_ADDONS) {
      expect(fs.existsSync(path.join(__dirname, "..", "..", "infra", "addons", a.chart, "index.ts")), a.chart).toBe(true);
      const spec = loadChartSpec(a.chart, "prod");
      expect(spec.version, a.chart).toMatch(/^\d+\.\d+\.\d+$/);
      expect(spec.repository, a.chart).toMatch(/^https:\/\//);
      expect(fs.existsSync(path.join(CHARTS_DIR, a.chart, "values.yaml")), a.chart).toBe(true);
    }
  });

  it("is absent on local (no EKS)", async () => {
    const plan = await planFor("local");
    expect(ofType(plan, "trademaster:addons:ClusterAddons")).toHaveLength(0);
  });

  it.each(AWS_STACKS)("gives every add-on with AWS access a role of its own through EKS Pod Identity, bound to the chart's ServiceAccount (%s)", async (stack) => {
    const plan = await planFor(stack);
    const resources = byUrn(plan);
    const [agent] = ofType(plan, "aws:eks/addon:Addon").filter((a) => a.inputs.addonName === "eks-pod-identity-agent");
    expect(agent).toBeDefined();
    const associations = ofType(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation");
    for (const a of CLUSTER_ADDONS) {
      const chart = chartOf(plan, a.chart);
      expect(chart.dependencies, a.chart).toContain(agent.urn);
      if (!a.identity) continue;
      const assoc = associations.find((x) => x.name === `addons-${a.chart}`)!;
      expect(chart.dependencies, a.chart).toContain(assoc.urn);
      expect(assoc.inputs.namespace).toBe(chart.inputs.namespace);
      expect(assoc.inputs.serviceAccount).toBe(at(chart.inputs.values, ...SERVICE_ACCOUNT_PATH[a.chart]));
      const role = assoc.dependencies.map((u) => resources.get(u)).find((r): r is PlanResource => r?.type === "aws:iam/role:Role")!;
      const trust = JSON.parse(role.inputs.assumeRolePolicy as string) as { Statement: Array<{ Principal: unknown; Action: string[] }> };
      expect(trust.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }]);
    }
  });

  it.each(AWS_STACKS)("leaves the EBS CSI policy off the node role (%s)", async (stack) => {
    const plan = await planFor(stack);
    const nodeRole = ofType(plan, "aws:iam/role:Role").find((r) => r.name === "aws-eks-node")!;
    const attached = ofType(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.dependencies.includes(nodeRole.urn));
    expect(attached.map((a) => a.inputs.policyArn)).not.toContainEqual(expect.stringMatching(/EBSCSI/));
    expect(attached.length).toBe(4);
  });
});

describe("EBS CSI and the default StorageClass", () => {
  it.each(AWS_STACKS)("declares exactly one default StorageClass: gp3, encrypted with the stack's ebs key, zone-aware binding (%s)", async (stack) => {
    const plan = await planFor(stack);
    const classes = kubeOfKind(plan, "StorageClass");
    const defaults = classes.filter((c) => (c.inputs.metadata as { annotations?: Record<string, string> }).annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
    expect(defaults.map((c) => c.inputs.metadata.name)).toEqual([DEFAULT_STORAGE_CLASS]);
    const sc = defaults[0].inputs;
    expect(sc.provisioner).toBe(EBS_CSI_PROVISIONER);
    expect(sc.parameters).toMatchObject({ type: "gp3", encrypted: "true" });
    expect(sc.volumeBindingMode).toBe("WaitForFirstConsumer");
    expect(sc.allowVolumeExpansion).toBe(true);
    const ebsKey = ofType(plan, "aws:kms/key:Key").find((k) => (k.inputs.tags as Record<string, string>)["trademaster:data-domain"] === "ebs")!;
    expect(ebsKey.inputs.enableKeyRotation).toBe(true);
    expect(defaults[0].dependencies).toContain(ebsKey.urn);
    expect(defaults[0].dependencies).toContain(chartOf(plan, "aws-ebs-csi-driver").urn);
    // The chart itself declares no StorageClass (one source of truth, visible in the plan).
    expect(at(chartOf(plan, "aws-ebs-csi-driver").inputs.values, "storageClasses")).toEqual([]);
    expect(at(chartOf(plan, "aws-ebs-csi-driver").inputs.values, "controller", "region")).toBe(stackConfig(stack).aws!.region);
  });

  it.each(AWS_STACKS)("lets the CSI role use the ebs key for AWS resources only (%s)", async (stack) => {
    const plan = await planFor(stack);
    const policy = ofType(plan, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "addons-aws-ebs-csi-driver")!;
    const ebsKey = ofType(plan, "aws:kms/key:Key").find((k) => (k.inputs.tags as Record<string, string>)["trademaster:data-domain"] === "ebs")!;
    expect(policy.dependencies).toContain(ebsKey.urn);
  });
});

describe("autoscaling", () => {
  it.each(AWS_STACKS)("runs metrics-server highly available for the HPAs (%s)", async (stack) => {
    const plan = await planFor(stack);
    const values = chartOf(plan, "metrics-server").inputs.values;
    expect(at(values, "replicas")).toBeGreaterThanOrEqual(2);
    expect(at(values, "podDisruptionBudget", "enabled")).toBe(true);
    expect(ofType(plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length).toBeGreaterThan(0);
  });

  it.each(AWS_STACKS)("runs a cluster-autoscaler of the cluster's minor that discovers this cluster's node groups (%s)", async (stack) => {
    const plan = await planFor(stack);
    const { aws } = stackConfig(stack);
    const values = chartOf(plan, "cluster-autoscaler").inputs.values;
    expect(at(values, "image", "tag")).toMatch(new RegExp(`^v${aws!.eks.version.replace(".", "\\.")}\\.\\d+$`));
    expect(at(values, "autoDiscovery", "clusterName")).toBe(`tm-${stack}`);
    expect(at(values, "awsRegion")).toBe(aws!.region);
    for (const g of ofType(plan, "aws:eks/nodeGroup:NodeGroup")) {
      const s = g.inputs.scalingConfig as { minSize: number; maxSize: number };
      expect(s.maxSize, g.name).toBeGreaterThan(s.minSize);
    }
  });

  it("may scale only groups tagged as this cluster's", () => {
    const p = clusterAutoscalerPolicy({ clusterName: "tm-prod" }) as { Statement: Array<{ Action: string[]; Condition?: unknown }> };
    const scaling = p.Statement.find((s) => s.Action.includes("autoscaling:SetDesiredCapacity"))!;
    expect(scaling.Action.sort()).toEqual(["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]);
    expect(scaling.Condition).toEqual({ StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/tm-prod": "owned" } });
    for (const s of p.Statement.filter((x) => x !== scaling)) expect(s.Action.every((a) => /:(Describe|Get)/.test(a))).toBe(true);
  });
});

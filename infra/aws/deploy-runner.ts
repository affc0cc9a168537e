/**
 * The deploy path inside the VPC. The EKS API endpoint (private-only in prod) and MSK (data
 * subnets) are unreachable from hosted CI runners, while the Kubernetes and `@pulumi/kafka`
 * providers must reach both. Two CodeBuild projects run in the private subnets:
 * - `<prefix>-preview`: `pulumi preview --policy-pack`, started by the PR workflow through a role
 *   GitHub Actions assumes with OIDC (this repository's pull requests only; it may start this
 *   project and read its logs, nothing else). Its role reads AWS (ReadOnlyAccess), describes MSK
 *   topics and ACLs over SASL/IAM, and reads the Pulumi token;
 * - `<prefix>-deploy`: `pulumi up --policy-pack`, started by an operator. Its role may call only
 *   the AWS services the program manages, never create IAM users or keys, never stop the trail;
 *   it is the MSK admin (topics and ACLs, see infra/data/kafka.ts).
 * Both are cluster admins through EKS access entries (server-side dry-run applies need the same
 * rights as the apply). Their security group has no ingress; egress is HTTPS (Pulumi Cloud, npm,
 * GitHub, AWS APIs through the NAT; the EKS endpoint) and 9098 (MSK SASL/IAM) only. The EKS
 * cluster security group admits 443 from it. Builds log to a KMS-encrypted log group.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AwsConfig } from "../config/schema";
import type { AwsFoundation } from "./index";
import {
  CODEBUILD_IMAGE,
  codeBuildTrust,
  deployerStatements,
  GITHUB_OIDC,
  githubPullRequestTrust,
  kafkaDescribeStatements,
  runnerBaseStatements,
  runnerBuildspec,
  type RunnerMode,
} from "./deploy-spec";

export interface DeployRunnerArgs {
  stack: string;
  aws: AwsConfig;
  foundation: Pick<AwsFoundation, "prefix" | "vpcId" | "privateSubnetIds" | "clusterSecurityGroupId" | "cluster" | "kmsKeys" | "dataSecurityGroupIds">;
  /** ARN of the MSK cluster (describe rights for the preview). */
  kafkaClusterArn: pulumi.Input<string>;
  /** IAM policy of the MSK admin, attached to the deploy role. */
  kafkaAdminPolicy: aws.iam.Policy;
  tags: Record<string, string>;
  /** Pulumi `protect` of the stateful resources (the token secret). */
  protect: boolean;
}

export class DeployRunner extends pulumi.ComponentResource {
  /** CodeBuild project per mode. */
  readonly projects: Record<RunnerMode, aws.codebuild.Project>;
  /** Role the PR workflow assumes (GitHub OIDC) to start the preview project. */
  readonly githubPreviewRoleArn: pulumi.Output<string>;
  /** Secret holding the Pulumi access token (value set by an operator, never by the program). */
  readonly pulumiTokenSecretArn: pulumi.Output<string>;

  constructor(name: string, args: DeployRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:aws:DeployRunner", name, {}, opts);
    const { foundation: f, tags } = args;
    const { accountId, region } = args.aws;
    const child: pulumi.CustomResourceOptions = { parent: this };
    const prefix = f.prefix;

    const sg = new aws.ec2.SecurityGroup(
      `${name}-runner`,
      {
        vpcId: f.vpcId,
        description: "TradeMaster deploy runners (CodeBuild): no ingress",
        egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS: Pulumi Cloud, npm, GitHub, AWS APIs, EKS endpoint" }],
        tags: { ...tags, Name: `${prefix}-deploy-runner` },
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-runner-to-msk`,
      { securityGroupId: sg.id, referencedSecurityGroupId: f.dataSecurityGroupIds.kafka, ipProtocol: "tcp", fromPort: 9098, toPort: 9098, description: "MSK SASL/IAM (platform admin)" },
      child,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-eks-from-runner`,
      { securityGroupId: f.clusterSecurityGroupId, referencedSecurityGroupId: sg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "Deploy runners to the EKS API" },
      child,
    );

    const token = new aws.secretsmanager.Secret(
      `${name}-pulumi-token`,
      { name: `${prefix}/deploy/pulumi-access-token`, description: "Pulumi Cloud access token of the deploy runners (set by an operator)", kmsKeyId: f.kmsKeys.secrets.arn, recoveryWindowInDays: 30, tags },
      { parent: this, protect: args.protect },
    );
    this.pulumiTokenSecretArn = token.arn;
    const subnetArns = pulumi.all(f.privateSubnetIds).apply((ids) => ids.map((id) => `arn:aws:ec2:${region}:${accountId}:subnet/${id}`));

    const project = (mode: RunnerMode): aws.codebuild.Project => {
      const id = `${name}-${mode}`;
      const logs = new aws.cloudwatch.LogGroup(id, { name: `/trademaster/${args.stack}/deploy/${mode}`, retentionInDays: 365, kmsKeyId: f.kmsKeys.logs.arn, tags }, child);
      const role = new aws.iam.Role(id, { description: `TradeMaster ${args.stack} ${mode} runner (CodeBuild)`, assumeRolePolicy: JSON.stringify(codeBuildTrust(accountId)), tags }, child);
      const base = pulumi
        .all([logs.arn, token.arn, f.kmsKeys.secrets.arn, subnetArns, args.kafkaClusterArn])
        .apply(([logGroupArn, tokenSecretArn, secretsKeyArn, subnets, kafkaArn]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              ...runnerBaseStatements({ accountId, region, logGroupArn, tokenSecretArn, secretsKeyArn, subnetArns: subnets }),
              ...kafkaDescribeStatements(kafkaArn),
              ...(mode === "deploy" ? deployerStatements() : []),
            ],
          }),
        );
      const policies: pulumi.Resource[] = [new aws.iam.RolePolicy(id, { role: role.id, policy: base }, child)];
      policies.push(new aws.iam.RolePolicyAttachment(`${id}-read-only`, { role: role.name, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }, child));
      if (mode === "deploy") policies.push(new aws.iam.RolePolicyAttachment(`${id}-kafka-admin`, { role: role.name, policyArn: args.kafkaAdminPolicy.arn }, child));
      const entry = new aws.eks.AccessEntry(id, { clusterName: f.cluster.name, principalArn: role.arn, type: "STANDARD", tags }, child);
      new aws.eks.AccessPolicyAssociation(
        id,
        { clusterName: f.cluster.name, principalArn: role.arn, policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" } },
        { ...child, dependsOn: [entry] },
      );
      return new aws.codebuild.Project(
        id,
        {
          name: `${prefix}-${mode}`,
          description: `TradeMaster ${args.stack}: pulumi ${mode === "preview" ? "preview" : "up"} with the policy pack, inside the VPC`,
          serviceRole: role.arn,
          buildTimeout: mode === "deploy" ? 240 : 60,
          queuedTimeout: 60,
          concurrentBuildLimit: 1,
          encryptionKey: f.kmsKeys.storage.arn,
          source: { type: "GITHUB", location: args.aws.deploy.repository, gitCloneDepth: 1, buildspec: runnerBuildspec(mode, args.stack), reportBuildStatus: mode === "preview" },
          artifacts: { type: "NO_ARTIFACTS" },
          environment: {
            type: "LINUX_CONTAINER",
            computeType: "BUILD_GENERAL1_MEDIUM",
            image: CODEBUILD_IMAGE,
            imagePullCredentialsType: "CODEBUILD",
            environmentVariables: [
              { name: "PULUMI_STACK", value: `${args.aws.deploy.pulumiOrg}/${args.stack}`, type: "PLAINTEXT" },
              { name: "PULUMI_ACCESS_TOKEN", value: token.name, type: "SECRETS_MANAGER" },
            ],
          },
          vpcConfig: { vpcId: f.vpcId, subnets: f.privateSubnetIds, securityGroupIds: [sg.id] },
          logsConfig: { cloudwatchLogs: { status: "ENABLED", groupName: logs.name } },
          tags,
        },
        { ...child, dependsOn: policies },
      );
    };
    this.projects = { preview: project("preview"), deploy: project("deploy") };

    // GitHub Actions (OIDC): this repository's pull requests may start the preview and read its logs.
    const oidc = new aws.iam.OpenIdConnectProvider(`${name}-github`, { url: GITHUB_OIDC.url, clientIdLists: [GITHUB_OIDC.audience], tags }, child);
    const ghRole = new aws.iam.Role(
      `${name}-github-preview`,
      { description: "GitHub Actions (pull requests): start the in-VPC preview", assumeRolePolicy: oidc.arn.apply((arn) => JSON.stringify(githubPullRequestTrust(arn, args.aws.deploy.repository))), maxSessionDuration: 3600, tags },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-github-preview`,
      {
        role: ghRole.id,
        policy: pulumi.all([this.projects.preview.arn]).apply(([projectArn]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "StartPreview", Effect: "Allow", Action: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], Resource: projectArn },
              { Sid: "ReadPreviewLogs", Effect: "Allow", Action: ["logs:GetLogEvents", "logs:FilterLogEvents"], Resource: `arn:aws:logs:${region}:${accountId}:log-group:/trademaster/${args.stack}/deploy/preview:*` },
            ],
          }),
        ),
      },
      child,
    );
    this.githubPreviewRoleArn = ghRole.arn;
    this.registerOutputs({ previewProject: this.projects.preview.name, deployProject: this.projects.deploy.name, githubPreviewRoleArn: this.githubPreviewRoleArn });
  }
}

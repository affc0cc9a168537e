/**
 * Pure pieces of the in-VPC deploy path (infra/aws/deploy-runner.ts): buildspecs, trust policies
 * and the IAM statements of the preview and deploy roles. No resources here.
 */
import * as yaml from "js-yaml";

/** Pulumi CLI the runners install: the version of the @pulumi/pulumi SDK this program locks. */
export const PULUMI_CLI_VERSION = "3.276.0";
/** CodeBuild image (Amazon Linux 2023 standard 5.0: Node.js 20 and 22 runtimes). */
export const CODEBUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0";
/** GitHub's OIDC issuer (Actions) and the audience AWS expects. */
export const GITHUB_OIDC = { url: "https://token.actions.githubusercontent.com", host: "token.actions.githubusercontent.com", audience: "sts.amazonaws.com" } as const;

export type RunnerMode = "preview" | "deploy";

/** Buildspec of a runner: install the pinned CLI, `npm ci`, then preview (or up) with the policy pack. */
export function runnerBuildspec(mode: RunnerMode, stack: string): string {
  const pulumi = "$HOME/.pulumi/bin/pulumi";
  const policy = `--policy-pack policies --policy-pack-config policies/config/${stack}.json`;
  const run =
    mode === "preview"
      ? `${pulumi} preview --stack "$PULUMI_STACK" --diff --non-interactive ${policy}`
      : `${pulumi} up --stack "$PULUMI_STACK" --yes --non-interactive ${policy}`;
  return yaml.dump({
    version: 0.2,
    env: { shell: "bash" },
    phases: {
      install: {
        "runtime-versions": { nodejs: 20 },
        commands: [`curl -fsSL https://get.pulumi.com | sh -s -- --version ${PULUMI_CLI_VERSION}`, "npm ci"],
      },
      build: { commands: [run] },
    },
  });
}

/** Trust policy of a CodeBuild service role, for projects of this account only. */
export function codeBuildTrust(accountId: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "codebuild.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": accountId } } }],
  };
}

/** Trust policy of the role GitHub Actions assumes: this repository's pull-request workflows only. */
export function githubPullRequestTrust(oidcProviderArn: string, repository: string): Record<string, unknown> {
  const slug = repository.replace(/^https:\/\/github\.com\//, "").replace(/\.git$/, "");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${GITHUB_OIDC.host}:aud`]: GITHUB_OIDC.audience, [`${GITHUB_OIDC.host}:sub`]: `repo:${slug}:pull_request` } },
      },
    ],
  };
}

/** What a CodeBuild project in a VPC needs to run: its ENIs and its own log group (CodeBuild user guide, "Use CodeBuild with Amazon VPC"). */
export function runnerBaseStatements(args: { accountId: string; region: string; logGroupArn: string; tokenSecretArn: string; secretsKeyArn: string; subnetArns: string[] }): Array<Record<string, unknown>> {
  return [
    { Sid: "OwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${args.logGroupArn}:*` },
    { Sid: "PulumiToken", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: args.tokenSecretArn },
    { Sid: "PulumiTokenKey", Effect: "Allow", Action: "kms:Decrypt", Resource: args.secretsKeyArn, Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${args.region}.amazonaws.com` } } },
    {
      Sid: "VpcEnis",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"],
      Resource: "*",
    },
    {
      Sid: "VpcEniPermission",
      Effect: "Allow",
      Action: "ec2:CreateNetworkInterfacePermission",
      Resource: `arn:aws:ec2:${args.region}:${args.accountId}:network-interface/*`,
      Condition: { StringEquals: { "ec2:AuthorizedService": "codebuild.amazonaws.com" }, ArnEquals: { "ec2:Subnet": args.subnetArns } },
    },
  ];
}

/** Read-only MSK data-plane-free access the preview needs to diff topics and ACLs over SASL/IAM. */
export function kafkaDescribeStatements(clusterArn: string): Array<Record<string, unknown>> {
  return [
    { Sid: "KafkaDescribeCluster", Effect: "Allow", Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:DescribeClusterDynamicConfiguration"], Resource: clusterArn },
    { Sid: "KafkaDescribeTopics", Effect: "Allow", Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:DescribeTopicDynamicConfiguration"], Resource: `${clusterArn.replace(":cluster/", ":topic/")}/*` },
  ];
}

/**
 * AWS services the program manages: the deploy role may call these and nothing else (an allow list
 * by service; Pulumi auto-names most resources, so ARNs cannot be narrowed further ahead of time).
 */
export const DEPLOYED_SERVICES = [
  "acm", "autoscaling", "cloudfront", "cloudtrail", "codebuild", "ec2", "ecr", "eks", "elasticache", "elasticloadbalancing",
  "guardduty", "iam", "kafka", "kms", "logs", "rds", "route53", "s3", "secretsmanager", "wafv2", "inspector2",
] as const;

/** The deploy role's policy: the services above, minus what a deployment never does. */
export function deployerStatements(): Array<Record<string, unknown>> {
  return [
    { Sid: "ManagePlatformServices", Effect: "Allow", Action: DEPLOYED_SERVICES.map((s) => `${s}:*`), Resource: "*" },
    {
      Sid: "NoHumanCredentials",
      Effect: "Deny",
      Action: ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:AttachUserPolicy", "iam:PutUserPolicy"],
      Resource: "*",
    },
    { Sid: "AuditTrailStaysOn", Effect: "Deny", Action: ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector"], Resource: "*" },
  ];
}

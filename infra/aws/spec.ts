/**
 * Pure decisions of the AWS foundation: address plan, KMS domains, EKS settings, kubeconfig and
 * the timeouts of long creations. No resources here, so tests need no engine.
 */
import type { AwsConfig } from "../config/schema";

/** Prefix of every AWS name of a stack (cluster, buckets, repositories, secrets). */
export function awsPrefix(stack: string): string {
  return `tm-${stack}`;
}

/**
 * Data domains that get their own KMS key (rotated yearly): a key compromise or a grant mistake
 * stays inside one domain, and key policies/grants can be audited per store.
 */
export const KMS_DOMAINS = ["eks", "ebs", "kafka", "redis", "postgres", "secrets", "storage", "logs"] as const;
export type KmsDomain = (typeof KMS_DOMAINS)[number];
/** Waiting period before a scheduled key deletion: the longest AWS allows, to undo a mistake. */
export const KMS_DELETION_WINDOW_DAYS = 30;

/** MSK open-monitoring ports on every broker (MSK "Open monitoring with Prometheus"). */
export const MSK_OPEN_MONITORING_PORTS = { jmx: 11001, node: 11002 } as const;

/** All control-plane log types EKS can ship to CloudWatch. */
export const EKS_CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/** Node label the bulkhead scheduling of critical services selects on. */
export const WORKLOAD_CLASS_LABEL = "workload-class";

/**
 * Create/update/delete timeouts of the long creations. The defaults of the provider are close to
 * the typical times, so a slow region would fail a first deploy; these leave headroom.
 */
export const LONG_TIMEOUTS = {
  eksCluster: { create: "45m", update: "60m", delete: "30m" },
  eksNodeGroup: { create: "60m", update: "60m", delete: "60m" },
  msk: { create: "120m", update: "120m", delete: "60m" },
  rds: { create: "90m", update: "120m", delete: "60m" },
  elasticache: { create: "90m", update: "90m", delete: "60m" },
  rdsProxy: { create: "45m", update: "45m", delete: "45m" },
  natGateway: { create: "15m", update: "15m", delete: "30m" },
} as const;

export interface SubnetPlan {
  zone: string;
  cidr: string;
}

export interface NetworkPlan {
  /** Load balancers and NAT gateways only. */
  public: SubnetPlan[];
  /** EKS nodes and pods (VPC CNI gives pods VPC addresses: the largest ranges). */
  private: SubnetPlan[];
  /** Data stores (MSK, RDS, ElastiCache): no route to the internet at all. */
  data: SubnetPlan[];
}

function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** The `index`-th subnet of prefix length `newPrefix` inside `cidr`. */
export function subnetCidr(cidr: string, newPrefix: number, index: number): string {
  const [ip, prefixText] = cidr.split("/");
  const prefix = Number(prefixText);
  if (newPrefix < prefix || newPrefix > 28) throw new Error(`cannot carve /${newPrefix} subnets out of ${cidr}`);
  const count = 2 ** (newPrefix - prefix);
  if (index < 0 || index >= count) throw new Error(`${cidr} holds only ${count} /${newPrefix} subnets (asked for #${index})`);
  const base = ipToInt(ip) - (ipToInt(ip) % 2 ** (32 - prefix));
  return `${intToIp(base + index * 2 ** (32 - newPrefix))}/${newPrefix}`;
}

/**
 * Address plan: the VPC is cut in 8 equal blocks; blocks 0-2 are the private (node) subnets, one
 * per zone; block 3 is cut in 4 for the data subnets and block 4 in 4 for the public ones.
 * A /16 gives /19 node subnets (8k addresses each), /21 data and public subnets.
 */
export function networkPlan(aws: Pick<AwsConfig, "vpcCidr" | "availabilityZones">): NetworkPlan {
  const prefix = Number(aws.vpcCidr.split("/")[1]);
  const zones = aws.availabilityZones;
  if (zones.length > 3) throw new Error(`the address plan holds 3 zones, got ${zones.length}`);
  const block = prefix + 3;
  const quarter = block + 2;
  const within = (blockIndex: number, i: number) => subnetCidr(subnetCidr(aws.vpcCidr, block, blockIndex), quarter, i);
  return {
    private: zones.map((zone, i) => ({ zone, cidr: subnetCidr(aws.vpcCidr, block, i) })),
    data: zones.map((zone, i) => ({ zone, cidr: within(3, i) })),
    public: zones.map((zone, i) => ({ zone, cidr: within(4, i) })),
  };
}

/** Managed node group AMI: Graviton families (m7g, c7g, r8g, ...) run ARM64. */
export function amiTypeFor(instanceTypes: string[]): "AL2023_ARM_64_STANDARD" | "AL2023_x86_64_STANDARD" {
  const arm = instanceTypes.map((t) => /^[a-z]+\d+g[a-z]*\./.test(t));
  if (arm.some((a) => a !== arm[0])) throw new Error(`node group mixes ARM and x86 instance types: ${instanceTypes.join(", ")}`);
  return arm[0] ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

/** Node labels of a managed node group. */
export function nodeGroupLabels(group: AwsConfig["eks"]["nodeGroups"][number]): Record<string, string> {
  return { [WORKLOAD_CLASS_LABEL]: group.workloadClass, "trademaster.io/node-group": group.name };
}

/** Endpoint access of the EKS API: private always; public only for the listed CIDRs. */
export function eksEndpointAccess(aws: Pick<AwsConfig, "eks">): { endpointPrivateAccess: true; endpointPublicAccess: boolean; publicAccessCidrs?: string[] } {
  const cidrs = aws.eks.publicAccessCidrs;
  if (cidrs.includes("0.0.0.0/0")) throw new Error("the EKS endpoint must not be open to the world (0.0.0.0/0)");
  return cidrs.length > 0 ? { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: [...cidrs] } : { endpointPrivateAccess: true, endpointPublicAccess: false };
}

/**
 * Kubeconfig of the EKS cluster. Authentication is `aws eks get-token` at use time, so the
 * document holds no credential.
 */
export function kubeconfig(args: { clusterName: string; endpoint: string; certificateAuthority: string; region: string }): string {
  const name = args.clusterName;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: args.endpoint, "certificate-authority-data": args.certificateAuthority } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", name, "--region", args.region, "--output", "json"],
          },
        },
      },
    ],
  });
}

/** Lifecycle rules of the backups and logs buckets (days). */
export const BUCKET_RETENTION = {
  "access-logs": { expireDays: 400, noncurrentVersionDays: 30, abortMultipartDays: 7 },
  backups: { noncurrentVersionDays: 90, abortMultipartDays: 7 },
  logs: { expireDays: 400, noncurrentVersionDays: 30, abortMultipartDays: 7 },
} as const;

/** The URL ECR gives a repository: `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
export function ecrRepositoryUrl(accountId: string, region: string, name: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com/${name}`;
}

/** Bucket policy statement refusing every request not made over TLS (encryption in transit). */
export function denyInsecureTransport(bucketArn: string): Record<string, unknown> {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * Key prefixes of the access-log bucket, one per writer, so each bucket-policy grant covers only
 * its own writer's objects.
 */
export const ACCESS_LOG_PREFIXES = {
  /** S3 server access logs: `s3/<bucket>/`. */
  s3: "s3/",
  /** ALB access logs (`<prefix>/AWSLogs/<account>/elasticloadbalancing/...`). */
  alb: "alb",
} as const;

/**
 * Accounts through which Elastic Load Balancing writes access logs in the Regions opened before
 * August 2022 (ALB user guide, "Enable access logs", step 2). Newer Regions accept only the
 * `logdelivery.elasticloadbalancing.amazonaws.com` service principal.
 */
export const ELB_LOG_DELIVERY_ACCOUNTS: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "af-south-1": "098369216593",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-south-1": "635631232127",
  "eu-west-3": "009996457667",
  "eu-north-1": "897822967062",
  "ap-east-1": "754344448648",
  "ap-northeast-1": "582318560864",
  "ap-northeast-2": "600734575887",
  "ap-northeast-3": "383597477331",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ap-south-1": "718504428378",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
};

/**
 * Policy of the access-log bucket (SSE-S3: neither S3 server access logging nor ELB log delivery
 * can write with a KMS key). Writers, each limited to its prefix and to this account:
 * - S3 server access logging (`logging.s3.amazonaws.com`, S3 user guide "Enabling server access
 *   logging", bucket-policy variant required when Object Ownership is bucket-owner-enforced);
 * - ALB access logs: the Region's ELB account where one exists, and the ELB service principal;
 * - CloudWatch vended logs v2 (`delivery.logs.amazonaws.com`): CloudFront standard logging v2 and
 *   other V2 sources ("Logs sent to Amazon S3 [V2]"); no ACL needed, unlike CloudFront's legacy logs.
 */
export function accessLogsBucketPolicy(bucketArn: string, accountId: string, region: string): Record<string, unknown> {
  const elbAccount = ELB_LOG_DELIVERY_ACCOUNTS[region];
  const sourceAccount = { "aws:SourceAccount": accountId };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "S3ServerAccessLogs",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${bucketArn}/${ACCESS_LOG_PREFIXES.s3}*`,
        Condition: { StringEquals: sourceAccount },
      },
      {
        Sid: "ElbAccessLogs",
        Effect: "Allow",
        Principal: elbAccount
          ? { AWS: `arn:aws:iam::${elbAccount}:root`, Service: "logdelivery.elasticloadbalancing.amazonaws.com" }
          : { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${bucketArn}/${ACCESS_LOG_PREFIXES.alb}/AWSLogs/${accountId}/*`,
      },
      {
        Sid: "AWSLogDeliveryWrite",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${bucketArn}/AWSLogs/${accountId}/*`,
        Condition: { StringEquals: { ...sourceAccount, "s3:x-amz-acl": "bucket-owner-full-control" }, ArnLike: { "aws:SourceArn": `arn:aws:logs:*:${accountId}:*` } },
      },
      {
        Sid: "AWSLogDeliveryAclCheck",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: ["s3:GetBucketAcl", "s3:ListBucket"],
        Resource: bucketArn,
        Condition: { StringEquals: sourceAccount, ArnLike: { "aws:SourceArn": `arn:aws:logs:*:${accountId}:*` } },
      },
      denyInsecureTransport(bucketArn),
    ],
  };
}

/**
 * Key policy of a key that encrypts CloudWatch log groups: the account administers it (IAM
 * policies apply), and CloudWatch Logs of the listed Regions may use it for this account's log
 * groups only (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS").
 * `extra`: further service grants (the trail's, see {@link cloudTrailKeyStatements}).
 */
export function logsKeyPolicy(accountId: string, regions: string[], extra: Array<Record<string, unknown>> = []): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
      ...regions.map((region) => ({
        Sid: `CloudWatchLogs${region.replace(/-/g, "")}`,
        Effect: "Allow",
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${accountId}:log-group:*` } },
      })),
      ...extra,
    ],
  };
}

/** ECR registry scanning: Inspector enhanced scanning, continuous, for this stack's repositories. */
export function registryScanning(prefix: string): { scanType: "ENHANCED"; rules: Array<{ scanFrequency: "CONTINUOUS_SCAN"; repositoryFilters: Array<{ filter: string; filterType: "WILDCARD" }> }> } {
  return {
    scanType: "ENHANCED",
    rules: [{ scanFrequency: "CONTINUOUS_SCAN", repositoryFilters: [{ filter: `${prefix}/*`, filterType: "WILDCARD" }] }],
  };
}

/** Name of the stack's CloudTrail trail (all Regions). */
export function trailName(prefix: string): string {
  return `${prefix}-audit`;
}

/** ARN of a trail, known before it exists (bucket and key policies condition on it). */
export function trailArn(region: string, accountId: string, name: string): string {
  return `arn:aws:cloudtrail:${region}:${accountId}:trail/${name}`;
}

/** Key prefix of CloudTrail's objects in the logs bucket. */
export const CLOUDTRAIL_PREFIX = "cloudtrail";

/**
 * Logs-bucket statements letting this trail (only) check the bucket ACL and write its files
 * (CloudTrail user guide, "Amazon S3 bucket policy for CloudTrail").
 */
export function cloudTrailBucketStatements(bucketArn: string, accountId: string, arnOfTrail: string): Array<Record<string, unknown>> {
  return [
    { Sid: "CloudTrailAclCheck", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: bucketArn, Condition: { StringEquals: { "aws:SourceArn": arnOfTrail } } },
    {
      Sid: "CloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${bucketArn}/${CLOUDTRAIL_PREFIX}/AWSLogs/${accountId}/*`,
      Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": arnOfTrail } },
    },
  ];
}

/**
 * Key-policy statements letting this trail encrypt its log files with the logs key and describe it
 * (CloudTrail user guide, "Configure AWS KMS key policies for CloudTrail").
 */
export function cloudTrailKeyStatements(accountId: string, arnOfTrail: string): Array<Record<string, unknown>> {
  return [
    {
      Sid: "CloudTrailEncryptsLogs",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:GenerateDataKey*",
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceArn": arnOfTrail }, StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws:cloudtrail:*:${accountId}:trail/*` } },
    },
    { Sid: "CloudTrailDescribesKey", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "kms:DescribeKey", Resource: "*", Condition: { StringEquals: { "aws:SourceArn": arnOfTrail } } },
  ];
}

/** GuardDuty protections enabled on the stack's detector (names of the DetectorFeature API). */
export const GUARDDUTY_FEATURES: ReadonlyArray<{ name: string; additional?: string[] }> = [
  { name: "EKS_AUDIT_LOGS" },
  // Runtime monitoring of the EKS nodes, with GuardDuty managing its security agent add-on.
  { name: "RUNTIME_MONITORING", additional: ["EKS_ADDON_MANAGEMENT"] },
  { name: "S3_DATA_EVENTS" },
  { name: "EBS_MALWARE_PROTECTION" },
  { name: "RDS_LOGIN_EVENTS" },
];

/**
 * AWS foundation (staging, prod): VPC over the configured zones, KMS keys per data domain, EKS,
 * ECR and S3. Secure defaults:
 * - subnets: public (load balancers, NAT only), private (nodes, egress through a NAT per zone),
 *   data (no internet route at all); the default security group has no rules;
 * - one KMS key per data domain, yearly rotation, 30-day deletion window;
 * - EKS: Kubernetes Secrets envelope-encrypted with KMS, every control-plane log type, private
 *   endpoint (public only for listed CIDRs, never 0.0.0.0/0), API authentication mode, deletion
 *   protection with `protectData`; managed node groups labelled `workload-class`;
 * - ECR: Inspector enhanced scanning (continuous), immutable tags, KMS encryption;
 * - S3 (backups, logs): SSE-KMS with bucket keys, versioning, all public access blocked, owner
 *   enforced, TLS-only bucket policy, lifecycle rules, server access logs into the access-log
 *   bucket (SSE-S3: the log writers cannot use KMS);
 * - CloudWatch log groups encrypted with the `logs` key (its policy lets CloudWatch Logs use it).
 * Stateful resources (keys, buckets, repositories, the cluster) get Pulumi `protect` from
 * `protectData`. Nothing here waits on the data stores, and the data stores wait only on the
 * network and the keys (see docs/deploy-times.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { ClusterTarget, PlatformContext } from "../contracts";
import type { AwsConfig } from "../config/schema";
import { privateBucket } from "./bucket";
import { SecurityOperations } from "./security";
import {
  accessLogsBucketPolicy,
  amiTypeFor,
  cloudTrailBucketStatements,
  cloudTrailKeyStatements,
  trailArn,
  trailName,
  awsPrefix,
  BUCKET_RETENTION,
  eksEndpointAccess,
  denyInsecureTransport,
  EKS_CONTROL_PLANE_LOG_TYPES,
  KMS_DELETION_WINDOW_DAYS,
  KMS_DOMAINS,
  kubeconfig,
  logsKeyPolicy,
  LONG_TIMEOUTS,
  MSK_OPEN_MONITORING_PORTS,
  networkPlan,
  registryScanning,
  nodeGroupLabels,
  type KmsDomain,
  ecrRepositoryUrl,
} from "./spec";

export interface AwsFoundationArgs extends PlatformContext {
  /** The validated `aws` block of the stack (region, zones, VPC CIDR, EKS). */
  aws: AwsConfig;
}

/** Ports the data stores listen on, opened only to the node subnets. */
export const DATA_PORTS = {
  /** MSK: 9096 SASL/SCRAM over TLS, 9098 IAM over TLS. No plaintext port is opened. */
  kafka: [9096, 9098],
  redis: [6379],
  postgres: [5432],
} as const;

const MANAGED_POLICY = (name: string) => `arn:aws:iam::aws:policy/${name}`;

export class AwsFoundation extends pulumi.ComponentResource {
  /** What the cluster layer needs: the EKS provider, the zones, the ECR repository per service. */
  readonly clusterTarget: ClusterTarget;
  /** Prefix of AWS names in this stack (`tm-<stack>`). */
  readonly prefix: string;
  readonly region: string;
  readonly zones: string[];
  readonly vpcId: pulumi.Output<string>;
  readonly vpcCidr: string;
  /** Public subnets (one per zone): internet-facing load balancers only. */
  readonly publicSubnetIds: pulumi.Output<string>[];
  /** Private subnets (one per zone): EKS nodes and pods. */
  readonly privateSubnetIds: pulumi.Output<string>[];
  /** CIDRs of the private subnets: the only sources the data stores accept. */
  readonly privateSubnetCidrs: string[];
  /** Isolated data subnets (one per zone, no internet route): MSK, RDS, ElastiCache. */
  readonly dataSubnetIds: pulumi.Output<string>[];
  /** One KMS key per data domain, rotated yearly. */
  readonly kmsKeys: Record<KmsDomain, aws.kms.Key>;
  /** Security group of each data store: ingress on its ports from the private subnets only. */
  readonly dataSecurityGroupIds: Record<"kafka" | "redis" | "postgres", pulumi.Output<string>>;
  /**
   * Access-log bucket (SSE-S3, private, versioned): S3 server access logs of every other bucket
   * (`s3/<kind>/`), ALB access logs (`alb/`) and vended logs v2 such as CloudFront's (`AWSLogs/`).
   */
  readonly accessLogsBucket: aws.s3.Bucket;
  /** Its policy: log writers must wait for it. */
  readonly accessLogsBucketPolicy: aws.s3.BucketPolicy;
  /** Backups bucket (SSE-KMS `storage` key, versioned, private). */
  readonly backupsBucket: aws.s3.Bucket;
  /**
   * Logs bucket (SSE-KMS `logs` key, versioned, private) for log archives. AWS log delivery
   * that cannot use KMS writes into `accessLogsBucket` instead.
   */
  readonly logsBucket: aws.s3.Bucket;
  readonly cluster: aws.eks.Cluster;
  readonly clusterName: string;
  /** Security group EKS attaches to the control plane and managed nodes. */
  readonly clusterSecurityGroupId: pulumi.Output<string>;
  readonly nodeGroups: aws.eks.NodeGroup[];
  /** CloudTrail (all Regions), GuardDuty (EKS protection), VPC flow logs. */
  readonly securityOperations: SecurityOperations;
  /** ECR repository per catalog service. */
  readonly repositories: Record<string, aws.ecr.Repository>;

  constructor(name: string, args: AwsFoundationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:aws:AwsFoundation", name, {}, opts);
    const { config, catalog } = args;
    const awsCfg = args.aws;
    const prefix = awsPrefix(config.stack);
    const protect = config.protectData;
    const tags = { "trademaster:stack": config.stack, "trademaster:environment": config.environment, "managed-by": "pulumi" };
    const child: pulumi.CustomResourceOptions = { parent: this };
    const stateful: pulumi.CustomResourceOptions = { parent: this, protect };
    this.prefix = prefix;
    this.region = awsCfg.region;
    this.zones = [...awsCfg.availabilityZones];
    this.vpcCidr = awsCfg.vpcCidr;

    const auditTrail = trailName(prefix);
    const auditTrailArn = trailArn(awsCfg.region, awsCfg.accountId, auditTrail);

    // ---- KMS: one key per data domain ------------------------------------------------------
    const keys = {} as Record<KmsDomain, aws.kms.Key>;
    for (const domain of KMS_DOMAINS) {
      keys[domain] = new aws.kms.Key(
        `${name}-kms-${domain}`,
        {
          description: `TradeMaster ${config.stack}: ${domain} data`,
          enableKeyRotation: true,
          rotationPeriodInDays: 365,
          deletionWindowInDays: KMS_DELETION_WINDOW_DAYS,
          // The logs key also encrypts CloudWatch log groups: CloudWatch Logs needs a key-policy grant.
          ...(domain === "logs" ? { policy: JSON.stringify(logsKeyPolicy(awsCfg.accountId, [awsCfg.region], cloudTrailKeyStatements(awsCfg.accountId, auditTrailArn))) } : {}),
          tags: { ...tags, "trademaster:data-domain": domain },
        },
        stateful,
      );
      new aws.kms.Alias(`${name}-kms-${domain}`, { name: `alias/${prefix}/${domain}`, targetKeyId: keys[domain].keyId }, child);
    }
    this.kmsKeys = keys;

    // ---- S3: access logs, backups, logs ----------------------------------------------------
    // The access-log bucket receives S3 server access logs of every other bucket, ALB access logs
    // and CloudWatch vended logs v2 (CloudFront): SSE-S3, since none of those writers can use KMS.
    const accessLogs = privateBucket(name, "access-logs", { bucketPrefix: `${prefix}-access-logs-`, tags, accessLogsBucket: false, protect }, this);
    const accessLogsPolicy = new aws.s3.BucketPolicy(
      `${name}-access-logs`,
      { bucket: accessLogs.id, policy: accessLogs.arn.apply((arn) => JSON.stringify(accessLogsBucketPolicy(arn, awsCfg.accountId, awsCfg.region))) },
      child,
    );
    const lifecycle = (kind: keyof typeof BUCKET_RETENTION, b: aws.s3.Bucket) => {
      const r = BUCKET_RETENTION[kind];
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-${kind}`,
        {
          bucket: b.id,
          rules: [
            {
              id: "retention",
              status: "Enabled",
              filter: {},
              abortIncompleteMultipartUpload: { daysAfterInitiation: r.abortMultipartDays },
              noncurrentVersionExpiration: { noncurrentDays: r.noncurrentVersionDays },
              ...("expireDays" in r ? { expiration: { days: r.expireDays } } : {}),
            },
          ],
        },
        child,
      );
    };
    lifecycle("access-logs", accessLogs);
    const bucket = (kind: "backups" | "logs", key: aws.kms.Key, grants: (arn: string) => Array<Record<string, unknown>> = () => []) => {
      const b = privateBucket(name, kind, { bucketPrefix: `${prefix}-${kind}-`, tags, kmsKey: key, accessLogsBucket: accessLogs.bucket, protect }, this);
      const policy = new aws.s3.BucketPolicy(
        `${name}-${kind}`,
        {
          bucket: b.id,
          policy: b.arn.apply((arn) => JSON.stringify({ Version: "2012-10-17", Statement: [...grants(arn), denyInsecureTransport(arn)] })),
        },
        child,
      );
      lifecycle(kind, b);
      return { bucket: b, policy };
    };
    this.accessLogsBucket = accessLogs;
    this.accessLogsBucketPolicy = accessLogsPolicy;
    this.backupsBucket = bucket("backups", keys.storage).bucket;
    // The audit trail writes into the logs bucket (cloudtrail/), admitted by its ARN only.
    const logs = bucket("logs", keys.logs, (arn) => cloudTrailBucketStatements(arn, awsCfg.accountId, auditTrailArn));
    this.logsBucket = logs.bucket;
    const logsBucketPolicy = logs.policy;

    // ---- Network -----------------------------------------------------------------------------
    const plan = networkPlan(awsCfg);
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: awsCfg.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: prefix } }, child);
    this.vpcId = vpc.id;
    // No rule at all: nothing may use the default group by accident.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: { ...tags, Name: `${prefix}-default-locked` } }, child);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { ...tags, Name: prefix } }, child);
    const publicRt = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { ...tags, Name: `${prefix}-public` } }, child);
    const dataRt = new aws.ec2.RouteTable(`${name}-data`, { vpcId: vpc.id, tags: { ...tags, Name: `${prefix}-data` } }, child);
    const clusterName = prefix;
    this.clusterName = clusterName;

    const publicSubnets = plan.public.map((s, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-public-${s.zone}`,
        { vpcId: vpc.id, cidrBlock: s.cidr, availabilityZone: s.zone, mapPublicIpOnLaunch: false, tags: { ...tags, Name: `${prefix}-public-${i}`, "kubernetes.io/role/elb": "1" } },
        child,
      );
      new aws.ec2.RouteTableAssociation(`${name}-public-${s.zone}`, { subnetId: subnet.id, routeTableId: publicRt.id }, child);
      return subnet;
    });
    const privateSubnets = plan.private.map((s, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-private-${s.zone}`,
        {
          vpcId: vpc.id,
          cidrBlock: s.cidr,
          availabilityZone: s.zone,
          tags: { ...tags, Name: `${prefix}-private-${i}`, "kubernetes.io/role/internal-elb": "1", [`kubernetes.io/cluster/${clusterName}`]: "shared" },
        },
        child,
      );
      // One NAT per zone: losing a zone never cuts egress in the others.
      const eip = new aws.ec2.Eip(`${name}-nat-${s.zone}`, { domain: "vpc", tags: { ...tags, Name: `${prefix}-nat-${i}` } }, child);
      const nat = new aws.ec2.NatGateway(
        `${name}-nat-${s.zone}`,
        { allocationId: eip.id, subnetId: publicSubnets[i].id, tags: { ...tags, Name: `${prefix}-nat-${i}` } },
        { ...child, dependsOn: [igw], customTimeouts: LONG_TIMEOUTS.natGateway },
      );
      const rt = new aws.ec2.RouteTable(`${name}-private-${s.zone}`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: { ...tags, Name: `${prefix}-private-${i}` } }, child);
      new aws.ec2.RouteTableAssociation(`${name}-private-${s.zone}`, { subnetId: subnet.id, routeTableId: rt.id }, child);
      return subnet;
    });
    const dataSubnets = plan.data.map((s, i) => {
      const subnet = new aws.ec2.Subnet(`${name}-data-${s.zone}`, { vpcId: vpc.id, cidrBlock: s.cidr, availabilityZone: s.zone, tags: { ...tags, Name: `${prefix}-data-${i}` } }, child);
      new aws.ec2.RouteTableAssociation(`${name}-data-${s.zone}`, { subnetId: subnet.id, routeTableId: dataRt.id }, child);
      return subnet;
    });
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.dataSubnetIds = dataSubnets.map((s) => s.id);
    this.privateSubnetCidrs = plan.private.map((s) => s.cidr);

    const dataSg = (store: keyof typeof DATA_PORTS): pulumi.Output<string> =>
      new aws.ec2.SecurityGroup(
        `${name}-${store}`,
        {
          vpcId: vpc.id,
          description: `TradeMaster ${store}: clients in the node subnets only`,
          ingress: [
            ...DATA_PORTS[store].map((port) => ({ protocol: "tcp", fromPort: port, toPort: port, cidrBlocks: this.privateSubnetCidrs, description: "EKS nodes" })),
            // Prometheus (in the node subnets) scrapes the brokers' JMX and node exporters.
            ...(store === "kafka"
              ? [{ protocol: "tcp", fromPort: MSK_OPEN_MONITORING_PORTS.jmx, toPort: MSK_OPEN_MONITORING_PORTS.node, cidrBlocks: this.privateSubnetCidrs, description: "Prometheus: MSK open monitoring" }]
              : []),
          ],
          // RDS Proxy reaches the database inside the same group.
          ...(store === "postgres" ? { egress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, self: true, description: "RDS Proxy to RDS" }] } : { egress: [] }),
          tags: { ...tags, Name: `${prefix}-${store}` },
        },
        child,
      ).id;
    this.dataSecurityGroupIds = { kafka: dataSg("kafka"), redis: dataSg("redis"), postgres: dataSg("postgres") };

    // ---- Security operations: CloudTrail, GuardDuty, VPC flow logs ------------------------------
    this.securityOperations = new SecurityOperations(
      `${name}-security`,
      { trailName: auditTrail, logsBucket: this.logsBucket, logsBucketPolicy, logsKey: keys.logs, accessLogsBucket: accessLogs, accessLogsBucketPolicy: accessLogsPolicy, vpcId: vpc.id, tags },
      { parent: this },
    );

    // ---- ECR: one repository per catalog service ------------------------------------------
    this.repositories = {};
    for (const service of catalog.services) {
      const repo = new aws.ecr.Repository(
        `${name}-ecr-${service.name}`,
        {
          name: `${prefix}/${service.name}`,
          imageTagMutability: "IMMUTABLE",
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: keys.storage.arn }],
          forceDelete: false,
          tags: { ...tags, "trademaster:service": service.name },
        },
        stateful,
      );
      new aws.ecr.LifecyclePolicy(
        `${name}-ecr-${service.name}`,
        {
          repository: repo.name,
          policy: JSON.stringify({
            rules: [{ rulePriority: 1, description: "drop untagged layers after 14 days", selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 }, action: { type: "expire" } }],
          }),
        },
        child,
      );
      this.repositories[service.name] = repo;
    }
    // Inspector enhanced scanning (OS and language packages, rescanned as new CVEs appear); it
    // replaces the repositories' basic scan-on-push for the repositories it matches.
    new aws.ecr.RegistryScanningConfiguration(`${name}-ecr-scanning`, registryScanning(prefix), child);

    // ---- EKS ---------------------------------------------------------------------------------
    const assume = (service: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole", "sts:TagSession"] }] });
    const clusterRole = new aws.iam.Role(`${name}-eks-cluster`, { assumeRolePolicy: assume("eks.amazonaws.com"), tags }, child);
    const clusterPolicy = new aws.iam.RolePolicyAttachment(`${name}-eks-cluster`, { role: clusterRole.name, policyArn: MANAGED_POLICY("AmazonEKSClusterPolicy") }, child);
    const nodeRole = new aws.iam.Role(`${name}-eks-node`, { assumeRolePolicy: assume("ec2.amazonaws.com"), tags }, child);
    const nodePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"].map(
      (p) => new aws.iam.RolePolicyAttachment(`${name}-eks-node-${p.split("/").pop()}`, { role: nodeRole.name, policyArn: MANAGED_POLICY(p) }, child),
    );
    // Created first so EKS writes into a group with a retention, not an unbounded default one.
    const controlPlaneLogs = new aws.cloudwatch.LogGroup(`${name}-eks-logs`, { name: `/aws/eks/${clusterName}/cluster`, retentionInDays: 365, kmsKeyId: keys.logs.arn, tags }, child);

    const cluster = new aws.eks.Cluster(
      `${name}-eks`,
      {
        name: clusterName,
        version: awsCfg.eks.version,
        roleArn: clusterRole.arn,
        vpcConfig: { subnetIds: this.privateSubnetIds, ...eksEndpointAccess(awsCfg) },
        encryptionConfig: { provider: { keyArn: keys.eks.arn }, resources: ["secrets"] },
        enabledClusterLogTypes: [...EKS_CONTROL_PLANE_LOG_TYPES],
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
        deletionProtection: protect,
        tags,
      },
      { ...stateful, dependsOn: [clusterPolicy, controlPlaneLogs], customTimeouts: LONG_TIMEOUTS.eksCluster },
    );
    this.cluster = cluster;
    this.clusterSecurityGroupId = cluster.vpcConfig.clusterSecurityGroupId;

    this.nodeGroups = awsCfg.eks.nodeGroups.map(
      (g) =>
        new aws.eks.NodeGroup(
          `${name}-ng-${g.name}`,
          {
            clusterName: cluster.name,
            nodeGroupName: g.name,
            nodeRoleArn: nodeRole.arn,
            subnetIds: this.privateSubnetIds,
            instanceTypes: g.instanceTypes,
            amiType: amiTypeFor(g.instanceTypes),
            capacityType: "ON_DEMAND",
            diskSize: 50,
            scalingConfig: { minSize: g.minSize, desiredSize: g.desiredSize, maxSize: g.maxSize },
            updateConfig: { maxUnavailable: 1 },
            labels: nodeGroupLabels(g),
            tags: { ...tags, "trademaster:node-group": g.name },
          },
          // The cluster autoscaler (infra/addons/cluster-autoscaler) owns the desired size once running.
          { ...child, dependsOn: nodePolicies, ignoreChanges: ["scalingConfig.desiredSize"], customTimeouts: LONG_TIMEOUTS.eksNodeGroup },
        ),
    );
    // Add-ons (EBS CSI, metrics-server, cluster-autoscaler) run with identities of their own:
    // infra/addons. The node role keeps only what the kubelet, the VPC CNI and SSM need.

    const config_ = pulumi
      .all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
      .apply(([n, endpoint, ca]) => kubeconfig({ clusterName: n, endpoint, certificateAuthority: ca.data ?? "", region: awsCfg.region }));
    // Kubernetes objects wait for nodes: pods need somewhere to run before awaits can succeed.
    const provider = new k8s.Provider(`${name}-eks`, { kubeconfig: config_, enableServerSideApply: true }, { parent: this, dependsOn: this.nodeGroups });

    this.clusterTarget = {
      provider,
      zones: this.zones,
      // ECR URLs are deterministic (account, region, name): known at preview, so reviewers and the
      // pinned-image policy see the full image reference.
      imageRepositories: Object.fromEntries(Object.keys(this.repositories).map((svc) => [svc, ecrRepositoryUrl(awsCfg.accountId, awsCfg.region, `${prefix}/${svc}`)])),
    };
    this.registerOutputs({
      vpcId: this.vpcId,
      clusterName,
      privateSubnetIds: this.privateSubnetIds,
      dataSubnetIds: this.dataSubnetIds,
      accessLogsBucket: this.accessLogsBucket.bucket,
      backupsBucket: this.backupsBucket.bucket,
      logsBucket: this.logsBucket.bucket,
    });
  }
}

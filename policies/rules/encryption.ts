/**
 * Encryption policies: at rest with customer-managed KMS keys, in transit everywhere, and KMS key
 * rotation. Field names are those of @pulumi/aws 7.x inputs and the Strimzi `kafka.strimzi.io/v1` API.
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { asArray, asBool, asNumber, asObject, asString, at, atPath, isKube, isProvided, STRIMZI } from "../lib/props";
import { asvs, cisAws, levels, owasp, pci, type TrademasterResourcePolicy, type TrademasterStackPolicy } from "../lib/types";

const PCI_AT_REST = pci("3.5.1", "Stored account data is rendered unreadable (strong cryptography)");
const PCI_IN_TRANSIT = pci("4.2.1", "Strong cryptography protects data in transit");

export const encryptionAtRest: TrademasterResourcePolicy = {
  kind: "resource",
  name: "encryption-at-rest-cmk",
  description: "Data at rest is encrypted with a customer-managed KMS key: RDS, ElastiCache, MSK, EBS volumes and launch templates, EKS secrets, OpenSearch/Elasticsearch, CloudWatch log groups, Secrets Manager secrets and ECR repositories.",
  severity: "high",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  controls: [
    cisAws("2.3.1", "Encryption-at-rest is enabled for RDS instances"),
    cisAws("2.2.1", "EBS volume encryption is enabled"),
    cisAws("3.x", "CloudWatch log groups are encrypted with KMS"),
    asvs("V6.2.1", "Cryptographic modules fail securely / approved algorithms"),
    PCI_AT_REST,
  ],
  remediation:
    "Set storageEncrypted + kmsKeyId (RDS), atRestEncryptionEnabled + kmsKeyId (ElastiCache), encryptionInfo.encryptionAtRestKmsKeyArn (MSK), encrypted + kmsKeyId (EBS volumes and launch template block devices), encryptionConfig { resources: [\"secrets\"], provider.keyArn } (EKS), encryptAtRest { enabled, kmsKeyId } (OpenSearch/Elasticsearch), kmsKeyId (CloudWatch log groups: the key policy must allow logs.<region>.amazonaws.com; Secrets Manager secrets), encryptionConfigurations [{ encryptionType: \"KMS\", kmsKey }] (ECR), all with the platform's customer-managed KMS keys.",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const p = args.props;
    switch (args.type) {
      case "aws:rds/instance:Instance":
      case "aws:rds/cluster:Cluster":
        if (asBool(p.storageEncrypted) !== true) report(atPath("storageEncrypted", "is not true"));
        if (!isProvided(p, "kmsKeyId")) report(atPath("kmsKeyId", "is missing: the AWS-managed key cannot be scoped or rotated by us"));
        return;
      case "aws:elasticache/replicationGroup:ReplicationGroup":
        if (asBool(p.atRestEncryptionEnabled) !== true) report(atPath("atRestEncryptionEnabled", "is not true"));
        if (!isProvided(p, "kmsKeyId")) report(atPath("kmsKeyId", "is missing (customer-managed key)"));
        return;
      case "aws:msk/cluster:Cluster":
        if (!isProvided(p.encryptionInfo, "encryptionAtRestKmsKeyArn")) report(atPath("encryptionInfo.encryptionAtRestKmsKeyArn", "is missing (customer-managed key)"));
        return;
      case "aws:ebs/volume:Volume":
        if (asBool(p.encrypted) !== true) report(atPath("encrypted", "is not true"));
        if (!isProvided(p, "kmsKeyId")) report(atPath("kmsKeyId", "is missing (customer-managed key)"));
        return;
      case "aws:ec2/launchTemplate:LaunchTemplate":
        for (const [i, m] of asArray(p.blockDeviceMappings).entries()) {
          const ebs = asObject(at(m, "ebs"));
          if (!ebs) continue;
          if (asBool(ebs.encrypted) !== true) report(atPath(`blockDeviceMappings[${i}].ebs.encrypted`, `is not "true"`));
          if (!isProvided(ebs, "kmsKeyId")) report(atPath(`blockDeviceMappings[${i}].ebs.kmsKeyId`, "is missing (customer-managed key)"));
        }
        return;
      case "aws:eks/cluster:Cluster": {
        const enc = asObject(p.encryptionConfig);
        const resources = asArray(enc?.resources).map((r) => asString(r));
        if (!enc || !resources.includes("secrets")) report(atPath("encryptionConfig", "does not encrypt Kubernetes secrets (resources: [\"secrets\"])"));
        else if (!isProvided(enc.provider, "keyArn")) report(atPath("encryptionConfig.provider.keyArn", "is not set"));
        return;
      }
      case "aws:cloudwatch/logGroup:LogGroup":
        if (!isProvided(p, "kmsKeyId")) report(atPath("kmsKeyId", "is missing: the log group is encrypted with a key AWS owns, not ours"));
        return;
      case "aws:secretsmanager/secret:Secret":
        if (!isProvided(p, "kmsKeyId")) report(atPath("kmsKeyId", "is missing: the secret uses the AWS-managed aws/secretsmanager key"));
        return;
      case "aws:ecr/repository:Repository": {
        const enc = asArray(p.encryptionConfigurations).map((e) => asObject(e) ?? {});
        if (enc.length === 0 || asString(enc[0].encryptionType) !== "KMS") report(atPath("encryptionConfigurations", `uses ${asString(enc[0]?.encryptionType) ?? "the default AES256"} (expected KMS with our key)`));
        else if (!isProvided(enc[0], "kmsKey")) report(atPath("encryptionConfigurations[0].kmsKey", "is missing: KMS with the AWS-managed aws/ecr key"));
        return;
      }
      case "aws:opensearch/domain:Domain":
      case "aws:elasticsearch/domain:Domain": {
        const ear = asObject(p.encryptAtRest);
        if (asBool(ear?.enabled) !== true) report(atPath("encryptAtRest.enabled", "is not true"));
        else if (!isProvided(ear, "kmsKeyId")) report(atPath("encryptAtRest.kmsKeyId", "is missing (customer-managed key)"));
        return;
      }
      default:
        return;
    }
  },
};

const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const SSE_TYPES = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];

/**
 * Buckets that receive AWS-delivered logs: ELB and S3 server access logging write only to SSE-S3
 * (AES256) buckets, an AWS constraint, so they are the one place AES256 is accepted (the stack's
 * `access-logs` bucket, or a load balancer's own). Recognized by resource name.
 */
export const SSE_S3_ONLY = /(^|-)((alb|nlb|elb|lb)-(access-)?logs|access-logs)$/;

function sseRuleProblems(rules: unknown[], sseS3Allowed = false): string[] {
  if (rules.length === 0) return ["no rule"];
  return rules.flatMap((rule, i) => {
    const def = asObject(at(rule, "applyServerSideEncryptionByDefault"));
    const alg = asString(def?.sseAlgorithm);
    if (alg === "AES256" && sseS3Allowed) return [];
    if (alg !== "aws:kms" && alg !== "aws:kms:dsse") return [`rules[${i}] uses ${alg ?? "no algorithm"} instead of aws:kms`];
    if (!isProvided(def, "kmsMasterKeyId")) return [`rules[${i}] has no kmsMasterKeyId (customer-managed key)`];
    return [];
  });
}

export const s3Encryption: TrademasterStackPolicy = {
  kind: "stack",
  name: "s3-sse-kms",
  description: "Every S3 bucket has a server-side encryption configuration with aws:kms and a customer-managed key (load-balancer access-log buckets: SSE-S3, the only encryption ELB supports).",
  severity: "high",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  controls: [cisAws("2.1.1", "S3 buckets employ encryption-at-rest"), PCI_AT_REST],
  remediation: "Declare aws.s3.BucketServerSideEncryptionConfiguration for the bucket with applyServerSideEncryptionByDefault { sseAlgorithm: \"aws:kms\", kmsMasterKeyId } and bucketKeyEnabled: true.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const configs = args.resources.filter((r) => SSE_TYPES.includes(r.type));
    for (const c of configs) {
      const problems = sseRuleProblems(asArray(c.props.rules), SSE_S3_ONLY.test(c.name));
      if (problems.length) report(`encryption configuration "${c.name}": ${problems.join("; ")}`, c.urn);
    }
    for (const b of args.resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
      // The configuration names its bucket by id (unknown in preview): match by dependency or name.
      const covered = configs.some((c) => c.dependencies.some((d) => d.urn === b.urn) || c.parent?.urn === b.urn);
      const inline = asObject(b.props.serverSideEncryptionConfiguration);
      if (inline) {
        const problems = sseRuleProblems(asArray(at(inline, "rule")).length ? asArray(at(inline, "rule")) : [at(inline, "rule")]);
        if (problems.length) report(`bucket "${b.name}" inline encryption: ${problems.join("; ")}`, b.urn);
      } else if (!covered) {
        report(`bucket "${b.name}" has no server-side encryption configuration`, b.urn);
      }
    }
  },
};

export const encryptionInTransit: TrademasterResourcePolicy = {
  kind: "resource",
  name: "encryption-in-transit",
  description: "Every data path is TLS: RDS force_ssl, RDS Proxy requireTls, ElastiCache transit encryption required + AUTH, MSK TLS-only, Strimzi TLS listeners, OpenSearch HTTPS and node-to-node TLS.",
  severity: "high",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  controls: [owasp("API8:2023", "Security Misconfiguration"), asvs("V9.2.2", "Encrypted communications for all inbound and outbound connections"), PCI_IN_TRANSIT],
  remediation:
    "Set rds.force_ssl=1 in the Postgres parameter group, requireTls on RDS Proxy, transitEncryptionEnabled with transitEncryptionMode \"required\" (+ authToken or userGroupIds) on ElastiCache, encryptionInTransit { clientBroker: \"TLS\", inCluster: true } on MSK, tls: true on every Strimzi listener, domainEndpointOptions.enforceHttps and nodeToNodeEncryption on OpenSearch.",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const p = args.props;
    switch (args.type) {
      case "aws:rds/parameterGroup:ParameterGroup":
      case "aws:rds/clusterParameterGroup:ClusterParameterGroup": {
        if (!(asString(p.family) ?? "").startsWith("postgres") && !(asString(p.family) ?? "").startsWith("aurora-postgresql")) return;
        const force = asArray(p.parameters).find((x) => asString(at(x, "name")) === "rds.force_ssl");
        if (!force) report(atPath("parameters", "does not set rds.force_ssl (set it to 1)"));
        else if (String(at(force, "value")) !== "1") report(atPath("parameters", `sets rds.force_ssl to ${String(at(force, "value"))} (expected 1)`));
        return;
      }
      case "aws:rds/proxy:Proxy":
        if (asBool(p.requireTls) !== true) report(atPath("requireTls", "is not true"));
        return;
      case "aws:elasticache/replicationGroup:ReplicationGroup": {
        if (asBool(p.transitEncryptionEnabled) !== true) report(atPath("transitEncryptionEnabled", "is not true"));
        // "preferred" accepts plaintext clients too (a migration setting); required is the create default.
        const mode = asString(p.transitEncryptionMode);
        if (mode !== undefined && mode !== "required") report(atPath("transitEncryptionMode", `is ${mode}: plaintext connections are still accepted (expected required)`));
        if (!isProvided(p, "authToken") && !isProvided(p, "userGroupIds")) report(atPath("authToken", "and userGroupIds are missing: Redis AUTH is off"));
        return;
      }
      case "aws:msk/cluster:Cluster": {
        // The provider defaults are TLS and true; an explicit weaker value fails.
        const transit = asObject(at(p, "encryptionInfo", "encryptionInTransit"));
        const clientBroker = asString(transit?.clientBroker) ?? "TLS";
        if (clientBroker !== "TLS") report(atPath("encryptionInfo.encryptionInTransit.clientBroker", `is ${clientBroker} (expected TLS only)`));
        if (asBool(transit?.inCluster) === false) report(atPath("encryptionInfo.encryptionInTransit.inCluster", "is false"));
        return;
      }
      case "aws:opensearch/domain:Domain":
      case "aws:elasticsearch/domain:Domain":
        if (asBool(at(p, "nodeToNodeEncryption", "enabled")) !== true) report(atPath("nodeToNodeEncryption.enabled", "is not true"));
        if (asBool(at(p, "domainEndpointOptions", "enforceHttps")) !== true) report(atPath("domainEndpointOptions.enforceHttps", "is not true"));
        return;
      default:
        break;
    }
    if (isKube(args.type, STRIMZI, "Kafka")) {
      for (const [i, l] of asArray(at(p, "spec", "kafka", "listeners")).entries()) {
        if (asBool(at(l, "tls")) !== true) report(atPath(`spec.kafka.listeners[${i}].tls`, `is ${String(at(l, "tls") ?? false)}: Kafka listener "${asString(at(l, "name")) ?? "?"}" (port ${asNumber(at(l, "port")) ?? "?"}) is plaintext`));
      }
    }
  },
};

export const kmsRotation: TrademasterResourcePolicy = {
  kind: "resource",
  name: "kms-key-rotation",
  description: "Customer-managed symmetric KMS keys rotate automatically (at least yearly).",
  severity: "medium",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  controls: [cisAws("3.6", "Rotation for customer-created symmetric CMKs is enabled"), PCI_AT_REST, pci("3.7.4", "Cryptographic key changes at the end of the cryptoperiod")],
  remediation: "Set enableKeyRotation: true (and rotationPeriodInDays <= 365 if set) on aws.kms.Key.",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== "aws:kms/key:Key") return;
    const spec = asString(args.props.customerMasterKeySpec) ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") args.notApplicable("asymmetric and HMAC keys cannot rotate automatically");
    if (asBool(args.props.enableKeyRotation) !== true) report(atPath("enableKeyRotation", "is not true"));
    const period = asNumber(args.props.rotationPeriodInDays);
    if (period !== undefined && period > 365) report(atPath("rotationPeriodInDays", `is ${period} (at most 365)`));
  },
};

const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";

export const nodeVolumeEncryption: TrademasterStackPolicy = {
  kind: "stack",
  name: "node-volume-encryption",
  description:
    "EKS node disks are encrypted with a customer-managed key: every managed node group uses a launch template of this stack whose EBS block devices are encrypted with kmsKeyId, or the account's EBS encryption by default is on with our key (without either, the EKS-generated launch template leaves it to the account default).",
  severity: "high",
  enforcement: levels("advisory", "mandatory", "mandatory"),
  controls: [cisAws("2.2.1", "EBS volume encryption is enabled in all regions"), asvs("V6.1.1", "Regulated data is stored encrypted while at rest"), PCI_AT_REST],
  remediation:
    "Give each aws.eks.NodeGroup launchTemplate { id, version } of an aws.ec2.LaunchTemplate with blockDeviceMappings [{ deviceName: \"/dev/xvda\", ebs: { encrypted: \"true\", kmsKeyId, volumeType: \"gp3\", volumeSize } }] (and drop diskSize), or declare aws.ebs.EncryptionByDefault { enabled: true } with aws.ebs.DefaultKmsKey { keyArn }.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const byDefault = args.resources.some((r) => r.type === "aws:ebs/encryptionByDefault:EncryptionByDefault" && asBool(r.props.enabled) !== false);
    const defaultKey = args.resources.some((r) => r.type === "aws:ebs/defaultKmsKey:DefaultKmsKey" && isProvided(r.props, "keyArn"));
    if (byDefault && defaultKey) return;
    const templates = args.resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
    const encrypted = (t: PolicyResource) => {
      const ebs = asArray(t.props.blockDeviceMappings).map((m) => asObject(at(m, "ebs"))).filter((e) => e !== undefined);
      return ebs.length > 0 && ebs.every((e) => asBool(e.encrypted) === true && isProvided(e, "kmsKeyId"));
    };
    for (const ng of args.resources.filter((r) => r.type === NODE_GROUP)) {
      if (!asObject(ng.props.launchTemplate)) {
        report(atPath("launchTemplate", `is missing${ng.props.diskSize !== undefined ? " (diskSize set)" : ""}: the node disks are encrypted only if the account's EBS default says so, never with our key`), ng.urn);
        continue;
      }
      const used = templates.filter((t) => ng.dependencies.some((d) => d.urn === t.urn));
      if (used.length === 0) report(atPath("launchTemplate", "names a launch template outside this stack: its disk encryption cannot be checked"), ng.urn);
      else if (!used.every(encrypted)) report(atPath("launchTemplate", `uses ${used.map((t) => t.name).join(", ")} whose EBS block devices are not all encrypted with kmsKeyId`), ng.urn);
    }
  },
};

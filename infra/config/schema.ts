/**
 * The stack configuration: its shape, its secure defaults and the cross-field rules that make a
 * stack safe (prod must be multi-AZ, replicated, protected). Pure: no Pulumi resources here.
 */
import {
  bool,
  CPU_QUANTITY,
  DNS_LABEL,
  int,
  list,
  MEMORY_QUANTITY,
  num,
  obj,
  oneOf,
  optional,
  str,
  type Check,
  type Issue,
} from "../validation/schema";

import { replayMemoryBytes } from "../data/fanout";

export const ENVIRONMENTS = ["local", "staging", "prod"] as const;

/** Memory (GiB) of the ElastiCache node types the replay streams may be sized on (AWS node-type table). */
export const ELASTICACHE_NODE_MEMORY_GIB: Readonly<Record<string, number>> = {
  "cache.t4g.small": 1.37,
  "cache.t4g.medium": 3.09,
  "cache.m7g.large": 6.38,
  "cache.m7g.xlarge": 12.93,
  "cache.r7g.large": 13.07,
  "cache.r7g.xlarge": 26.32,
  "cache.r7g.2xlarge": 52.82,
};
/** `maxmemory` of the local Redis (infra/data/local.ts redis.conf). */
export const LOCAL_REDIS_MAXMEMORY_BYTES = 96 * 2 ** 20;
export type Environment = (typeof ENVIRONMENTS)[number];

const DURATION = /^\d+(s|m|h|d)$/;
/** Days in a DURATION value. */
function durationDays(d: string): number {
  const n = Number(d.slice(0, -1));
  return { s: n / 86400, m: n / 1440, h: n / 24, d: n }[d.slice(-1) as "s" | "m" | "h" | "d"];
}
/** The SLO window of the catalog's SLOs (their default `periodDays`): Prometheus keeps at least this. */
export const SLO_WINDOW_DAYS = 28;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const AZ = /^[a-z]{2}-[a-z]+-\d[a-z]$/;
const HOSTNAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/;
const ORIGIN = /^(https?:\/\/[a-z0-9.-]+(:\d+)?|\*)$/;

const nodeGroup = obj({
  name: str({ pattern: DNS_LABEL, patternName: "a DNS label" }),
  instanceTypes: list(str({ minLength: 2 }), { minItems: 1 }),
  minSize: int({ min: 1 }),
  desiredSize: int({ min: 1 }),
  maxSize: int({ min: 1 }),
  /** Node label `workload-class` used by the bulkhead scheduling of critical services. */
  workloadClass: optional(oneOf(["critical", "general"] as const), "general"),
});

const awsShape = obj({
  /** The AWS account the stack deploys to (ECR image URLs and ARNs derive from it). */
  accountId: str({ pattern: /^\d{12}$/, patternName: "a 12-digit AWS account id" }),
  region: str({ pattern: /^[a-z]{2}-[a-z]+-\d$/, patternName: "an AWS region like us-east-1" }),
  availabilityZones: list(str({ pattern: AZ, patternName: "an availability zone like us-east-1a" }), { minItems: 1 }),
  vpcCidr: str({ pattern: CIDR, patternName: "an IPv4 CIDR" }),
  eks: obj({
    version: str({ pattern: /^1\.\d{2}$/, patternName: "a Kubernetes minor version like 1.33" }),
    /** CIDRs allowed to reach the public API endpoint; empty list means private endpoint only. */
    publicAccessCidrs: optional(list(str({ pattern: CIDR, patternName: "an IPv4 CIDR" })), [] as string[]),
    nodeGroups: list(nodeGroup, { minItems: 1 }),
  }),
  /** The in-VPC deploy path (infra/aws/deploy-runner.ts): CodeBuild projects that run Pulumi. */
  deploy: obj({
    /** GitHub repository the projects build (HTTPS clone URL). */
    repository: str({ pattern: /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/, patternName: "a GitHub clone URL like https://github.com/org/repo.git" }),
    /** Pulumi Cloud organization of the stacks (`<org>/<stack>`). */
    pulumiOrg: str({ pattern: DNS_LABEL, patternName: "a Pulumi organization name" }),
  }),
});

/**
 * Kafka versions MSK accepts for a new cluster, spelled as its API does (MSK developer guide,
 * "Supported Apache Kafka versions": from 3.7 on MSK names a minor line `3.7.x` and patches it
 * itself; 4.x runs KRaft only, `4.0.x.kraft`). Versions past their end of support are left out.
 */
export const MSK_KAFKA_VERSIONS = ["3.7.x", "3.8.x", "3.9.x", "4.0.x.kraft", "4.1.x.kraft"] as const;

const kafkaShape = obj({
  /** Kafka version: exact on local (Strimzi, `4.1.0`), an MSK version line on AWS (`3.9.x`). */
  version: str({ pattern: /^\d+\.\d+\.(\d+|x)(\.kraft)?$/, patternName: "a Kafka version like 4.1.0 (Strimzi) or 3.9.x (MSK)" }),
  brokers: int({ min: 1 }),
  replicationFactor: int({ min: 1 }),
  minInsyncReplicas: int({ min: 1 }),
  uncleanLeaderElection: optional(bool, false),
  /** How long events stay readable so WebSocket clients can replay after a reconnect. */
  replayRetentionHours: int({ min: 1 }),
  auditRetentionDays: optional(int({ min: 1 }), 365),
  brokerInstanceType: optional(str({ minLength: 4 })),
  brokerVolumeGb: optional(int({ min: 1 }), 100),
});

const redisShape = obj({
  engineVersion: str({ pattern: /^\d+\.\d+$/, patternName: "a version like 7.1" }),
  nodeType: optional(str({ pattern: /^cache\./, patternName: "an ElastiCache node type like cache.r7g.large" })),
  replicasPerShard: int({ min: 0 }),
  multiAzFailover: bool,
  snapshotRetentionDays: int({ min: 0 }),
});

const postgresShape = obj({
  engineVersion: str({ pattern: /^\d+(\.\d+)?$/, patternName: "a Postgres version like 16.4" }),
  instanceClass: optional(str({ pattern: /^db\./, patternName: "an RDS class like db.r6g.large" })),
  allocatedStorageGb: int({ min: 1 }),
  multiAz: bool,
  backupRetentionDays: int({ min: 0, max: 35 }),
  proxy: optional(bool, false),
  /** In-cluster (CloudNativePG, local) instance count; RDS availability comes from `multiAz`. */
  instances: optional(int({ min: 1 })),
  /** Second Region the RDS automated backups are replicated to (required in prod). */
  backupReplicationRegion: optional(str({ pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, patternName: "an AWS Region like us-west-2" })),
});

const gatewayShape = obj({
  corsOrigins: list(str({ pattern: ORIGIN, patternName: "an origin like https://app.example.com" }), { minItems: 1 }),
  rateLimit: obj({ perSecond: int({ min: 1 }), perMinute: int({ min: 1 }) }),
  requestSizeLimitMb: int({ min: 1, max: 64 }),
  replicas: int({ min: 1 }),
  /** ACM certificate for the public load balancer (AWS stacks). */
  certificateArn: optional(str({ pattern: /^arn:aws:acm:/, patternName: "an ACM certificate ARN" })),
  wafRateLimitPer5Min: optional(int({ min: 100 }), 2000),
  /**
   * Token issuer Kong's jwt plugin trusts (`iss` claim and RS256 public key of the auth service).
   * Unset: no credential is registered and every authenticated route answers 401 (fail closed).
   */
  jwt: optional(
    obj({
      issuer: str({ pattern: /^https:\/\/[^\s]+$/, patternName: "an https:// issuer URL" }),
      publicKeyPem: str({ pattern: /^-----BEGIN PUBLIC KEY-----/, patternName: "a PEM public key" }),
    }),
  ),
});

/**
 * Real-time delivery (WebSocket gateway, docs/adr/0001-websocket-fan-out.md): replay window,
 * browser stream token, graceful drain on deploy, and the load the replay store is sized for.
 */
const realtimeShape = obj({
  /** How far back a reconnecting client may resume from its last event id (per-user Redis stream TTL). */
  replayWindowSeconds: optional(int({ min: 30, max: 86_400 }), 300),
  /** Newest events kept per user within the window (stream MAXLEN): bounds memory per user. */
  replayMaxEventsPerUser: optional(int({ min: 10, max: 100_000 }), 500),
  /** Lifetime of the short-lived stream token the browser sends as a cookie on the handshake. */
  streamTokenTtlSeconds: optional(int({ min: 30, max: 900 }), 60),
  /** Name of that cookie (HttpOnly, Secure, SameSite=Strict, Path=/ws). */
  streamTokenCookie: optional(str({ pattern: /^[A-Za-z0-9_-]{1,64}$/, patternName: "a cookie name" }), "tm_stream"),
  /** Window over which a terminating pod closes its sockets so clients reconnect gradually. */
  drainSeconds: optional(int({ min: 5, max: 1800 }), 60),
  /** Peak user events per second (trade, order, position) the replay store is sized for (10x today). */
  peakUserEventsPerSecond: optional(int({ min: 1 }), 100),
  /** Average serialized event size in a replay stream, bytes. */
  averageEventBytes: optional(int({ min: 64 }), 512),
});

const meshShape = obj({
  traceSamplingPercent: num({ min: 0, max: 100 }),
  accessLogs: bool,
  istiodReplicas: int({ min: 1 }),
});

/** CPU and memory of one pod (requests; memory is also the limit). */
const podResources = obj({
  cpu: str({ pattern: CPU_QUANTITY, patternName: "a CPU quantity like 500m" }),
  memory: str({ pattern: MEMORY_QUANTITY, patternName: "a memory quantity like 4Gi" }),
});

const observabilityShape = obj({
  prometheusRetention: str({ pattern: DURATION, patternName: "a duration like 15d" }),
  scrapeIntervalSeconds: int({ min: 5, max: 120 }),
  evaluationIntervalSeconds: int({ min: 5, max: 120 }),
  tailSampling: obj({
    baseRatePercent: num({ min: 0, max: 100 }),
    latencyThresholdMs: int({ min: 1 }),
  }),
  logging: obj({
    enabled: bool,
    retentionDays: int({ min: 1 }),
    auditRetentionDays: int({ min: 1 }),
    elasticsearchNodes: optional(int({ min: 1 }), 1),
    /** Per Elasticsearch node: requests = limits (the JVM heap is half the memory). */
    elasticsearchResources: optional(podResources, { cpu: "1", memory: "4Gi" }),
    kibanaResources: optional(podResources, { cpu: "500m", memory: "1Gi" }),
  }),
  grafanaReplicas: optional(int({ min: 1 }), 1),
});

const cpu = str({ pattern: CPU_QUANTITY, patternName: "a CPU quantity like 250m" });

/** The raw shape of all `trademaster:*` keys of a stack file. */
export const platformConfigCheck = obj({
  environment: oneOf(ENVIRONMENTS),
  domain: str({ pattern: HOSTNAME, patternName: "a DNS name like trademaster.example.com" }),
  aws: optional(awsShape),
  kubernetes: optional(
    obj({
      /** kubeconfig context for local; ignored on AWS where the EKS kubeconfig is used. */
      context: optional(str({ minLength: 1 })),
      /** CPU request of each Istio sidecar, counted in the footprint and set on the proxies. */
      sidecarCpuRequest: optional(cpu, "50m"),
    }),
    { sidecarCpuRequest: "50m" },
  ),
  kafka: kafkaShape,
  redis: redisShape,
  postgres: postgresShape,
  gateway: gatewayShape,
  mesh: meshShape,
  realtime: optional(realtimeShape, {
    replayWindowSeconds: 300,
    replayMaxEventsPerUser: 500,
    streamTokenTtlSeconds: 60,
    streamTokenCookie: "tm_stream",
    drainSeconds: 60,
    peakUserEventsPerSecond: 100,
    averageEventBytes: 512,
  }),
  observability: observabilityShape,
  protectData: optional(bool, false),
  /** PagerDuty routing key for critical alerts (secret; staging and prod). */
  pagerdutyRoutingKey: optional(str({ minLength: 1 })),
  /** Slack webhook URL for warnings and tickets (secret; staging and prod). */
  slackWebhookUrl: optional(str({ minLength: 1 })),
  /** Dead-man's switch URL Alertmanager pings with Watchdog every minute (secret; staging and prod). */
  heartbeatUrl: optional(str({ minLength: 1 })),
});

type Parsed = NonNullable<ReturnType<typeof platformConfigCheck>>;

/** The validated configuration of one stack. */
export type PlatformConfig = Parsed & {
  /** The stack name (also the environment overlay used for charts and the catalog). */
  stack: string;
  /** True on AWS stacks: managed Kafka, Redis, Postgres; EKS; edge. */
  onAws: boolean;
  kubernetes: NonNullable<Parsed["kubernetes"]>;
  realtime: NonNullable<Parsed["realtime"]>;
};

export type AwsConfig = NonNullable<Parsed["aws"]>;

/** Keys that hold secrets: set them with `pulumi config set --secret`. */
export const SECRET_KEYS = ["pagerdutyRoutingKey", "slackWebhookUrl", "heartbeatUrl"] as const;

/**
 * Cross-field rules: what makes a stack safe for its environment. Every rule names the key it
 * concerns so the user knows what to change.
 */
export function crossFieldIssues(c: Parsed): Issue[] {
  const issues: Issue[] = [];
  const add = (path: string, expected: string, found: unknown) =>
    issues.push({ path, expected, found: typeof found === "string" ? found : JSON.stringify(found) });
  const env = c.environment;
  const onAws = env !== "local";
  if (onAws && !c.aws) add("aws", `AWS settings for the ${env} environment`, "nothing (missing)");
  if (!onAws && !/^\d+\.\d+\.\d+$/.test(c.kafka.version)) add("kafka.version", "an exact Kafka version like 4.1.0 (Strimzi)", c.kafka.version);
  if (!onAws && c.aws) add("aws", "no AWS settings on the local environment (it runs in any kube context)", "an aws block");
  if (c.aws) {
    const azs = c.aws.availabilityZones;
    if (env === "prod" && azs.length < 3) add("aws.availabilityZones", "3 availability zones in prod", `${azs.length}`);
    const badRegion = azs.find((z) => !z.startsWith(c.aws!.region));
    if (badRegion) add("aws.availabilityZones", `zones of region ${c.aws.region}`, badRegion);
    if (c.aws.eks.publicAccessCidrs.includes("0.0.0.0/0")) {
      add("aws.eks.publicAccessCidrs", "an endpoint not open to the world (no 0.0.0.0/0)", "0.0.0.0/0");
    }
    c.aws.eks.nodeGroups.forEach((g, i) => {
      if (!(g.minSize <= g.desiredSize && g.desiredSize <= g.maxSize)) {
        add(`aws.eks.nodeGroups[${i}]`, "minSize <= desiredSize <= maxSize", `${g.minSize}/${g.desiredSize}/${g.maxSize}`);
      }
    });
    const certAccount = c.gateway.certificateArn?.split(":")[4];
    if (certAccount && certAccount !== c.aws.accountId) {
      add("gateway.certificateArn", `a certificate of account ${c.aws.accountId}`, `account ${certAccount}`);
    }
    if (!(MSK_KAFKA_VERSIONS as readonly string[]).includes(c.kafka.version)) {
      add("kafka.version", `an MSK version: one of ${MSK_KAFKA_VERSIONS.join(", ")}`, c.kafka.version);
    }
    if (c.postgres.instances !== undefined) {
      add("postgres.instances", "no instance count on AWS (RDS: one instance, Multi-AZ standby through postgres.multiAz)", `${c.postgres.instances}`);
    }
    if (c.postgres.backupReplicationRegion === c.aws.region) {
      add("postgres.backupReplicationRegion", `a Region other than the stack's (${c.aws.region})`, c.postgres.backupReplicationRegion);
    }
    if (!c.kafka.brokerInstanceType) add("kafka.brokerInstanceType", "an MSK broker type like kafka.m7g.large on AWS", "nothing (missing)");
    if (!c.redis.nodeType) add("redis.nodeType", "an ElastiCache node type on AWS", "nothing (missing)");
    if (!c.postgres.instanceClass) add("postgres.instanceClass", "an RDS instance class on AWS", "nothing (missing)");
    if (c.kafka.brokers % azs.length !== 0) {
      add("kafka.brokers", `a multiple of the ${azs.length} availability zones (MSK spreads brokers evenly)`, `${c.kafka.brokers}`);
    }
  }
  // Kafka is the source a lagging bridge catches up from: it must keep at least the replay window.
  if (c.realtime && c.kafka.replayRetentionHours * 3600 < c.realtime.replayWindowSeconds) {
    add("kafka.replayRetentionHours", `at least the replay window (realtime.replayWindowSeconds = ${c.realtime.replayWindowSeconds} s)`, `${c.kafka.replayRetentionHours} h`);
  }
  // The replay streams live in Redis: at peak they may take at most half of a node's memory.
  if (c.realtime) {
    const need = replayMemoryBytes({ realtime: c.realtime });
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
    if (onAws && c.redis.nodeType) {
      const nodeGib = ELASTICACHE_NODE_MEMORY_GIB[c.redis.nodeType];
      if (nodeGib === undefined) {
        add("redis.nodeType", `a node type of the replay sizing table (${Object.keys(ELASTICACHE_NODE_MEMORY_GIB).join(", ")})`, c.redis.nodeType);
      } else if (need > (nodeGib * 2 ** 30) / 2) {
        add("redis.nodeType", `a node with at least ${gib(2 * need)} (replay streams need ${gib(need)} at peak: realtime.*)`, `${c.redis.nodeType} (${nodeGib} GiB)`);
      }
    }
    if (!onAws && need > LOCAL_REDIS_MAXMEMORY_BYTES / 2) {
      add("realtime.peakUserEventsPerSecond", `replay streams within half of the local Redis maxmemory (${gib(LOCAL_REDIS_MAXMEMORY_BYTES)})`, `${gib(need)} needed`);
    }
  }
  if (c.kafka.replicationFactor > c.kafka.brokers) {
    add("kafka.replicationFactor", `at most the broker count (${c.kafka.brokers})`, `${c.kafka.replicationFactor}`);
  }
  if (c.kafka.minInsyncReplicas > c.kafka.replicationFactor) {
    add("kafka.minInsyncReplicas", `at most the replication factor (${c.kafka.replicationFactor})`, `${c.kafka.minInsyncReplicas}`);
  }
  if (onAws) {
    if (c.kafka.replicationFactor < 3) add("kafka.replicationFactor", `3 or more in ${env}`, `${c.kafka.replicationFactor}`);
    if (c.kafka.minInsyncReplicas < 2) add("kafka.minInsyncReplicas", `2 or more in ${env}`, `${c.kafka.minInsyncReplicas}`);
    if (c.kafka.uncleanLeaderElection) add("kafka.uncleanLeaderElection", `false in ${env} (no data loss on failover)`, "true");
    if (c.gateway.corsOrigins.includes("*")) add("gateway.corsOrigins", `explicit origins in ${env}, never "*"`, "*");
    if (!c.gateway.certificateArn) add("gateway.certificateArn", `an ACM certificate for TLS in ${env}`, "nothing (missing)");
    if (durationDays(c.observability.prometheusRetention) < SLO_WINDOW_DAYS) {
      add("observability.prometheusRetention", `at least ${SLO_WINDOW_DAYS}d in ${env} (the SLO window the dashboards' error budgets read)`, c.observability.prometheusRetention);
    }
    if (c.postgres.backupRetentionDays < 7) add("postgres.backupRetentionDays", `7 or more in ${env}`, `${c.postgres.backupRetentionDays}`);
  }
  if (onAws) {
    // Alerts that reach no one are an outage nobody sees.
    for (const key of SECRET_KEYS) {
      if (!c[key]) add(key, `a secret set with \`pulumi config set --secret trademaster:${key} ...\` in ${env}`, "nothing (missing)");
    }
  }
  if (env === "prod") {
    if (!c.redis.multiAzFailover) add("redis.multiAzFailover", "true in prod", "false");
    if (c.redis.replicasPerShard < 1) add("redis.replicasPerShard", "1 or more in prod (failover needs a replica)", `${c.redis.replicasPerShard}`);
    if (!c.postgres.multiAz) add("postgres.multiAz", "true in prod", "false");
    if (!c.postgres.proxy) add("postgres.proxy", "true in prod (RDS Proxy pools connections)", "false");
    if (onAws && !c.postgres.backupReplicationRegion) add("postgres.backupReplicationRegion", "a second Region for the RDS automated backups in prod", "nothing (missing)");
    if (c.redis.snapshotRetentionDays < 1) add("redis.snapshotRetentionDays", "1 or more in prod", `${c.redis.snapshotRetentionDays}`);
    if (!c.protectData) add("protectData", "true in prod", "false");
    if (c.gateway.replicas < 2) add("gateway.replicas", "2 or more in prod", `${c.gateway.replicas}`);
    if (c.mesh.istiodReplicas < 2) add("mesh.istiodReplicas", "2 or more in prod", `${c.mesh.istiodReplicas}`);
  }
  return issues;
}

export type { Check };

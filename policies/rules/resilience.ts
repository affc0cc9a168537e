/**
 * Availability and data-protection policies: replicas and disruption budgets, protected and
 * backed-up data stores, durable Kafka topics, and SLO alerts plus a dashboard per service.
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import type { SloSpec } from "../../infra/catalog/schema";
import { catalogFor, type CatalogPolicyConfig } from "../lib/catalog";
import { asArray, asBool, asNumber, asObject, asString, at, atPath, isChartRendered, isKube, isProvided, PROM_OPERATOR, selectorMatches, STRIMZI } from "../lib/props";
import { asvs, cisAws, levels, owasp, pci, type TrademasterResourcePolicy, type TrademasterStackPolicy } from "../lib/types";

function namespaceOf(r: PolicyResource): string {
  return asString(at(r.props, "metadata", "namespace")) ?? "default";
}

/** Why a PDB spec allows no voluntary eviction at `replicas` pods, if it does. */
export function blocksEviction(spec: unknown, replicas: number): { path: string; message: string } | undefined {
  const maxUnavailable = at(spec, "maxUnavailable");
  if (maxUnavailable === 0 || maxUnavailable === "0" || maxUnavailable === "0%") return { path: "spec.maxUnavailable", message: `is ${String(maxUnavailable)}` };
  const minAvailable = at(spec, "minAvailable");
  if (minAvailable === "100%") return { path: "spec.minAvailable", message: "is 100%" };
  const min = asNumber(minAvailable);
  if (typeof minAvailable !== "string" || !minAvailable.endsWith("%")) {
    if (min !== undefined && min >= replicas) return { path: "spec.minAvailable", message: `is ${min} with ${replicas} replica(s)` };
  }
  return undefined;
}

export const replicasAndPdb: TrademasterStackPolicy = {
  kind: "stack",
  name: "replicas-and-disruption-budget",
  description: "Every Deployment and StatefulSet we declare runs at least 2 replicas (directly or through its HPA) and has a PodDisruptionBudget selecting its pods that still lets one pod be evicted; no PodDisruptionBudget (chart-rendered ones included) forbids every eviction (maxUnavailable 0, minAvailable 100% or equal to the replicas).",
  severity: "medium",
  enforcement: levels("disabled", "advisory", "mandatory"),
  controls: [owasp("API4:2023", "Unrestricted Resource Consumption"), asvs("V1.14.x", "Configuration architecture: availability"), pci("12.10.1", "Incident response plan: business continuity")],
  remediation: "Set spec.replicas >= 2 (or an HPA with minReplicas >= 2) and declare a policy/v1 PodDisruptionBudget whose selector.matchLabels match the pod template labels, with maxUnavailable: 1 (or minAvailable below the replica count).",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const pdbs = args.resources.filter((r) => isKube(r.type, "policy", "PodDisruptionBudget"));
    const hpas = args.resources.filter((r) => isKube(r.type, "autoscaling", "HorizontalPodAutoscaler"));
    const reported = new Set<string>();
    // A chart's own controllers are often singletons by design (prometheus-operator, kube-state-metrics
    // duplicate their work with a second replica): their replica counts are the chart values' choice.
    // Their PodDisruptionBudgets are still checked for blocking drains below.
    const workloads = args.resources.filter((r) => (isKube(r.type, "apps", "Deployment") || isKube(r.type, "apps", "StatefulSet")) && !isChartRendered(r));
    for (const w of workloads) {
      const ns = namespaceOf(w);
      const name = asString(at(w.props, "metadata", "name")) ?? w.name;
      const kind = asString(w.props.kind) ?? w.type.split(":")[2];
      const hpa = hpas.find(
        (h) => namespaceOf(h) === ns && asString(at(h.props, "spec", "scaleTargetRef", "name")) === name && asString(at(h.props, "spec", "scaleTargetRef", "kind")) === kind,
      );
      const replicas = asNumber(at(w.props, "spec", "replicas")) ?? (hpa ? undefined : 1);
      const hpaMin = hpa ? (asNumber(at(hpa.props, "spec", "minReplicas")) ?? 1) : undefined;
      const effective = Math.max(replicas ?? 0, hpaMin ?? 0);
      if (effective < 2) report(atPath("spec.replicas", `${kind} "${ns}/${name}" runs ${effective} replica(s)${hpa ? " (HPA minReplicas included)" : ""}`), w.urn);
      const labels = asObject(at(w.props, "spec", "template", "metadata", "labels")) ?? {};
      const mine = pdbs.filter((p) => namespaceOf(p) === ns && selectorMatches(at(p.props, "spec", "selector"), labels));
      if (mine.length === 0) report(`${kind} "${ns}/${name}" has no PodDisruptionBudget selecting its pods`, w.urn);
      for (const pdb of mine) {
        const why = blocksEviction(at(pdb.props, "spec"), effective);
        if (why && !reported.has(pdb.urn)) {
          reported.add(pdb.urn);
          report(atPath(why.path, `${why.message}: no pod of ${kind} "${ns}/${name}" can ever be evicted, so node drains and upgrades hang`), pdb.urn);
        }
      }
    }
    // Any other PDB (a chart's, or one selecting nothing we declare) that forbids every eviction.
    for (const pdb of pdbs.filter((p) => !reported.has(p.urn))) {
      const why = blocksEviction(at(pdb.props, "spec"), Number.POSITIVE_INFINITY);
      if (why) report(atPath(why.path, `${why.message}: no pod it selects can ever be evicted, so node drains and upgrades hang`), pdb.urn);
    }
  },
};

/** Types whose deletion loses data: they must be `protect`ed in prod. */
export function isStateful(type: string): boolean {
  return (
    [
      "aws:rds/instance:Instance",
      "aws:rds/cluster:Cluster",
      "aws:elasticache/replicationGroup:ReplicationGroup",
      "aws:msk/cluster:Cluster",
      "aws:opensearch/domain:Domain",
      "aws:elasticsearch/domain:Domain",
      "aws:s3/bucket:Bucket",
      "aws:s3/bucketV2:BucketV2",
      "aws:kms/key:Key",
      "kafka:index/topic:Topic",
      "kubernetes:core/v1:PersistentVolumeClaim",
    ].includes(type) ||
    isKube(type, STRIMZI, "Kafka") ||
    isKube(type, STRIMZI, "KafkaTopic") ||
    isKube(type, STRIMZI, "KafkaNodePool") ||
    isKube(type, "postgresql.cnpg.io", "Cluster") ||
    isKube(type, "elasticsearch.k8s.elastic.co", "Elasticsearch")
  );
}

/** Backups kept at least this many days on RDS. */
export const MIN_BACKUP_RETENTION_DAYS = 7;

export const dataProtection: TrademasterResourcePolicy = {
  kind: "resource",
  name: "data-protection",
  description: "Stateful resources are protected from deletion (Pulumi protect, deletionProtection on RDS and the EKS cluster), backed up, and leave a final snapshot.",
  severity: "high",
  enforcement: levels("disabled", "advisory", "mandatory"),
  controls: [
    cisAws("2.3.x", "RDS: automated backups and deletion protection"),
    asvs("V8.1.x", "Data protection: backups and integrity"),
    pci("10.5.1", "Audit log history is retained"),
    pci("12.10.1", "Incident response plan: business recovery and continuity"),
  ],
  remediation:
    `Pass { protect: config.protectData } to stateful resources; set deletionProtection: true on the EKS cluster; on RDS set deletionProtection: true, backupRetentionPeriod >= ${MIN_BACKUP_RETENTION_DAYS}, skipFinalSnapshot: false and a finalSnapshotIdentifier; on ElastiCache set snapshotRetentionLimit >= 1 and finalSnapshotIdentifier; on CloudNativePG clusters configure spec.backup.`,
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    // The EKS cluster holds every workload's state (etcd): deleting it loses the cluster.
    if (args.type === "aws:eks/cluster:Cluster" && asBool(args.props.deletionProtection) !== true) report(atPath("deletionProtection", "is not true: one call deletes the cluster"));
    if (!isStateful(args.type)) return;
    if (!args.opts.protect) report("not protected (resource option protect: true)");
    const p = args.props;
    if (args.type === "aws:rds/instance:Instance" || args.type === "aws:rds/cluster:Cluster") {
      if (asBool(p.deletionProtection) !== true) report(atPath("deletionProtection", "is not true"));
      if (args.type === "aws:rds/cluster:Cluster" || !isProvided(p, "replicateSourceDb")) {
        const days = asNumber(p.backupRetentionPeriod) ?? 0;
        if (days < MIN_BACKUP_RETENTION_DAYS) report(atPath("backupRetentionPeriod", `is ${days} (at least ${MIN_BACKUP_RETENTION_DAYS} days, point-in-time recovery)`));
      }
      if (asBool(p.skipFinalSnapshot) === true) report(atPath("skipFinalSnapshot", "is true"));
      else if (!isProvided(p, "finalSnapshotIdentifier")) report(atPath("finalSnapshotIdentifier", "is missing: deletion fails or loses the last state"));
    }
    if (args.type === "aws:elasticache/replicationGroup:ReplicationGroup") {
      const days = asNumber(p.snapshotRetentionLimit) ?? 0;
      if (days < 1) report(atPath("snapshotRetentionLimit", `is ${days} (at least 1)`));
      if (!isProvided(p, "finalSnapshotIdentifier")) report(atPath("finalSnapshotIdentifier", "is missing"));
    }
    if (isKube(args.type, "postgresql.cnpg.io", "Cluster") && !asObject(at(p, "spec", "backup"))) report(atPath("spec.backup", "is missing on the CloudNativePG cluster"));
  },
};

/** Kafka durability floor (INT-001): no acknowledged write is lost when one broker fails. */
export const MIN_REPLICATION_FACTOR = 3;
export const MIN_INSYNC_REPLICAS = 2;

function kafkaDurabilityProblems(rf: number | undefined, config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (rf !== undefined && rf < MIN_REPLICATION_FACTOR) problems.push(`replication factor ${rf} (at least ${MIN_REPLICATION_FACTOR})`);
  const isr = asNumber(config["min.insync.replicas"]);
  if (isr === undefined) problems.push(`min.insync.replicas not set (at least ${MIN_INSYNC_REPLICAS})`);
  else if (isr < MIN_INSYNC_REPLICAS) problems.push(`min.insync.replicas ${isr} (at least ${MIN_INSYNC_REPLICAS})`);
  if (String(config["unclean.leader.election.enable"]) === "true") problems.push("unclean.leader.election.enable is true");
  return problems;
}

/** `key=value` lines of a Kafka server.properties text. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^#=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

export const kafkaDurability: TrademasterResourcePolicy = {
  kind: "resource",
  name: "kafka-topic-durability",
  description: `Kafka topics and brokers keep data through a broker loss: replication factor >= ${MIN_REPLICATION_FACTOR}, min.insync.replicas >= ${MIN_INSYNC_REPLICAS}, no unclean leader election.`,
  severity: "high",
  enforcement: levels("advisory", "mandatory", "mandatory"),
  controls: [asvs("V8.1.x", "Data protection: integrity and availability"), pci("10.5.1", "Audit log history is retained"), owasp("API8:2023", "Security Misconfiguration")],
  remediation: `Set replicationFactor (kafka.Topic) or spec.replicas (Strimzi KafkaTopic) >= ${MIN_REPLICATION_FACTOR} and config min.insync.replicas >= ${MIN_INSYNC_REPLICAS}; in the MSK configuration set default.replication.factor=3, min.insync.replicas=2, unclean.leader.election.enable=false.`,
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const p = args.props;
    let problems: string[] = [];
    if (args.type === "kafka:index/topic:Topic") {
      problems = kafkaDurabilityProblems(asNumber(p.replicationFactor) ?? 0, asObject(p.config) ?? {});
    } else if (isKube(args.type, STRIMZI, "KafkaTopic")) {
      problems = kafkaDurabilityProblems(asNumber(at(p, "spec", "replicas")) ?? 0, asObject(at(p, "spec", "config")) ?? {});
    } else if (args.type === "aws:msk/configuration:Configuration") {
      const props = parseProperties(asString(p.serverProperties) ?? "");
      problems = kafkaDurabilityProblems(asNumber(props["default.replication.factor"]) ?? 0, props);
    } else {
      return;
    }
    if (problems.length) report(problems.join("; "));
  },
};

/** Values mentioned by a resource's metadata labels and name. */
function mentions(r: PolicyResource, service: string): boolean {
  const name = asString(at(r.props, "metadata", "name")) ?? r.name;
  const labels = Object.values(asObject(at(r.props, "metadata", "labels")) ?? {});
  return labels.includes(service) || name === service || name.startsWith(`${service}-`) || name.endsWith(`-${service}`) || name.includes(`-${service}-`);
}

function alertsOf(rule: PolicyResource): Array<{ expr: string }> {
  return asArray(at(rule.props, "spec", "groups"))
    .flatMap((g) => asArray(at(g, "rules")))
    .filter((r) => asString(at(r, "alert")) !== undefined)
    .map((r) => ({ expr: asString(at(r, "expr")) ?? "" }));
}

/** The SLIs a catalog SLO declares, by the `slo` label value of their series. */
export function sloKinds(slo: SloSpec): string[] {
  return ["availability", "latency", ...(slo.errorRatePercent !== undefined ? ["error-rate"] : [])];
}

/** True when an alert expression selects the SLO series of a service (both matchers in one selector). */
export function isSloAlert(expr: string, service: string, kind: string): boolean {
  return [...expr.matchAll(/\{([^}]*)\}/g)].some((m) => {
    const matchers = m[1];
    return new RegExp(`(^|,)\\s*service\\s*=\\s*"${service}"`).test(matchers) && new RegExp(`(^|,)\\s*slo\\s*=\\s*"${kind}"`).test(matchers);
  });
}

function isDashboard(r: PolicyResource): boolean {
  if (isKube(r.type, "grafana.integreatly.org", "GrafanaDashboard")) return true;
  return isKube(r.type, "core", "ConfigMap") && asObject(at(r.props, "metadata", "labels"))?.grafana_dashboard !== undefined;
}

export const observabilityCoverage: TrademasterStackPolicy = {
  kind: "stack",
  name: "observability-coverage",
  description: "Every catalog service with an SLO has a burn-rate alert per SLI it declares (availability, latency, error rate), selecting the service's SLO series, and every catalog service has a Grafana dashboard.",
  severity: "medium",
  enforcement: levels("advisory", "mandatory", "mandatory"),
  usesCatalog: true,
  controls: [owasp("API8:2023", "Security Misconfiguration (insufficient monitoring)"), asvs("V7.1.x", "Log content and monitoring"), pci("10.4.1", "Audit logs are reviewed"), pci("10.7.2", "Failures of critical security control systems are detected")],
  remediation: "Derive a PrometheusRule with multi-window burn-rate alerts per SLI whose expression selects the service's SLO recording rules ({service=\"<name>\", slo=\"availability|latency|error-rate\"}) and a dashboard ConfigMap (label grafana_dashboard) for every catalog service.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const catalog = catalogFor(args.getConfig<CatalogPolicyConfig>());
    const rules = args.resources.filter((r) => isKube(r.type, PROM_OPERATOR, "PrometheusRule"));
    const dashboards = args.resources.filter(isDashboard);
    const alerts = rules.flatMap(alertsOf);
    for (const service of catalog.services) {
      if (service.slo) {
        const missing = sloKinds(service.slo).filter((kind) => !alerts.some((a) => isSloAlert(a.expr, service.name, kind)));
        if (missing.length) report(`service "${service.name}" has no SLO burn-rate alert for ${missing.join(", ")} (an alert whose expression selects service="${service.name}" and slo="<kind>")`);
      }
      const hasDashboard = dashboards.some(
        (d) => mentions(d, service.name) || Object.values(asObject(at(d.props, "data")) ?? {}).some((v) => (asString(v) ?? "").includes(`"${service.name}"`)),
      );
      if (!hasDashboard) report(`service "${service.name}" has no dashboard (ConfigMap labelled grafana_dashboard)`);
    }
  },
};

export const highAvailabilityDataStores: TrademasterResourcePolicy = {
  kind: "resource",
  name: "high-availability-data-stores",
  description: "Prod data stores survive the loss of an availability zone: RDS Multi-AZ, ElastiCache Multi-AZ with automatic failover and a replica, MSK brokers in multiples of three zones.",
  severity: "high",
  enforcement: levels("disabled", "disabled", "mandatory"),
  controls: [asvs("V1.14.x", "Configuration architecture: availability"), pci("12.10.1", "Incident response plan: business continuity"), cisAws("2.3.x", "RDS: Multi-AZ for production databases")],
  remediation: "Set multiAz: true on RDS instances (not read replicas); multiAzEnabled: true, automaticFailoverEnabled: true and numCacheClusters >= 2 on ElastiCache replication groups; numberOfBrokerNodes a multiple of 3 on MSK (one broker set per zone).",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const p = args.props;
    if (args.type === "aws:rds/instance:Instance" && !isProvided(p, "replicateSourceDb") && asBool(p.multiAz) !== true) report(atPath("multiAz", "is not true: one zone outage takes the database down"));
    if (args.type === "aws:elasticache/replicationGroup:ReplicationGroup") {
      if (asBool(p.multiAzEnabled) !== true) report(atPath("multiAzEnabled", "is not true"));
      if (asBool(p.automaticFailoverEnabled) !== true) report(atPath("automaticFailoverEnabled", "is not true"));
      const nodes = asNumber(p.numCacheClusters);
      if (nodes !== undefined && nodes < 2) report(atPath("numCacheClusters", `is ${nodes}: no replica to fail over to`));
    }
    if (args.type === "aws:msk/cluster:Cluster") {
      const brokers = asNumber(p.numberOfBrokerNodes) ?? 0;
      if (brokers < 3 || brokers % 3 !== 0) report(atPath("numberOfBrokerNodes", `is ${brokers} (expected a multiple of 3: brokers in three zones)`));
    }
  },
};

/**
 * Every policy with a passing and a failing fixture, run through the engine-faithful harness with
 * the environment's enforcement levels.
 */
import { describe, expect, it } from "vitest";
import { encryptionAtRest, encryptionInTransit, kmsRotation, s3Encryption } from "../../policies/rules/encryption";
import { corsNoWildcard, securityHeaders } from "../../policies/rules/gateway";
import { mtlsStrict, noRetryNonIdempotent, outlierDetection, retryBudget } from "../../policies/rules/mesh";
import { dataProtection, kafkaDurability, observabilityCoverage, replicasAndPdb } from "../../policies/rules/resilience";
import { noPlaintextSecrets, workloadHardening, isPinnedImage } from "../../policies/rules/workloads";
import { ALL_POLICIES } from "../../policies/pack";
import { loadCatalog } from "../../infra/catalog/load";
import { UNKNOWN, SECRET } from "../../infra/plan/types";
import { deployment, goodContainer, kube, messages, res, run } from "./fixtures";

const catalog = loadCatalog();
const OWASP_HEADERS = [
  "Strict-Transport-Security:max-age=31536000; includeSubDomains",
  "X-Content-Type-Options:nosniff",
  "X-Frame-Options:DENY",
  "Content-Security-Policy:default-src 'none'; frame-ancestors 'none'",
  "Referrer-Policy:no-referrer",
];
const globalHeaders = (headers: string[]) =>
  kube("configuration.konghq.com/v1", "KongClusterPlugin", "security-headers", { metadata: { labels: { global: "true" } }, plugin: "response-transformer", config: { add: { headers } } }, "");

describe("security-headers", () => {
  it("passes with a global OWASP response-transformer", async () => {
    expect((await run(securityHeaders, [globalHeaders(OWASP_HEADERS)])).diagnostics).toEqual([]);
  });
  it("fails on weak values and names the header", async () => {
    const weak = OWASP_HEADERS.map((h) => (h.startsWith("Strict") ? "Strict-Transport-Security:max-age=300" : h)).filter((h) => !h.startsWith("X-Frame"));
    const m = messages(await run(securityHeaders, [globalHeaders(weak)]));
    expect(m[0]).toMatch(/strict-transport-security is "max-age=300"/);
    expect(m[0]).toMatch(/x-frame-options missing/);
    // Without a compliant plugin, every exposed catalog route is reported.
    const exposed = catalog.services.flatMap((s) => s.routes.filter((r) => r.exposed)).length;
    expect(m.filter((x) => x.startsWith("exposed route"))).toHaveLength(exposed);
  });
  it("accepts per-route plugins via the konghq.com/plugins annotation and checks CloudFront", async () => {
    const plugin = kube("configuration.konghq.com/v1", "KongPlugin", "headers", { plugin: "response-transformer", config: { add: { headers: OWASP_HEADERS } } }, "tm-trading");
    const route = kube("gateway.networking.k8s.io/v1", "HTTPRoute", "all", { metadata: { annotations: { "konghq.com/plugins": "headers" } }, spec: { rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }] }] } }, "tm-trading");
    const cf = res("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "static", {
      securityHeadersConfig: { strictTransportSecurity: { accessControlMaxAgeSec: 300, includeSubdomains: true, override: true }, contentTypeOptions: { override: true } },
    });
    const m = messages(await run(securityHeaders, [plugin, route, cf]));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/CloudFront.*max-age=300/);
  });
});

describe("cors-no-wildcard", () => {
  const cors = (origins: string[]) => kube("configuration.konghq.com/v1", "KongClusterPlugin", "cors", { plugin: "cors", config: { origins } }, "");
  it("passes explicit origins, fails `*` as mandatory in prod and advisory in local", async () => {
    expect((await run(corsNoWildcard, [cors(["https://app.trademaster.example.com"])])).diagnostics).toEqual([]);
    const prod = await run(corsNoWildcard, [cors(["*"])], "prod");
    expect(prod.diagnostics[0].enforcementLevel).toBe("mandatory");
    expect((await run(corsNoWildcard, [cors(["*"])], "local")).diagnostics[0].enforcementLevel).toBe("advisory");
  });
});

describe("mtls-strict", () => {
  const meshWide = kube("security.istio.io/v1", "PeerAuthentication", "default", { spec: { mtls: { mode: "STRICT" } } }, "istio-system");
  it("passes with a mesh-wide STRICT policy", async () => {
    expect((await run(mtlsStrict, [meshWide])).diagnostics).toEqual([]);
  });
  it("fails on PERMISSIVE ports, DestinationRule tls DISABLE and a missing mesh-wide policy", async () => {
    const permissive = kube("security.istio.io/v1", "PeerAuthentication", "scrape", { spec: { selector: { matchLabels: { app: "a" } }, mtls: { mode: "STRICT" }, portLevelMtls: { "8081": { mode: "PERMISSIVE" } } } });
    const dr = kube("networking.istio.io/v1", "DestinationRule", "x", { spec: { host: "x", trafficPolicy: { tls: { mode: "DISABLE" } } } });
    const m = messages(await run(mtlsStrict, [permissive, dr]));
    expect(m).toEqual(expect.arrayContaining([expect.stringMatching(/^`spec.portLevelMtls\["8081"\].mode` is PERMISSIVE on port 8081/), expect.stringMatching(/^`spec.trafficPolicy.tls.mode` is DISABLE/), expect.stringMatching(/no mesh-wide STRICT/)]));
  });
});

describe("encryption-at-rest-cmk", () => {
  it("passes with customer keys (unknown key ARNs count as set)", async () => {
    const ok = [
      res("aws:rds/instance:Instance", "db", { storageEncrypted: true, kmsKeyId: UNKNOWN }),
      res("aws:elasticache/replicationGroup:ReplicationGroup", "redis", { atRestEncryptionEnabled: true, kmsKeyId: UNKNOWN }),
      res("aws:msk/cluster:Cluster", "kafka", { encryptionInfo: { encryptionAtRestKmsKeyArn: UNKNOWN } }),
      res("aws:eks/cluster:Cluster", "eks", { encryptionConfig: { resources: ["secrets"], provider: { keyArn: UNKNOWN } } }),
      res("aws:ec2/launchTemplate:LaunchTemplate", "lt", { blockDeviceMappings: [{ ebs: { encrypted: "true", kmsKeyId: UNKNOWN } }] }),
      res("aws:opensearch/domain:Domain", "logs", { encryptAtRest: { enabled: true, kmsKeyId: UNKNOWN } }),
    ];
    expect((await run(encryptionAtRest, ok)).diagnostics).toEqual([]);
  });
  it("fails on unencrypted or AWS-managed-key stores", async () => {
    const bad = [
      res("aws:rds/instance:Instance", "db", { storageEncrypted: false }),
      res("aws:msk/cluster:Cluster", "kafka", {}),
      res("aws:eks/cluster:Cluster", "eks", {}),
      res("aws:ebs/volume:Volume", "vol", { encrypted: true }),
    ];
    const r = await run(encryptionAtRest, bad);
    expect(messages(r)).toEqual(
      expect.arrayContaining(["`storageEncrypted` is not true", expect.stringMatching(/encryptionAtRestKmsKeyArn/), expect.stringMatching(/secrets/), expect.stringMatching(/^`kmsKeyId` is missing/)]),
    );
    expect(new Set(r.diagnostics.map((d) => d.urn)).size).toBe(4);
  });
});

describe("s3-sse-kms", () => {
  const bucket = res("aws:s3/bucket:Bucket", "assets", {});
  it("passes when an aws:kms configuration depends on the bucket", async () => {
    const sse = res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "assets-sse", { bucket: UNKNOWN, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: UNKNOWN } }] }, { dependencies: [bucket.urn] });
    expect((await run(s3Encryption, [bucket, sse])).diagnostics).toEqual([]);
  });
  it("fails on AES256 and on a bucket without configuration", async () => {
    const sse = res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "x-sse", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
    const m = messages(await run(s3Encryption, [bucket, sse]));
    expect(m).toEqual(expect.arrayContaining([expect.stringMatching(/AES256 instead of aws:kms/), expect.stringMatching(/bucket "assets" has no server-side encryption/)]));
  });
});

describe("encryption-in-transit", () => {
  it("passes TLS everywhere", async () => {
    const ok = [
      res("aws:rds/parameterGroup:ParameterGroup", "pg", { family: "postgres16", parameters: [{ name: "rds.force_ssl", value: "1" }] }),
      res("aws:elasticache/replicationGroup:ReplicationGroup", "redis", { transitEncryptionEnabled: true, authToken: SECRET }),
      res("aws:msk/cluster:Cluster", "kafka", { encryptionInfo: { encryptionInTransit: { clientBroker: "TLS", inCluster: true } } }),
      kube("kafka.strimzi.io/v1", "Kafka", "kafka", { spec: { kafka: { listeners: [{ name: "tls", port: 9093, type: "internal", tls: true }] } } }, "tm-data"),
    ];
    expect((await run(encryptionInTransit, ok)).diagnostics).toEqual([]);
  });
  it("fails on force_ssl 0, plaintext MSK and a plain Strimzi listener", async () => {
    const bad = [
      res("aws:rds/parameterGroup:ParameterGroup", "pg", { family: "postgres16", parameters: [{ name: "rds.force_ssl", value: "0" }] }),
      res("aws:msk/cluster:Cluster", "kafka", { encryptionInfo: { encryptionInTransit: { clientBroker: "TLS_PLAINTEXT" } } }),
      res("aws:elasticache/replicationGroup:ReplicationGroup", "redis", { transitEncryptionEnabled: false }),
      kube("kafka.strimzi.io/v1", "Kafka", "kafka", { spec: { kafka: { listeners: [{ name: "plain", port: 9092, type: "internal", tls: false }] } } }, "tm-data"),
    ];
    const m = messages(await run(encryptionInTransit, bad));
    expect(m).toEqual(
      expect.arrayContaining([
        "`parameters` sets rds.force_ssl to 0 (expected 1)",
        expect.stringMatching(/TLS_PLAINTEXT/),
        "`transitEncryptionEnabled` is not true",
        expect.stringMatching(/`spec.kafka.listeners\[0\].tls` is false: Kafka listener "plain" \(port 9092\) is plaintext/),
      ]),
    );
  });
});

describe("kms-key-rotation", () => {
  it("passes rotating keys, fails others, and is not applicable to asymmetric keys", async () => {
    expect((await run(kmsRotation, [res("aws:kms/key:Key", "k", { enableKeyRotation: true })])).diagnostics).toEqual([]);
    expect(messages(await run(kmsRotation, [res("aws:kms/key:Key", "k", {})]))).toEqual(["`enableKeyRotation` is not true"]);
    const asym = await run(kmsRotation, [res("aws:kms/key:Key", "sign", { customerMasterKeySpec: "RSA_2048" })]);
    expect(asym.diagnostics).toEqual([]);
    expect(asym.notApplicable[0].reason).toMatch(/asymmetric/);
  });
});

describe("workload-hardening", () => {
  it("passes a restricted, pinned, probed Deployment", async () => {
    expect((await run(workloadHardening, [deployment("trading")])).diagnostics).toEqual([]);
  });
  it("fails each missing control", async () => {
    const c = { ...goodContainer("bad"), image: "nginx:latest", securityContext: { runAsNonRoot: true }, resources: { requests: { cpu: "1" } } };
    delete (c as Record<string, unknown>).livenessProbe;
    const m = messages(await run(workloadHardening, [deployment("bad", { container: c, pod: { hostNetwork: true } })]));
    for (const expected of [
      /^`spec.template.spec.hostNetwork` shares a host namespace/,
      /allowPrivilegeEscalation` is not false/,
      /capabilities.drop` does not include ALL/,
      /readOnlyRootFilesystem` \(container "bad"\) is not true/,
      /resources.requests` \(container "bad"\) has no memory/,
      /resources.limits` \(container "bad"\) has no cpu and memory/,
      /livenessProbe` \(container "bad"\) is missing/,
      /image` \(container "bad"\) "nginx:latest" is not pinned/,
    ]) {
      expect(m.some((x) => expected.test(x)), String(expected)).toBe(true);
    }
    expect(isPinnedImage("repo/app@sha256:" + "a".repeat(64))).toBe(true);
    expect(isPinnedImage("registry:5000/app")).toBe(false);
  });
});

describe("no-plaintext-secrets", () => {
  it("passes settings, references and unknown values", async () => {
    const cm = kube("v1", "ConfigMap", "ok", { data: { DB_HOST: UNKNOWN, TOKEN_TTL_SECONDS: "1800", JWT_SECRET_NAME: "auth-jwt", LOG_FORMAT: "json" } });
    expect((await run(noPlaintextSecrets, [cm, deployment("ok")])).diagnostics).toEqual([]);
  });
  it("fails literal secrets in ConfigMaps and env, and Pulumi secrets leaked into a ConfigMap", async () => {
    const cm = kube("v1", "ConfigMap", "bad", { data: { DB_PASSWORD: "hunter2", API_KEY: SECRET } });
    const env = deployment("bad", { container: { ...goodContainer("bad"), env: [{ name: "REDIS_AUTH_TOKEN", value: "s3cr3t" }, { name: "OK_TOKEN", valueFrom: { secretKeyRef: { name: "x", key: "y" } } }] } });
    const m = messages(await run(noPlaintextSecrets, [cm, env]));
    expect(m).toHaveLength(3);
    expect(m.join("\n")).toMatch(/`data.DB_PASSWORD` looks like a secret/);
    expect(m.join("\n")).toMatch(/`data.API_KEY` holds a Pulumi secret/);
    expect(m.join("\n")).toMatch(/env REDIS_AUTH_TOKEN\) has a literal secret-like value/);
  });
});

describe("replicas-and-disruption-budget", () => {
  const pdb = kube("policy/v1", "PodDisruptionBudget", "trading", { spec: { minAvailable: 1, selector: { matchLabels: { app: "trading" } } } });
  it("passes 3 replicas with a matching PDB; HPA minReplicas counts", async () => {
    const hpa = kube("autoscaling/v2", "HorizontalPodAutoscaler", "trading", { spec: { minReplicas: 2, scaleTargetRef: { kind: "Deployment", name: "trading" } } });
    expect((await run(replicasAndPdb, [deployment("trading"), pdb])).diagnostics).toEqual([]);
    expect((await run(replicasAndPdb, [deployment("trading", { replicas: 1 }), pdb, hpa])).diagnostics).toEqual([]);
  });
  it("fails a single replica without PDB in prod, is disabled on local", async () => {
    const r = await run(replicasAndPdb, [deployment("solo", { replicas: 1 })]);
    expect(messages(r)).toEqual([expect.stringMatching(/runs 1 replica/), expect.stringMatching(/no PodDisruptionBudget/)]);
    expect(r.diagnostics.every((d) => d.enforcementLevel === "mandatory")).toBe(true);
    expect((await run(replicasAndPdb, [deployment("solo", { replicas: 1 })], "local")).diagnostics).toEqual([]);
  });
});

function destinationRule(service: { name: string; namespace: string }, trafficPolicy: Record<string, unknown>) {
  return kube("networking.istio.io/v1", "DestinationRule", service.name, { spec: { host: `${service.name}.${service.namespace}.svc.cluster.local`, trafficPolicy } }, service.namespace);
}

describe("circuit-breaker-per-service", () => {
  const full = { outlierDetection: { consecutive5xxErrors: 5, interval: "5s", baseEjectionTime: "15s" }, connectionPool: { tcp: { maxConnections: 100 } } };
  it("passes when every catalog service has outlier detection and a pool", async () => {
    expect((await run(outlierDetection, catalog.services.map((s) => destinationRule(s, full)))).diagnostics).toEqual([]);
  });
  it("fails a missing rule and a rule without outlier detection", async () => {
    const [first, second, ...rest] = catalog.services;
    const m = messages(await run(outlierDetection, [destinationRule(first, { connectionPool: full.connectionPool }), ...rest.map((s) => destinationRule(s, full))]));
    expect(m).toEqual([`\`spec.trafficPolicy.outlierDetection\` is missing for service "${first.name}" (5xx or gateway-error ejection)`, expect.stringContaining(`service "${second.name}" has no DestinationRule`)]);
  });
});

describe("no-retry-non-idempotent", () => {
  const trading = catalog.services.find((s) => s.name === "trading")!;
  const host = `${trading.name}.${trading.namespace}.svc.cluster.local`;
  const vs = (http: unknown[]) => kube("networking.istio.io/v1", "VirtualService", "trading", { spec: { hosts: [host], http } });
  const dest = [{ destination: { host } }];
  it("passes when the order POST/DELETE routes have attempts 0 before a retrying catch-all", async () => {
    const http = [
      { name: "place-order", match: [{ method: { exact: "POST" }, uri: { prefix: "/api/v1/orders" } }], route: dest, timeout: "2s", retries: { attempts: 0 } },
      { name: "cancel-order", match: [{ method: { exact: "DELETE" }, uri: { regex: "/api/v1/orders/[^/]+" } }], route: dest, retries: { attempts: 0 } },
      { name: "reads", route: dest, timeout: "900ms", retries: { attempts: 1, perTryTimeout: "400ms" } },
    ];
    expect((await run(noRetryNonIdempotent, [vs(http)])).diagnostics).toEqual([]);
  });
  it("fails a catch-all relying on Istio's default retries", async () => {
    const m = messages(await run(noRetryNonIdempotent, [vs([{ name: "all", route: dest, timeout: "2s" }])]));
    expect(m).toHaveLength(trading.routes.filter((r) => !r.idempotent).length);
    expect(m[0]).toMatch(/^`spec.http\[0\].retries` is missing on route "all" .*POST \/api\/v1\/orders .*Istio's default retries apply/);
  });
});

describe("retry-budget-within-timeout", () => {
  const vs = (http: unknown[]) => kube("networking.istio.io/v1", "VirtualService", "portfolio", { spec: { hosts: ["portfolio"], http } });
  it("passes (attempts + 1) x perTryTimeout <= timeout", async () => {
    expect((await run(retryBudget, [vs([{ timeout: "900ms", retries: { attempts: 1, perTryTimeout: "450ms" } }])])).diagnostics).toEqual([]);
  });
  it("fails an over-budget, an unbounded and a per-try-less retry", async () => {
    const m = messages(await run(retryBudget, [vs([{ timeout: "1s", retries: { attempts: 2, perTryTimeout: "500ms" } }, { retries: { attempts: 1 } }, { timeout: "1s", retries: { attempts: 1 } }])]));
    expect(m).toEqual([expect.stringMatching(/^`spec.http\[0\].retries.perTryTimeout` is too long .*3 tries x 500 ms = 1500 ms exceeds the 1000 ms/), expect.stringMatching(/^`spec.http\[1\].timeout` is missing/), expect.stringMatching(/^`spec.http\[2\].retries.perTryTimeout` is missing/)]);
  });
});

describe("data-protection", () => {
  const rdsOk = { deletionProtection: true, backupRetentionPeriod: 14, skipFinalSnapshot: false, finalSnapshotIdentifier: "trademaster-final" };
  it("passes a protected, backed-up RDS instance in prod", async () => {
    expect((await run(dataProtection, [res("aws:rds/instance:Instance", "db", rdsOk, { protect: true })])).diagnostics).toEqual([]);
  });
  it("fails an unprotected RDS instance without backups or final snapshot; disabled on local", async () => {
    const bad = res("aws:rds/instance:Instance", "db", { deletionProtection: false, backupRetentionPeriod: 1, skipFinalSnapshot: true });
    const m = messages(await run(dataProtection, [bad]));
    expect(m).toEqual(["not protected (resource option protect: true)", "`deletionProtection` is not true", expect.stringMatching(/`backupRetentionPeriod` is 1/), "`skipFinalSnapshot` is true"]);
    expect((await run(dataProtection, [bad], "local")).diagnostics).toEqual([]);
  });
});

describe("kafka-topic-durability", () => {
  it("passes RF 3 / min ISR 2 topics and MSK configuration", async () => {
    const topic = res("kafka:index/topic:Topic", "t", { replicationFactor: 3, partitions: 12, config: { "min.insync.replicas": "2" } });
    const msk = res("aws:msk/configuration:Configuration", "c", { serverProperties: "default.replication.factor=3\nmin.insync.replicas=2\nunclean.leader.election.enable=false\n" });
    expect((await run(kafkaDurability, [topic, msk])).diagnostics).toEqual([]);
  });
  it("fails RF 1 Strimzi topics (mandatory in staging, advisory on local)", async () => {
    const topic = kube("kafka.strimzi.io/v1", "KafkaTopic", "t", { spec: { replicas: 1, partitions: 3, config: { "min.insync.replicas": 1 } } }, "tm-data");
    const staging = await run(kafkaDurability, [topic], "staging");
    expect(messages(staging)).toEqual(["replication factor 1 (at least 3); min.insync.replicas 1 (at least 2)"]);
    expect(staging.diagnostics[0].enforcementLevel).toBe("mandatory");
    expect((await run(kafkaDurability, [topic], "local")).diagnostics[0].enforcementLevel).toBe("advisory");
  });
});

describe("observability-coverage", () => {
  const burn = (service: string, slo: string) => ({ alert: `SLO${slo}Burn`, expr: `slo:error_ratio:ratio_rate1h{service="${service}",slo="${slo}"} > 0.0144`, labels: { severity: "critical" } });
  const rule = (service: string) =>
    kube("monitoring.coreos.com/v1", "PrometheusRule", `${service}-slo`, { spec: { groups: [{ name: "slo", rules: ["availability", "latency", "error-rate"].map((k) => burn(service, k)) }] } }, "tm-observability");
  const dashboard = (service: string) => kube("v1", "ConfigMap", `dashboard-${service}`, { metadata: { labels: { grafana_dashboard: "1" } }, data: { [`${service}.json`]: "{}" } }, "tm-observability");
  it("passes with an alert and a dashboard per service", async () => {
    const rs = catalog.services.flatMap((s) => [rule(s.name), dashboard(s.name)]);
    expect((await run(observabilityCoverage, rs)).diagnostics).toEqual([]);
  });
  it("fails a service without alerts or dashboard", async () => {
    const [first, ...rest] = catalog.services;
    const m = messages(await run(observabilityCoverage, rest.flatMap((s) => [rule(s.name), dashboard(s.name)])));
    expect(m).toEqual([expect.stringMatching(new RegExp(`^service "${first.name}" has no SLO burn-rate alert for availability, latency`)), `service "${first.name}" has no dashboard (ConfigMap labelled grafana_dashboard)`]);
  });
});

describe("the pack", () => {
  it("has unique names, controls from several frameworks and remediation on every policy", () => {
    expect(new Set(ALL_POLICIES.map((p) => p.name)).size).toBe(ALL_POLICIES.length);
    for (const p of ALL_POLICIES) {
      expect(p.controls.length, p.name).toBeGreaterThan(0);
      expect(p.remediation.length, p.name).toBeGreaterThan(20);
      expect(p.name).toMatch(/^[a-z0-9-]+$/);
    }
    const frameworks = new Set(ALL_POLICIES.flatMap((p) => p.controls.map((c) => c.framework)));
    expect(frameworks.size).toBe(5);
  });
});

describe("s3-sse-kms exemption", () => {
  it("accepts AES256 only on load-balancer access-log buckets (ELB supports nothing else)", async () => {
    const sse = (name: string) => res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", name, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
    expect((await run(s3Encryption, [sse("edge-alb-logs")])).diagnostics).toEqual([]);
    expect(messages(await run(s3Encryption, [sse("edge-static-assets")]))).toEqual([expect.stringMatching(/AES256 instead of aws:kms/)]);
  });
});

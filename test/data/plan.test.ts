/** The data stores as the real program declares them, per stack (offline plan). */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import type { Plan, PlanResource } from "../../infra/plan/types";
import { loadCatalog } from "../../infra/catalog/load";
import { planFor, ofType, kubeOfKind } from "../helpers/plan";

const catalog = loadCatalog();
const one = (plan: Plan, type: string): PlanResource => {
  const rs = ofType(plan, type);
  expect(rs).toHaveLength(1);
  return rs[0];
};
const inputs = <T = Record<string, unknown>>(r: PlanResource): T => r.inputs as T;

describe("local stack: in-cluster stores", () => {
  it("runs Strimzi and CloudNativePG from pinned charts and no managed AWS store", async () => {
    const plan = await planFor("local");
    const charts = ofType(plan, "kubernetes:helm.sh/v4:Chart").map((c) => `${c.inputs.chart}@${c.inputs.version}`);
    expect(charts).toEqual(expect.arrayContaining(["strimzi-kafka-operator@1.0.0", "cloudnative-pg@0.29.0"]));
    expect(plan.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
  });

  it("installs Strimzi after every namespace it writes into (its own and the watched ones)", async () => {
    const plan = await planFor("local");
    const values = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "charts", "strimzi-kafka-operator", "values.yaml"), "utf8")) as { watchNamespaces: string[] };
    const chart = ofType(plan, "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs.chart === "strimzi-kafka-operator")!;
    const namespaces = [String(chart.inputs.namespace), ...values.watchNamespaces];
    expect(namespaces).toContain("kafka");
    const nsUrn = (ns: string) => kubeOfKind(plan, "Namespace").find((n) => n.inputs.metadata.name === ns)!.urn;
    for (const ns of namespaces) expect(chart.dependencies, ns).toContain(nsUrn(ns));
  });

  it("declares one KafkaTopic per topic and one KafkaUser per Kafka client", async () => {
    const plan = await planFor("local");
    expect(kubeOfKind(plan, "KafkaTopic")).toHaveLength(catalog.topics.length + 5);
    expect(kubeOfKind(plan, "KafkaUser").map((u) => u.inputs.metadata.name).sort()).toEqual([...catalog.services.map((s) => `svc-${s.name}`), "tm-kafka-exporter"].sort());
    expect(kubeOfKind(plan, "Kafka")).toHaveLength(1);
    expect(kubeOfKind(plan, "KafkaNodePool")).toHaveLength(1);
  });
});

describe("credentials flow", () => {
  it.each(["local", "prod"] as const)("%s: each service's ConfigMap names only its own users and holds no secret", async (stack) => {
    const plan = await planFor(stack);
    for (const s of catalog.services) {
      const cm = kubeOfKind(plan, "ConfigMap").find((c) => c.inputs.metadata.name === `${s.name}-config` && c.inputs.metadata.namespace === s.namespace)!;
      const data = cm.inputs.data as Record<string, string>;
      expect(Object.values(data)).not.toContain("[secret]");
      expect(data.KAFKA_SASL_USERNAME).toBe(`svc-${s.name}`);
      if (s.datastores.postgres) expect(data).toMatchObject({ DB_USER: `${s.datastores.postgres.database}_app`, DB_NAME: s.datastores.postgres.database });
      else expect(data.DB_USER).toBeUndefined();
      if (s.datastores.redis) expect(data.REDIS_USERNAME).toBe(`svc-${s.name}`);
      else expect(data.REDIS_HOST).toBeUndefined();
      const otherUsers = catalog.services.filter((o) => o.name !== s.name).map((o) => `svc-${o.name}`);
      for (const v of Object.values(data)) expect(otherUsers).not.toContain(v);
    }
  });

  it("every service that uses a store gets a credentials Secret, its values masked in the plan", async () => {
    const plan = await planFor("prod");
    const secrets = kubeOfKind(plan, "Secret").filter((s) => s.inputs.metadata.name.endsWith("-credentials"));
    expect(secrets.map((s) => s.inputs.metadata.name).sort()).toEqual(catalog.services.map((s) => `${s.name}-credentials`).sort());
    for (const s of secrets) {
      // Keys visible (kubectl shows them too), every value masked.
      const data = s.inputs.stringData as Record<string, unknown>;
      expect(Object.keys(data).length, s.name).toBeGreaterThan(0);
      for (const [key, value] of Object.entries(data)) expect(value, `${s.name}.${key}`).toBe("[secret]");
    }
  });
});

describe("managed stores on AWS", () => {
  it.each(["staging", "prod"] as const)("%s: MSK is TLS-only, encrypted in cluster and at rest with KMS, SCRAM without anonymous access", async (stack) => {
    const plan = await planFor(stack);
    const msk = inputs(one(plan, "aws:msk/cluster:Cluster"));
    expect(msk).toMatchObject({
      numberOfBrokerNodes: 3,
      encryptionInfo: { encryptionInTransit: { clientBroker: "TLS", inCluster: true } },
      clientAuthentication: { unauthenticated: false, sasl: { scram: true } },
      brokerNodeGroupInfo: { connectivityInfo: { publicAccess: { type: "DISABLED" } } },
      loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true } } },
    });
    expect(inputs<{ encryptionInfo: { encryptionAtRestKmsKeyArn: unknown } }>(one(plan, "aws:msk/cluster:Cluster")).encryptionInfo.encryptionAtRestKmsKeyArn).toBeDefined();
    expect(inputs<{ brokerNodeGroupInfo: { clientSubnets: unknown[] } }>(one(plan, "aws:msk/cluster:Cluster")).brokerNodeGroupInfo.clientSubnets).toHaveLength(3);
    const config = inputs<{ serverProperties: string }>(one(plan, "aws:msk/configuration:Configuration"));
    expect(config.serverProperties.split("\n")).toEqual(
      expect.arrayContaining(["allow.everyone.if.no.acl.found=false", "auto.create.topics.enable=false", "min.insync.replicas=2", "unclean.leader.election.enable=false"]),
    );
  });

  it("prod: SCRAM secrets are AmazonMSK_* and encrypted with a customer-managed key", async () => {
    const plan = await planFor("prod");
    const scram = ofType(plan, "aws:secretsmanager/secret:Secret").filter((s) => String(s.inputs.name).startsWith("AmazonMSK_"));
    expect(scram.map((s) => s.inputs.name).sort()).toEqual(["AmazonMSK_tm-prod_tm-kafka-exporter", ...catalog.services.map((s) => `AmazonMSK_tm-prod_svc-${s.name}`)].sort());
    for (const s of scram) expect(s.inputs.kmsKeyId).toBeDefined();
  });

  it("prod: topics and ACLs go through @pulumi/kafka with the configured RF and min ISR", async () => {
    const plan = await planFor("prod");
    const topics = ofType(plan, "kafka:index/topic:Topic");
    expect(topics).toHaveLength(10);
    for (const t of topics) {
      expect(t.inputs.replicationFactor).toBe(3);
      expect((t.inputs.config as Record<string, string>)["min.insync.replicas"]).toBe("2");
      expect(t.provider).toMatch(/kafka/);
    }
    const acls = ofType(plan, "kafka:index/acl:Acl");
    expect(acls.filter((a) => a.inputs.aclPrincipal === "User:svc-market-data").map((a) => `${a.inputs.aclOperation} ${a.inputs.aclResourceName}`).sort()).toEqual([
      "Describe marketdata.market-data-changed.v1",
      "Write marketdata.market-data-changed.v1",
    ]);
  });

  it("ElastiCache: transit encryption required, KMS at rest, RBAC user group, snapshots; failover per environment", async () => {
    const expected = { staging: { numCacheClusters: 2, snapshotRetentionLimit: 3 }, prod: { numCacheClusters: 3, snapshotRetentionLimit: 7 } };
    for (const stack of ["staging", "prod"] as const) {
      const plan = await planFor(stack);
      const rg = one(plan, "aws:elasticache/replicationGroup:ReplicationGroup");
      expect(rg.inputs).toMatchObject({
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        atRestEncryptionEnabled: true,
        automaticFailoverEnabled: true,
        multiAzEnabled: true,
        finalSnapshotIdentifier: `tm-${stack}-redis-final`,
        ...expected[stack],
      });
      expect(rg.inputs.kmsKeyId).toBeDefined();
      expect(rg.inputs.userGroupIds).toHaveLength(1);
      const users = ofType(plan, "aws:elasticache/user:User");
      expect(users.map((u) => u.inputs.userName).sort()).toEqual(["default", "tm-redis-exporter", ...catalog.services.filter((s) => s.datastores.redis).map((s) => `svc-${s.name}`)].sort());
      for (const u of users) expect(u.inputs.passwords).toBe("[secret]");
      expect(users.find((u) => u.inputs.userName === "default")!.inputs.accessString).toMatch(/^on ~ratelimit:\* /);
    }
  });

  it("RDS: KMS, force_ssl, backups, deletion protection, final snapshot, IAM auth, Performance Insights; Multi-AZ only in prod", async () => {
    for (const [stack, multiAz, backups] of [["staging", false, 7], ["prod", true, 14]] as const) {
      const plan = await planFor(stack);
      const db = one(plan, "aws:rds/instance:Instance");
      expect(db.inputs).toMatchObject({
        engine: "postgres",
        storageEncrypted: true,
        multiAz,
        backupRetentionPeriod: backups,
        deletionProtection: true,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `tm-${stack}-pg-final`,
        iamDatabaseAuthenticationEnabled: true,
        performanceInsightsEnabled: true,
        publiclyAccessible: false,
        password: "[secret]",
      });
      expect(db.inputs.kmsKeyId).toBeDefined();
      const params = one(plan, "aws:rds/parameterGroup:ParameterGroup").inputs.parameters as Array<{ name: string; value: string }>;
      expect(params).toEqual(expect.arrayContaining([expect.objectContaining({ name: "rds.force_ssl", value: "1" })]));
      const proxy = one(plan, "aws:rds/proxy:Proxy");
      expect(proxy.inputs).toMatchObject({ requireTls: true, engineFamily: "POSTGRESQL" });
      expect(proxy.inputs.auths).toHaveLength(catalog.services.filter((s) => s.datastores.postgres).length);
    }
  });

  it("the role bootstrap Job keeps its SQL and master password in a Secret", async () => {
    const plan = await planFor("prod");
    const job = kubeOfKind(plan, "Job").find((j) => j.inputs.metadata.name === "pg-bootstrap-roles")!;
    expect(JSON.stringify(job.inputs)).not.toMatch(/PASSWORD'|tm_admin.*PASSWORD "/);
    const env = (job.inputs as unknown as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string; valueFrom?: unknown }> }> } } } }).spec.template.spec.containers[0].env;
    expect(env.find((e) => e.name === "PGPASSWORD")).toEqual({ name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "pg-bootstrap", key: "PGPASSWORD" } } });
    // The Secret carries the key the Job reads, masked.
    const data = kubeOfKind(plan, "Secret").find((s) => s.inputs.metadata.name === "pg-bootstrap")!.inputs.stringData as Record<string, unknown>;
    expect(data.PGPASSWORD).toBe("[secret]");
    expect(Object.values(data).every((v) => v === "[secret]")).toBe(true);
  });
});

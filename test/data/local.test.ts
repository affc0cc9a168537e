import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import { loadStackConfig } from "../../infra/plan/run";
import { validateKubeObjects } from "../../infra/plan/schemas";
import { cnpgObjects, redisAclFile, redisObjects, strimziKafkaObjects, strimziTopics, strimziUser } from "../../infra/data/local";
import { serviceDatabasesSql } from "../../infra/data/sql";
import { serviceAcls, topicDefinitions } from "../../infra/data/topics";

const catalog = loadCatalog();
const local = loadStackConfig("local");
// Against the CRDs of the pinned Strimzi 1.0.0 and CloudNativePG 0.29.0 releases (upstream data).
const validate = (o: { apiVersion: string; kind: string }) => validateKubeObjects([{ object: o as unknown as Record<string, unknown> }]);
const PW = "A".repeat(32);

describe("Strimzi objects (local)", () => {
  const [kafka, pool] = strimziKafkaObjects(local);

  it("one KRaft dual-role node pool, a TLS listener with SCRAM only, simple authorization", () => {
    expect(kafka.apiVersion).toBe("kafka.strimzi.io/v1");
    expect(pool.spec.roles).toEqual(["controller", "broker"]);
    expect(pool.spec.replicas).toBe(1);
    expect(pool.spec.storage.volumes[0].kraftMetadata).toBe("shared");
    expect(kafka.spec.kafka.listeners).toEqual([
      {
        name: "tls",
        port: 9093,
        type: "internal",
        tls: true,
        authentication: { type: "scram-sha-512" },
        configuration: { brokerCertChainAndKey: { secretName: "kafka-listener-tls", certificate: "tls.crt", key: "tls.key" } },
      },
    ]);
    expect(kafka.spec.kafka.authorization).toEqual({ type: "simple" });
    expect(kafka.spec.kafka.config?.["auto.create.topics.enable"]).toBe(false);
  });

  it("stays within the laptop budget: Kafka asks for 500m / 1Gi", () => {
    expect(pool.spec.resources?.requests).toEqual({ cpu: "500m", memory: "1Gi" });
  });

  it("every generated Strimzi object passes the Strimzi CRDs", async () => {
    const topics = strimziTopics(topicDefinitions(catalog, local.kafka));
    const users = catalog.services.map((s) => strimziUser(s, serviceAcls(catalog, s), PW)[0]);
    for (const o of [kafka, pool, ...topics, ...users]) expect(await validate(o)).toEqual([]);
    // What the CRD does not enforce: the operator only manages pools, topics and users labelled with their cluster.
    for (const o of [pool, ...topics, ...users]) expect(o.metadata.labels?.["strimzi.io/cluster"], o.metadata.name).toBe(kafka.metadata.name);
    expect(topics).toHaveLength(10);
  });

  it("a KafkaUser reads its password from a Secret and carries exactly its ACLs", () => {
    const portfolio = catalog.services.find((s) => s.name === "portfolio")!;
    const [user, secret] = strimziUser(portfolio, serviceAcls(catalog, portfolio), PW);
    expect(user.spec.authentication).toEqual({ type: "scram-sha-512", password: { valueFrom: { secretKeyRef: { name: "svc-portfolio-scram", key: "password" } } } });
    expect(secret).toMatchObject({ kind: "Secret", metadata: { name: "svc-portfolio-scram", namespace: "kafka" } });
    const writes = user.spec.authorization.acls.filter((a) => a.operations.includes("Write")).map((a) => a.resource.name);
    expect(writes.sort()).toEqual(["dlq.portfolio.v1", "portfolio.position-updated.v1", "security.audit.v1"]);
  });
});

describe("the upstream CRDs refuse mistakes", () => {
  const [kafka, pool] = strimziKafkaObjects(local);

  it("rejects the removed singular `operation` of KafkaUser ACLs", async () => {
    const auth = catalog.services[0];
    const [user] = strimziUser(auth, serviceAcls(catalog, auth), PW);
    const bad = structuredClone(user) as unknown as { apiVersion: string; kind: string; spec: { authorization: { acls: Array<Record<string, unknown>> } } };
    bad.spec.authorization.acls[0] = { resource: { type: "topic", name: "x" }, operation: "Read" };
    const issues = await validate(bad);
    expect(issues.map((i) => i.path)).toEqual(["spec.authorization.acls[0].operation", "spec.authorization.acls[0].operations"]);
    expect(issues[0].message).toMatch(/unknown field/);
    expect(issues[1].message).toMatch(/required/);
  });

  it("rejects an unknown listener type and a negative node count", async () => {
    const bad = structuredClone(kafka) as unknown as { apiVersion: string; kind: string; spec: { kafka: { listeners: Array<Record<string, unknown>> } } };
    bad.spec.kafka.listeners[0].type = "external";
    const issues = await validate(bad);
    expect(issues.map((i) => i.path)).toEqual(["spec.kafka.listeners[0].type"]);
    expect(issues[0].message).toContain('"cluster-ip"');
    const badPool = structuredClone(pool);
    badPool.spec.replicas = -1;
    expect((await validate(badPool)).map((i) => i.path)).toEqual(["spec.replicas"]);
  });

  it("rejects a misspelled CNPG field and a reserved database name (CEL)", async () => {
    const objs = () => structuredClone(cnpgObjects(local, catalog, Object.fromEntries(catalog.services.map((s) => [s.name, PW])))) as unknown as Array<{ apiVersion: string; kind: string; spec: Record<string, unknown> }>;
    const typo = objs().find((o) => o.kind === "Cluster")!;
    typo.spec.instance = 1;
    expect(await validate(typo)).toEqual([expect.objectContaining({ path: "spec.instance", message: expect.stringMatching(/unknown field/) })]);
    const reserved = objs().find((o) => o.kind === "Database")!;
    reserved.spec.name = "template0";
    expect(await validate(reserved)).toEqual([expect.objectContaining({ path: "spec.name", message: expect.stringContaining("the name template0 is reserved") })]);
  });
});

describe("CloudNativePG objects (local)", () => {
  const objs = cnpgObjects(local, catalog, Object.fromEntries(catalog.services.map((s) => [s.name, PW])));
  const dbServices = catalog.services.filter((s) => s.datastores.postgres).map((s) => s.name);

  it("one role and one Database per service that declares a database; no superuser", async () => {
    const cluster = objs.find((o) => o.kind === "Cluster")! as unknown as { spec: { enableSuperuserAccess: boolean; managed: { roles: Array<{ name: string; superuser: boolean }> } } };
    expect(cluster.spec.enableSuperuserAccess).toBe(false);
    expect(cluster.spec.managed.roles.map((r) => r.name).sort()).toEqual(["analytics_app", "auth_app", "notification_app", "portfolio_app", "trading_app"]);
    expect(cluster.spec.managed.roles.every((r) => r.superuser === false)).toBe(true);
    const dbs = objs.filter((o) => o.kind === "Database") as unknown as Array<{ spec: { name: string; owner: string; databaseReclaimPolicy: string } }>;
    expect(dbs.map((d) => `${d.spec.name}:${d.spec.owner}`).sort()).toEqual(["analytics:analytics_app", "auth:auth_app", "notification:notification_app", "portfolio:portfolio_app", "trading:trading_app"]);
    expect(dbs.every((d) => d.spec.databaseReclaimPolicy === "retain")).toBe(true);
    expect(dbServices).toHaveLength(5);
    for (const o of objs.filter((x) => x.apiVersion.startsWith("postgresql.cnpg.io"))) expect(await validate(o)).toEqual([]);
  });

  it("asks for 100m / 256Mi", () => {
    const cluster = objs.find((o) => o.kind === "Cluster")! as unknown as { spec: { resources: { requests: unknown } } };
    expect(cluster.spec.resources.requests).toEqual({ cpu: "100m", memory: "256Mi" });
  });
});

describe("Redis (local)", () => {
  it("scopes every user to its key pattern and the default user to the rate limiter keys", () => {
    const file = redisAclFile([
      { name: "svc-auth", keyPattern: "auth:session*", password: PW },
      { name: "default", keyPattern: "ratelimit:*", password: "B".repeat(32) },
    ]);
    expect(file.split("\n").filter(Boolean)).toEqual([
      `user default reset on >${"B".repeat(32)} ~ratelimit:* resetchannels -@all +@read +@write +@connection -@dangerous -scan -randomkey`,
      `user svc-auth reset on >${PW} ~auth:session* resetchannels -@all +@read +@write +@connection -@dangerous -scan -randomkey`,
    ]);
  });

  it("refuses weak passwords and a file that leaves the default user open", () => {
    expect(() => redisAclFile([{ name: "default", keyPattern: "x*", password: "short" }])).toThrow(/16-128/);
    expect(() => redisAclFile([{ name: "svc-a", keyPattern: "x*", password: PW }])).toThrow(/default user/);
  });

  it("runs the official image non-root, read-only, without capabilities, with small requests", () => {
    const sts = redisObjects("acl").find((o) => o.kind === "StatefulSet")! as unknown as {
      spec: { template: { spec: { containers: Array<{ image: string; securityContext: Record<string, unknown>; resources: { requests: unknown } }> } } };
    };
    const c = sts.spec.template.spec.containers[0];
    expect(c.image).toMatch(/^docker\.io\/library\/redis:\d+\.\d+\.\d+-alpine$/);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(c.resources.requests).toEqual({ cpu: "50m", memory: "64Mi" });
  });

  it("keeps the ACL file (passwords) in a Secret, not the ConfigMap", () => {
    const objs = redisObjects("user default reset on >secret");
    expect(objs.find((o) => o.kind === "Secret")).toMatchObject({ stringData: { "users.acl": "user default reset on >secret" } });
    expect(JSON.stringify(objs.find((o) => o.kind === "ConfigMap"))).not.toContain(">secret");
  });
});

describe("RDS roles SQL", () => {
  it("creates each role and database idempotently and closes every database to PUBLIC", () => {
    const sql = serviceDatabasesSql([{ role: "trading_app", database: "trading", password: PW, connectionLimit: 40 }]);
    expect(sql).toContain("WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'trading_app')\\gexec");
    expect(sql).toContain("CONNECTION LIMIT 40");
    expect(sql).toContain("REVOKE ALL ON DATABASE trading FROM PUBLIC;");
    expect(sql).toContain("GRANT CONNECT, TEMPORARY ON DATABASE trading TO trading_app;");
  });

  it("refuses identifiers and passwords that could break out of the statement", () => {
    expect(() => serviceDatabasesSql([{ role: "x; DROP", database: "d", password: PW, connectionLimit: 1 }])).toThrow(/identifier/);
    expect(() => serviceDatabasesSql([{ role: "r", database: "d", password: "abc'--xxxxxxxxxxxxxxx", connectionLimit: 1 }])).toThrow(/password/);
  });
});

import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import { loadStackConfig } from "../../infra/plan/run";
import { aclKey, platformAcls, serviceAcls, topicDefinitions, type AclRule } from "../../infra/data/topics";
import { catalogDocument, writeCatalog } from "../helpers/plan";

const catalog = loadCatalog();
const configOf = (stack: string) => loadStackConfig(stack);
const svc = (name: string) => catalog.services.find((s) => s.name === name)!;
const keys = (rules: AclRule[]) => rules.map(aclKey);

describe("topics from the catalog", () => {
  const prod = configOf("prod");
  const topics = topicDefinitions(catalog, prod.kafka);
  const byName = new Map(topics.map((t) => [t.name, t]));

  it("holds the four domain events, audit, and one dead-letter topic per consumer group", () => {
    expect(topics.filter((t) => t.kind === "event").map((t) => t.name).sort()).toEqual([
      "marketdata.market-data-changed.v1",
      "portfolio.position-updated.v1",
      "security.audit.v1",
      "trading.order-status-changed.v1",
      "trading.trade-executed.v1",
    ]);
    // analytics, notification, portfolio, trading and websocket-gateway consume; auth and market-data do not.
    expect(topics.filter((t) => t.kind === "dead-letter").map((t) => t.name)).toEqual([
      "dlq.analytics.v1",
      "dlq.notification.v1",
      "dlq.portfolio.v1",
      "dlq.trading.v1",
      "dlq.websocket-gateway.v1",
    ]);
  });

  it("keeps partitions and keys from the catalog", () => {
    expect(byName.get("marketdata.market-data-changed.v1")).toMatchObject({ partitions: 24, partitionKey: "symbol" });
    expect(byName.get("trading.trade-executed.v1")).toMatchObject({ partitions: 24, partitionKey: "accountId" });
  });

  it("prod: RF 3, min ISR 2, no unclean election, 7-day replay and 7-year audit retention", () => {
    for (const t of topics) {
      expect(t.replicationFactor).toBe(3);
      expect(t.config["min.insync.replicas"]).toBe("2");
      expect(t.config["unclean.leader.election.enable"]).toBe("false");
    }
    expect(byName.get("trading.trade-executed.v1")!.config["retention.ms"]).toBe(String(168 * 3600 * 1000));
    expect(byName.get("security.audit.v1")!.config["retention.ms"]).toBe(String(2555 * 86400 * 1000));
    // Dead letters: at least 14 days even when the replay window is shorter.
    expect(byName.get("dlq.trading.v1")!.config["retention.ms"]).toBe(String(14 * 86400 * 1000));
  });

  it("settings follow each environment's stack file", () => {
    const local = topicDefinitions(catalog, configOf("local").kafka);
    const staging = topicDefinitions(catalog, configOf("staging").kafka);
    const replay = (ts: typeof local) => ts.find((t) => t.name === "trading.trade-executed.v1")!;
    expect(replay(local)).toMatchObject({ replicationFactor: 1, config: { "min.insync.replicas": "1", "retention.ms": String(24 * 3600 * 1000) } });
    expect(replay(staging)).toMatchObject({ replicationFactor: 3, config: { "min.insync.replicas": "2", "retention.ms": String(72 * 3600 * 1000) } });
    expect(staging.find((t) => t.name === "security.audit.v1")!.config["retention.ms"]).toBe(String(90 * 86400 * 1000));
  });
});

describe("ACLs are least privilege", () => {
  it("a producer-only service may only write (and describe) what it produces", () => {
    expect(keys(serviceAcls(catalog, svc("market-data")))).toEqual([
      "svc-market-data|Topic|marketdata.market-data-changed.v1|Describe",
      "svc-market-data|Topic|marketdata.market-data-changed.v1|Write",
    ]);
  });

  it("a consumer reads what it consumes, its own group and its own dead-letter topic", () => {
    expect(keys(serviceAcls(catalog, svc("notification")))).toEqual([
      "svc-notification|Group|tm.notification|Describe",
      "svc-notification|Group|tm.notification|Read",
      "svc-notification|Topic|dlq.notification.v1|Describe",
      "svc-notification|Topic|dlq.notification.v1|Read",
      "svc-notification|Topic|dlq.notification.v1|Write",
      "svc-notification|Topic|trading.order-status-changed.v1|Describe",
      "svc-notification|Topic|trading.order-status-changed.v1|Read",
      "svc-notification|Topic|trading.trade-executed.v1|Describe",
      "svc-notification|Topic|trading.trade-executed.v1|Read",
    ]);
  });

  it("no service writes a topic it does not produce or reads a group that is not its own", () => {
    const topicOf = new Map(catalog.topics.map((t) => [t.topicName, t.name]));
    for (const rule of platformAcls(catalog)) {
      const s = svc(rule.service);
      // Its own group, or the prefix of its own per-pod groups (broadcast topics) and nothing wider.
      if (rule.resourceType === "Group") expect(rule.resourceName).toBe(rule.patternType === "prefixed" ? `tm.${s.name}.pod.` : `tm.${s.name}`);
      if (rule.resourceType === "Topic" && rule.resourceName.startsWith("dlq.")) expect(rule.resourceName).toBe(`dlq.${s.name}.v1`);
      else if (rule.resourceType === "Topic" && rule.operation === "Write") expect(s.produces).toContain(topicOf.get(rule.resourceName));
      else if (rule.resourceType === "Topic" && rule.operation === "Read") expect(s.consumes).toContain(topicOf.get(rule.resourceName));
    }
  });

  it("adding a consumer to the catalog yields exactly the new ACLs", () => {
    const doc = catalogDocument();
    const notification = doc.services.find((s) => s.name === "notification")!;
    notification.consumes = [...(notification.consumes as string[]), "position-updated"];
    const changed = loadCatalog(writeCatalog(doc));
    const before = new Set(keys(platformAcls(catalog)));
    const after = keys(platformAcls(changed));
    const added = after.filter((k) => !before.has(k));
    const removed = [...before].filter((k) => !after.includes(k));
    expect(added.sort()).toEqual([
      "svc-notification|Topic|portfolio.position-updated.v1|Describe",
      "svc-notification|Topic|portfolio.position-updated.v1|Read",
    ]);
    expect(removed).toEqual([]);
  });

  it("a new consuming service gets read on its topic, its own group and its own dead-letter topic, nothing else", () => {
    const doc = catalogDocument();
    const template = structuredClone(doc.services.find((s) => s.name === "notification")!);
    doc.services.push({
      ...template,
      name: "risk",
      description: "Risk checks on executed trades.",
      routes: [{ name: "limits", method: "GET", path: "/api/v1/risk/limits", idempotent: true, timeoutMs: 500 }],
      calls: [],
      consumes: ["trade-executed"],
      produces: [],
    });
    const changed = loadCatalog(writeCatalog(doc));
    const before = new Set(keys(platformAcls(catalog)));
    const added = keys(platformAcls(changed)).filter((k) => !before.has(k));
    expect(added.sort()).toEqual([
      "svc-risk|Group|tm.risk|Describe",
      "svc-risk|Group|tm.risk|Read",
      "svc-risk|Topic|dlq.risk.v1|Describe",
      "svc-risk|Topic|dlq.risk.v1|Read",
      "svc-risk|Topic|dlq.risk.v1|Write",
      "svc-risk|Topic|trading.trade-executed.v1|Describe",
      "svc-risk|Topic|trading.trade-executed.v1|Read",
    ]);
    expect(topicDefinitions(changed, configOf("prod").kafka).map((t) => t.name)).toContain("dlq.risk.v1");
  });
});

/**
 * Real-time delivery as the plan declares it (docs/adr/0001-websocket-fan-out.md): validation of
 * partitions, broadcast topics, Redis prefixes and the replay window; the stream token on the
 * WebSocket route; drain timing through pods, Envoy, Kong and the ALB; partition keys in the
 * producers' ConfigMaps; lag-based scaling with KEDA; the per-pod group ACL.
 */
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { parseCatalog } from "../../infra/catalog/load";
import { loadCatalog } from "../../infra/catalog/load";
import { loadPlatformConfig, namespacedConfig } from "../../infra/config/load";
import { platformAcls } from "../../infra/data/topics";
import { ACCESS_LOG_LABELS } from "../../infra/mesh/spec";
import { readStackFile } from "../../infra/plan/run";
import { ValidationError } from "../../infra/validation/schema";
import { controllerOwnedFields } from "../../infra/workloads/spec";
import { catalogDocument, kubeOfKind, ofType, planFor, type CatalogDocument } from "../helpers/plan";

const catalog = loadCatalog();
const rawStack = (stack: string) => namespacedConfig(readStackFile(stack).config);
/** The prod stack file's realtime block as written (not as the code reads it). */
const prodRealtime = JSON.parse(String(rawStack("prod").realtime)) as Record<string, number | string>;
const ws = catalog.services.find((s) => s.routes.some((r) => r.websocket))!;

function issuesOf(fn: () => unknown): ValidationError["issues"] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  throw new Error("expected a ValidationError");
}

function variant(edit: (doc: CatalogDocument) => void): string {
  const doc = catalogDocument();
  edit(doc);
  return yaml.dump(doc);
}

describe("catalog validation for real-time delivery", () => {
  it("refuses a topic with fewer partitions than a sharing consumer's maxReplicas", () => {
    const text = variant((doc) => {
      const t = doc.topics.find((x) => x.name === "trade-executed")!;
      t.partitions = 12;
    });
    const issues = issuesOf(() => parseCatalog(text, "catalog.yaml"));
    expect(issues).toContainEqual({ path: "topics[0].partitions", expected: "at least 20 (maxReplicas of consumer websocket-gateway in prod)", found: "12" });
  });

  it("does not count broadcast consumers (one member per group) against the partitions", () => {
    const text = variant((doc) => {
      doc.topics.find((x) => x.name === "market-data-changed")!.partitions = 12;
    });
    // trading (max 12) shares its group on quotes; the gateway (max 20) reads them per pod.
    expect(() => parseCatalog(text, "catalog.yaml")).not.toThrow();
  });

  it("refuses a broadcast topic the service does not consume, and overlapping Redis prefixes", () => {
    const text = variant((doc) => {
      const gw = doc.services.find((s) => s.name === "websocket-gateway")! as { broadcast: string[] };
      gw.broadcast = ["audit"];
      const auth = doc.services.find((s) => s.name === "auth")! as { datastores: { redis: { keyPrefix: string } } };
      auth.datastores.redis.keyPrefix = "ws:replay";
    });
    const paths = issuesOf(() => parseCatalog(text, "catalog.yaml")).map((i) => i.path);
    const at = (name: string) => catalog.services.findIndex((s) => s.name === name);
    expect(paths).toEqual(expect.arrayContaining([`services[${at("websocket-gateway")}].broadcast[0]`, `services[${at("auth")}].datastores.redis.keyPrefix`]));
  });
});

describe("stack config for real-time delivery", () => {
  it("refuses Kafka retention shorter than the replay window", () => {
    const raw = rawStack("staging");
    const kafka = { ...JSON.parse(String(raw.kafka)), replayRetentionHours: 1 };
    const realtime = { ...JSON.parse(String(raw.realtime)), replayWindowSeconds: 7200 };
    const issues = issuesOf(() => loadPlatformConfig("staging", { ...raw, kafka: JSON.stringify(kafka), realtime: JSON.stringify(realtime) }));
    expect(issues.map((i) => i.path)).toContain("config.trademaster:kafka.replayRetentionHours");
  });

  it("refuses replay streams larger than half of the Redis node", () => {
    const raw = rawStack("prod");
    // 200,000 events/s for 5 minutes at 576 B: 34.6 GB, more than a cache.r7g.xlarge holds.
    const realtime = { ...JSON.parse(String(raw.realtime)), peakUserEventsPerSecond: 200_000 };
    const issues = issuesOf(() => loadPlatformConfig("prod", { ...raw, realtime: JSON.stringify(realtime) }));
    const sizing = issues.find((i) => i.path === "config.trademaster:redis.nodeType")!;
    expect(sizing.found).toBe("cache.r7g.xlarge (26.32 GiB)");
  });
});

describe("prod plan: real-time delivery", async () => {
  const plan = await planFor("prod");
  const kube = (kind: string, name: string, ns = ws.namespace) => kubeOfKind(plan, kind).find((r) => r.inputs.metadata.name === name && r.inputs.metadata.namespace === ns)!.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- plan inputs are untyped JSON

  it("the stream route takes the short-lived token from a cookie, never from the URL", () => {
    const plugin = kube("KongPlugin", "jwt-stream");
    expect(plugin.plugin).toBe("jwt");
    expect(plugin.config.cookie_names).toEqual([prodRealtime.streamTokenCookie ?? "tm_stream"]);
    expect(plugin.config.uri_param_names).toEqual([]);
    expect(plugin.config.maximum_expiration).toBe(prodRealtime.streamTokenTtlSeconds);
    expect(plugin.config.claims_to_verify).toContain("exp");
    const route = kube("HTTPRoute", ws.name);
    const refs = (route.spec.rules as Array<{ filters: Array<{ extensionRef?: { name: string } }> }>).flatMap((r) => r.filters.map((f) => f.extensionRef?.name).filter(Boolean));
    expect(refs).toEqual(["jwt-stream"]);
    // Other services keep the header-only plugin.
    for (const p of kubeOfKind(plan, "KongPlugin").filter((r) => r.inputs.metadata.name === "jwt-auth")) expect((p.inputs as Record<string, any>).config.cookie_names).toEqual([]); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it("the auth service sets the cookie HttpOnly, Secure, SameSite=Strict on the stream path only", () => {
    const data = kube("ConfigMap", "auth-config").data as Record<string, string>;
    expect(data.STREAM_COOKIE_ATTRIBUTES).toBe(`Path=/ws/v1/stream; Max-Age=${prodRealtime.streamTokenTtlSeconds}; HttpOnly; Secure; SameSite=Strict`);
    expect(catalog.services.find((s) => s.issuesTokens)!.routes.some((r) => r.path === "/api/v1/auth/stream-token")).toBe(true);
  });

  it("no access log format of ours records cookies or the Authorization header", () => {
    for (const v of Object.values(ACCESS_LOG_LABELS)) expect(v).not.toMatch(/COOKIE|AUTHORIZATION/i);
    const kong = ofType(plan, "kubernetes:helm.sh/v4:Chart").find((r) => r.name.endsWith("kong"))!;
    const env = ((kong.inputs.values as Record<string, any>).gateway.env ?? {}) as Record<string, string>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(Object.keys(env).filter((k) => /access_log|log_format/.test(k))).toEqual([]);
  });

  it("drains streams over the configured window at every layer", () => {
    const drain = Number(prodRealtime.drainSeconds);
    const pod = kube("Deployment", ws.name).spec.template;
    const container = pod.spec.containers[0];
    expect(container.lifecycle.preStop.sleep.seconds).toBeGreaterThanOrEqual(5);
    const preStop = container.lifecycle.preStop.sleep.seconds as number;
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(preStop + drain);
    expect(kube("ConfigMap", `${ws.name}-config`).data.WS_DRAIN_SECONDS).toBe(String(drain));
    const proxy = JSON.parse(pod.metadata.annotations["proxy.istio.io/config"]);
    expect(proxy.terminationDrainDuration).toBe(`${preStop + drain}s`);
    expect(proxy.proxyMetadata.EXIT_ON_ZERO_ACTIVE_CONNECTIONS).toBe("true");

    const kong = ofType(plan, "kubernetes:helm.sh/v4:Chart").find((r) => r.name.endsWith("kong"))!;
    const gw = (kong.inputs.values as Record<string, any>).gateway; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(gw.lifecycle.preStop.exec.command).toEqual(["kong", "quit", `--wait=${preStop}`, `--timeout=${drain}`]);
    expect(gw.terminationGracePeriodSeconds).toBeGreaterThan(preStop + drain);

    const tg = ofType(plan, "aws:lb/targetGroup:TargetGroup").find((r) => r.name.endsWith("-kong"))!;
    expect(tg.inputs.deregistrationDelay).toBe(gw.terminationGracePeriodSeconds);
    // Capacity during node drains: one pod at a time.
    expect(kube("PodDisruptionBudget", ws.name).spec.maxUnavailable).toBe(1);
  });

  it("request services drain briefly and keep no stream settings", () => {
    const trading = kube("Deployment", "trading").spec.template;
    expect(trading.spec.terminationGracePeriodSeconds).toBe(30);
    expect(JSON.parse(trading.metadata.annotations["proxy.istio.io/config"]).terminationDrainDuration).toBeUndefined();
  });

  it("every producer's ConfigMap carries each produced topic's partition key from the catalog", () => {
    const doc = catalogDocument();
    for (const s of catalog.services.filter((x) => x.produces.length)) {
      const keys = Object.fromEntries(kube("ConfigMap", `${s.name}-config`, s.namespace).data.KAFKA_PARTITION_KEYS.split(",").map((kv: string) => kv.split("=")));
      for (const ref of s.produces) {
        const t = doc.topics.find((x) => x.name === ref)!;
        expect(keys[String(t.topicName)], `${s.name} ${ref}`).toBe(t.partitionKey);
      }
    }
  });

  it("consumers scale on their own group's lag and CPU through KEDA, producers-only keep a CPU HPA", async () => {
    for (const s of catalog.services) {
      const so = kubeOfKind(plan, "ScaledObject").find((r) => r.inputs.metadata.name === s.name && r.inputs.metadata.namespace === s.namespace);
      expect(Boolean(so), s.name).toBe(s.consumes.length > 0);
      if (!so) continue;
      const spec = (so.inputs as Record<string, any>).spec; // eslint-disable-line @typescript-eslint/no-explicit-any
      const kafka = spec.triggers.find((t: { type: string }) => t.type === "kafka");
      expect(kafka.metadata.consumerGroup).toBe(`tm.${s.name}`);
      expect(kafka.metadata.allowIdleConsumers).toBe("false");
      expect(Number(kafka.metadata.lagThreshold)).toBeLessThanOrEqual(s.slo?.maxConsumerLag ?? 1000);
      expect(spec.triggers.find((t: { type: string }) => t.type === "cpu").metricType).toBe("Utilization");
      expect(spec.minReplicaCount).toBeLessThanOrEqual(spec.maxReplicaCount);
      expect(spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: s.name });
      const authName = kafka.authenticationRef.name;
      expect(kubeOfKind(plan, "TriggerAuthentication").some((r) => r.inputs.metadata.name === authName && r.inputs.metadata.namespace === s.namespace)).toBe(true);
    }
    expect(ofType(plan, "kubernetes:helm.sh/v4:Chart").some((r) => (r.inputs as { chart?: string }).chart === "keda")).toBe(true);
  });

  it("KEDA, not Pulumi, owns the replica count of a Deployment its ScaledObject targets", () => {
    const so = kubeOfKind(plan, "ScaledObject")[0].inputs as never as { metadata: { name: string } };
    const deployment = kubeOfKind(plan, "Deployment").find((r) => r.inputs.metadata.name === so.metadata.name)!.inputs as never;
    expect(controllerOwnedFields(deployment, [deployment, so as never])).toEqual(["spec.replicas"]);
  });
});

describe("Kafka ACLs of the per-pod groups", () => {
  it("only the broadcast consumer gets a prefixed group ACL, under its own group name", () => {
    const prefixed = platformAcls(catalog).filter((r) => r.patternType === "prefixed");
    expect(new Set(prefixed.map((r) => r.service))).toEqual(new Set(catalog.services.filter((s) => s.broadcast.length).map((s) => s.name)));
    for (const r of prefixed) {
      expect(r.resourceType).toBe("Group");
      expect(r.resourceName).toBe(`tm.${r.service}.pod.`);
      expect(["Read", "Describe"]).toContain(r.operation);
      // No other service's group can start with it (service names have no dots).
      for (const other of catalog.services.filter((s) => s.name !== r.service)) expect(`tm.${other.name}`.startsWith(r.resourceName)).toBe(false);
    }
  });
});

import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import type { KubeObject } from "../../infra/kube/object";
import { KONG_API } from "../../infra/gateway/crds";
import { gatewayUpstreamServiceAnnotations } from "../../infra/gateway/service-annotations";
import { corsOrigins, gatewayObjects, jwtConsumerObjects, JWT_PLUGIN, kongChartValues, kongEnv, REDIS_SECRET } from "../../infra/gateway/spec";
import { loadChartSpec } from "../../infra/charts/pinned";
import { formatSchemaIssues, validateKubeObjects } from "../../infra/plan/schemas";
import { stackConfig } from "../mesh/stack";

const catalog = loadCatalog();
const redis = { host: "redis.data.svc.cluster.local", port: 6379, tls: false };
const STACKS = ["local", "staging", "prod"] as const;

interface Plugin {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  plugin: string;
  config: Record<string, unknown>;
  configPatches?: Array<{ path: string; valueFrom: { secretKeyRef: { name: string; namespace?: string; key: string } } }>;
}
interface Rule {
  matches: Array<{ path: { type: string; value: string }; method: string }>;
  filters?: Array<{ type: string; extensionRef?: { kind: string; name: string }; urlRewrite?: { hostname: string } }>;
  backendRefs: Array<{ name: string; port: number }>;
}

const objectsFor = (stack: (typeof STACKS)[number]) => gatewayObjects(stackConfig(stack), catalog, redis);
const plugins = (objs: KubeObject[]) => objs.filter((o) => o.apiVersion === KONG_API) as unknown as Plugin[];
const globalPlugins = (objs: KubeObject[]) => plugins(objs).filter((p) => p.kind === "KongClusterPlugin" && p.metadata.labels?.global === "true");
const byPlugin = (objs: KubeObject[], name: string) => globalPlugins(objs).find((p) => p.plugin === name)!;

/** Finds the HTTPRoute rule that serves a catalog route (same method, path matched). */
function ruleFor(objs: KubeObject[], service: string, method: string, path: string): Rule | undefined {
  const route = objs.find((o) => o.kind === "HTTPRoute" && o.metadata.name === service);
  const rules = (route?.spec as { rules: Rule[] } | undefined)?.rules ?? [];
  const concrete = path.replace(/\{[^}]+\}/g, "x1");
  return rules.find((r) =>
    r.matches.some((m) => m.method === method && (m.path.type === "PathPrefix" ? concrete.startsWith(m.path.value) : new RegExp(m.path.value).test(concrete))),
  );
}

describe("Kong routes from the catalog", () => {
  it.each(STACKS)("routes every exposed route and no internal one (%s)", (stack) => {
    const objs = objectsFor(stack);
    for (const s of catalog.services) {
      for (const r of s.routes) {
        const rule = ruleFor(objs, s.name, r.method, r.path);
        if (r.exposed) {
          expect(rule, `${s.name} ${r.method} ${r.path}`).toBeDefined();
          expect(rule!.backendRefs).toEqual([{ kind: "Service", name: s.name, port: s.ports.http }]);
        } else {
          expect(rule, `${s.name} internal ${r.path}`).toBeUndefined();
        }
      }
    }
  });

  it("puts jwt on exactly the authenticated routes", () => {
    const objs = objectsFor("prod");
    for (const s of catalog.services) {
      for (const r of s.routes.filter((x) => x.exposed)) {
        const rule = ruleFor(objs, s.name, r.method, r.path)!;
        const jwt = (rule.filters ?? []).some((f) => f.type === "ExtensionRef" && f.extensionRef?.kind === "KongPlugin");
        expect(jwt, `${s.name}/${r.name}`).toBe(r.authenticated);
        // Kong's sidecar routes by Host: the mesh host of the service, not the public one.
        expect(rule.filters).toContainEqual({ type: "URLRewrite", urlRewrite: { hostname: `${s.name}.${s.namespace}.svc.cluster.local` } });
      }
    }
    // The referenced KongPlugin exists in each namespace that uses it and runs the jwt plugin.
    for (const ns of new Set(catalog.services.filter((s) => s.routes.some((r) => r.exposed && r.authenticated)).map((s) => s.namespace))) {
      const p = objs.find((o) => o.kind === "KongPlugin" && o.metadata.namespace === ns) as unknown as Plugin;
      expect(p.plugin).toBe("jwt");
      expect(p.config.claims_to_verify).toContain("exp");
    }
  });
});

describe("Kong plugins", () => {
  const OWASP: Record<string, string> = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-embedder-policy": "require-corp",
    "cross-origin-resource-policy": "same-origin",
  };

  it.each(STACKS)("adds every OWASP secure header to every exposed route and strips leaks (%s)", (stack) => {
    const objs = objectsFor(stack);
    const rt = byPlugin(objs, "response-transformer");
    // Global plugins apply to every route Kong serves: each exposed route is covered.
    expect(rt.metadata.labels?.global).toBe("true");
    const added = new Map(
      (rt.config.add as { headers: string[] }).headers.map((h) => {
        const i = h.indexOf(":");
        return [h.slice(0, i).toLowerCase(), h.slice(i + 1)] as const;
      }),
    );
    for (const [name, value] of Object.entries(OWASP)) expect(added.get(name), name).toBe(value);
    expect(added.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(added.get("permissions-policy")).toMatch(/camera=\(\)/);
    const removed = (rt.config.remove as { headers: string[] }).headers.map((h) => h.toLowerCase());
    for (const leak of ["server", "via", "x-kong-upstream-latency", "x-kong-proxy-latency", "x-envoy-upstream-service-time"]) expect(removed).toContain(leak);
    // No route-level plugin overrides the headers.
    expect(plugins(objs).filter((p) => p.plugin === "response-transformer")).toHaveLength(1);
    expect(kongEnv(stackConfig(stack)).headers).toBe("off");
  });

  it("never allows a CORS wildcard outside local", () => {
    for (const stack of ["staging", "prod"] as const) {
      const origins = byPlugin(objectsFor(stack), "cors").config.origins as string[];
      expect(origins.length).toBeGreaterThan(0);
      expect(origins).not.toContain("*");
      expect(origins).toEqual(stackConfig(stack).gateway.corsOrigins);
    }
    const prod = stackConfig("prod");
    expect(() => corsOrigins({ ...prod, gateway: { ...prod.gateway, corsOrigins: ["*"] } })).toThrow(/not allowed in prod/);
    const local = stackConfig("local");
    expect(corsOrigins({ ...local, gateway: { ...local.gateway, corsOrigins: ["*"] } })).toEqual(["*"]);
  });

  it.each(STACKS)("rate-limits in Redis with the stack's limits and the password from a Secret (%s)", (stack) => {
    const config = stackConfig(stack);
    const rl = byPlugin(objectsFor(stack), "rate-limiting");
    expect(rl.config.policy).toBe("redis");
    expect(rl.config.second).toBe(config.gateway.rateLimit.perSecond);
    expect(rl.config.minute).toBe(config.gateway.rateLimit.perMinute);
    expect((rl.config.redis as Record<string, unknown>).password).toBeUndefined();
    expect(JSON.stringify(rl.config)).not.toMatch(/password/);
    expect(rl.configPatches).toEqual([{ path: "/redis/password", valueFrom: { secretKeyRef: { name: REDIS_SECRET, namespace: "kong", key: expect.any(String) } } }]);
  });

  it.each(STACKS)("sets correlation id, size limit, metrics and tracing (%s)", (stack) => {
    const config = stackConfig(stack);
    const objs = objectsFor(stack);
    expect(byPlugin(objs, "correlation-id").config).toMatchObject({ header_name: "X-Correlation-ID", echo_downstream: true });
    expect(byPlugin(objs, "request-size-limiting").config).toMatchObject({ allowed_payload_size: config.gateway.requestSizeLimitMb, size_unit: "megabytes" });
    expect(byPlugin(objs, "prometheus").config).toMatchObject({ status_code_metrics: true, latency_metrics: true });
    expect(byPlugin(objs, "opentelemetry").config.traces_endpoint).toBe("http://otel-collector.tracing.svc.cluster.local:4318/v1/traces");
    const env = kongEnv(config);
    expect(env.nginx_proxy_gzip).toBe("on");
    expect(env.nginx_proxy_gzip_types).toContain("application/json");
    expect(Number(env.tracing_sampling_rate)).toBeCloseTo(config.mesh.traceSamplingPercent / 100);
  });

  it("uses only open-source plugins", () => {
    const oss = new Set(["jwt", "rate-limiting", "cors", "correlation-id", "response-transformer", "request-size-limiting", "prometheus", "opentelemetry"]);
    for (const p of plugins(objectsFor("prod"))) expect(oss.has(p.plugin), p.plugin).toBe(true);
  });
});

describe("Kong CRDs and Gateway API objects", () => {
  it.each(STACKS)("validate against their schemas (%s)", async (stack) => {
    const objs = objectsFor(stack);
    const issues = await validateKubeObjects(objs.map((object) => ({ object })));
    expect(issues, formatSchemaIssues(issues)).toEqual([]);
    expect(objs.some((o) => o.kind === "HTTPRoute")).toBe(true);
  });

  it("registers the auth service's RS256 key as a jwt credential of a valid consumer", async () => {
    const objs = jwtConsumerObjects({ issuer: "https://auth.example.com", publicKeyPem: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----" });
    const secret = objs.find((o) => o.kind === "Secret")!;
    const consumer = objs.find((o) => o.kind === "KongConsumer")!;
    expect(secret.metadata.labels?.["konghq.com/credential"]).toBe("jwt");
    expect((secret.stringData as Record<string, string>).algorithm).toBe("RS256");
    expect(consumer.credentials).toEqual([secret.metadata.name]);
    expect(consumer.metadata.namespace).toBe(secret.metadata.namespace);
    // The jwt plugin looks the consumer up by the `iss` claim, which is the credential key.
    const jwt = objectsFor("prod").find((o) => o.kind === "KongPlugin" && o.metadata.name === JWT_PLUGIN) as unknown as Plugin;
    expect(jwt.config.key_claim_name).toBe("iss");
    expect((secret.stringData as Record<string, string>).key).toBe("https://auth.example.com");
    const issues = await validateKubeObjects(objs.map((object) => ({ object })));
    expect(issues, formatSchemaIssues(issues)).toEqual([]);
  });

  it("rejects malformed Kong plugins and consumers (Kong ingress chart 0.20.0 CRDs)", async () => {
    const ok = { apiVersion: KONG_API, kind: "KongPlugin", metadata: { name: "a", namespace: "n" }, plugin: "cors", config: { origins: ["https://x.io"], methods: ["GET"] } };
    const check = async (object: Record<string, unknown>) => (await validateKubeObjects([{ object }])).map((i) => `${i.path}: ${i.message}`);
    expect(await check(ok)).toEqual([]);
    expect(await check({ ...ok, configFrom: { secretKeyRef: { name: "s", key: "k" } } })).toEqual([expect.stringContaining("Using both config and configFrom fields is not allowed")]);
    expect(await check({ ...ok, protocols: ["ftp"] })).toEqual([expect.stringMatching(/^protocols\[0\]: must be one of .*"grpcs"/)]);
    const patch = { path: "/redis/password", valueFrom: { secretKeyRef: { name: "s", key: "k" } } };
    expect(await check({ ...ok, kind: "KongClusterPlugin", metadata: { name: "a" }, configPatches: [patch] })).toEqual([
      "configPatches[0].valueFrom.secretKeyRef.namespace: required field is missing",
    ]);
    expect(await check({ apiVersion: KONG_API, kind: "KongConsumer", metadata: { name: "c", namespace: "n" } })).toEqual([expect.stringContaining("Need to provide either username or custom_id")]);
  });
});

describe("Kong chart", () => {
  it("is pinned to an exact version with open-source Kong <= 3.9", () => {
    const spec = loadChartSpec("kong", "prod");
    expect(spec.version).toMatch(/^\d+\.\d+\.\d+$/);
    const values = kongChartValues(stackConfig("prod"), catalog) as { gateway: { image: { repository: string; tag: string } }; controller: { ingressController: { image: { tag: string } } } };
    expect(values.gateway.image.repository).toBe("kong");
    const [major, minor] = values.gateway.image.tag.split(".").map(Number);
    expect(major === 3 && minor <= 9).toBe(true);
    expect(values.gateway.image.tag).toMatch(/^\d+\.\d+\.\d+$/);
    expect(values.controller.ingressController.image.tag).toMatch(/^\d+\.\d+\.\d+$/);
    expect((spec.values.gateway as { env: { database: string } }).env.database).toBe("off");
    expect((spec.values.gateway as { manager: { enabled: boolean } }).manager.enabled).toBe(false);
  });

  it("keeps Kong small on local and replicated in prod", () => {
    const local = loadChartSpec("kong", "local").values as {
      gateway: { resources: { requests: { cpu: string } } };
      controller: { ingressController: { resources: { requests: { cpu: string } } } };
    };
    const millicores = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
    expect(millicores(local.gateway.resources.requests.cpu)).toBeLessThanOrEqual(100);
    expect(millicores(local.controller.ingressController.resources.requests.cpu)).toBeLessThanOrEqual(50);
    expect((kongChartValues(stackConfig("prod"), catalog) as { gateway: { replicaCount: number } }).gateway.replicaCount).toBeGreaterThanOrEqual(2);
  });

  it("puts Kong's outbound in the mesh but not its public inbound, with the SLO buckets", () => {
    const annotations = (kongChartValues(stackConfig("local"), catalog) as { gateway: { podAnnotations: Record<string, string> } }).gateway.podAnnotations;
    expect(annotations["traffic.sidecar.istio.io/includeInboundPorts"]).toBe("");
    expect(JSON.parse(annotations["sidecar.istio.io/statsHistogramBuckets"]).istiocustom).toEqual(expect.arrayContaining([50, 200]));
  });

  it("asks services to let the mesh, not Kong, retry, and keeps WebSocket streams open", () => {
    for (const s of catalog.services) {
      const a = gatewayUpstreamServiceAnnotations(s);
      expect(a["konghq.com/retries"], s.name).toBe("0");
      expect(a["ingress.kubernetes.io/service-upstream"], s.name).toBe("true");
      const websocket = s.routes.some((r) => r.websocket);
      if (websocket) expect(Number(a["konghq.com/read-timeout"])).toBeGreaterThanOrEqual(3_600_000);
      else expect(a["konghq.com/read-timeout"]).toBeUndefined();
    }
  });
});

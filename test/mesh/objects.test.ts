import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import { proxyPodAnnotations } from "../../infra/mesh/pod-annotations";
import { istiodValues, meshObjects, sidecars, telemetry } from "../../infra/mesh/spec";
import { formatSchemaIssues, validateKubeObjects } from "../../infra/plan/schemas";
import { stackConfig } from "./stack";

const catalog = loadCatalog();
const STACKS = ["local", "staging", "prod"] as const;

describe("mesh objects", () => {
  it.each(STACKS)("validate against the Istio 1.29.2 CRDs (%s)", async (stack) => {
    const objects = meshObjects(stackConfig(stack), catalog);
    expect(objects.length).toBeGreaterThan(20);
    const issues = await validateKubeObjects(objects.map((object) => ({ object })));
    expect(issues, formatSchemaIssues(issues)).toEqual([]);
  });

  it("fail validation when a field has the wrong type (the check is real)", async () => {
    const vs = meshObjects(stackConfig("local"), catalog).find((o) => o.kind === "VirtualService")!;
    const broken = structuredClone(vs) as unknown as { spec: { http: Array<{ retries: { attempts: unknown } }> } };
    broken.spec.http[0].retries.attempts = "two";
    const issues = await validateKubeObjects([{ object: broken as unknown as Record<string, unknown> }]);
    expect(issues.map((i) => i.path)).toEqual(["spec.http[0].retries.attempts"]);
    expect(issues[0].message).toMatch(/integer/);
  });

  it.each(STACKS)("samples traces per environment and sends them to the collector (%s)", (stack) => {
    const config = stackConfig(stack);
    const t = telemetry(config).spec as { tracing: Array<{ randomSamplingPercentage: number; providers: Array<{ name: string }> }>; accessLogging: Array<{ disabled: boolean }> };
    expect(t.tracing[0].randomSamplingPercentage).toBe(config.mesh.traceSamplingPercent);
    expect(t.accessLogging[0].disabled).toBe(!config.mesh.accessLogs);
    const providers = (istiodValues(config).meshConfig as { extensionProviders: Array<{ name: string; opentelemetry?: { service: string; port: number } }> }).extensionProviders;
    const otel = providers.find((p) => p.name === t.tracing[0].providers[0].name)!;
    expect(otel.opentelemetry).toEqual({ service: "otel-collector.tracing.svc.cluster.local", port: 4317 });
  });

  it("samples fewer traces in prod than on local", () => {
    const pct = (s: (typeof STACKS)[number]) => (telemetry(stackConfig(s)).spec as { tracing: Array<{ randomSamplingPercentage: number }> }).tracing[0].randomSamplingPercentage;
    expect(pct("prod")).toBeLessThan(pct("local"));
  });

  it("gives every latency SLO threshold of the catalog a bucket of its own", () => {
    const variant = structuredClone(catalog);
    const analytics = variant.services.find((x) => x.slo && x.criticality === "standard")!;
    analytics.slo!.latency.thresholdMs = 350;
    const buckets = (c: typeof catalog) => JSON.parse(proxyPodAnnotations(stackConfig("prod"), c)["sidecar.istio.io/statsHistogramBuckets"]).istiocustom as number[];
    expect(buckets(catalog)).not.toContain(350);
    expect(buckets(variant)).toContain(350);
    for (const s of catalog.services) if (s.slo) expect(buckets(catalog)).toContain(s.slo.latency.thresholdMs);
  });

  it("puts 50 ms and 200 ms latency buckets and breaker stats on every service pod", () => {
    const a = proxyPodAnnotations(stackConfig("prod"), catalog);
    const buckets = JSON.parse(a["sidecar.istio.io/statsHistogramBuckets"]) as Record<string, number[]>;
    expect(buckets.istiocustom).toContain(50);
    expect(buckets.istiocustom).toContain(200);
    expect([...buckets.istiocustom].sort((x, y) => x - y)).toEqual(buckets.istiocustom);
    const proxy = JSON.parse(a["proxy.istio.io/config"]) as { proxyStatsMatcher: { inclusionRegexps: string[] }; holdApplicationUntilProxyStarts: boolean };
    const kept = (stat: string) => proxy.proxyStatsMatcher.inclusionRegexps.some((r) => new RegExp(`^${r}$`).test(stat));
    expect(kept("cluster.outbound|8080||trading.tm-trading.svc.cluster.local.outlier_detection.ejections_active")).toBe(true);
    expect(kept("cluster.outbound|8080||auth.tm-trading.svc.cluster.local.upstream_rq_pending_overflow")).toBe(true);
    expect(kept("cluster.outbound|8080||auth.tm-trading.svc.cluster.local.circuit_breakers.default.rq_open")).toBe(true);
    expect(proxy.holdApplicationUntilProxyStarts).toBe(true);
    expect(a["sidecar.istio.io/proxyCPU"]).toBe(stackConfig("prod").kubernetes.sidecarCpuRequest);
  });

  it("scopes each service's egress to the services it calls", () => {
    for (const s of catalog.services) {
      const sc = sidecars(catalog).find((o) => o.metadata.name === s.name && o.metadata.namespace === s.namespace)!;
      const hosts = (sc.spec as { egress: Array<{ hosts: string[] }> }).egress[0].hosts;
      const serviceHosts = hosts.filter((h) => h.endsWith(".svc.cluster.local"));
      const expected = s.calls.map((c) => catalog.services.find((x) => x.name === c)!).map((c) => `${c.namespace}/${c.name}.${c.namespace}.svc.cluster.local`);
      expect(serviceHosts.sort()).toEqual(expected.sort());
      expect(hosts).toContain("tracing/*");
    }
  });

  it("keeps istiod and sidecars small on local", () => {
    const local = istiodValues(stackConfig("local")) as { pilot: { replicaCount: number }; global: { proxy: { resources: { requests: { cpu: string } } } } };
    expect(local.pilot.replicaCount).toBe(1);
    expect(local.global.proxy.resources.requests.cpu).toBe("20m");
    const prod = istiodValues(stackConfig("prod")) as { pilot: { replicaCount: number } };
    expect(prod.pilot.replicaCount).toBeGreaterThanOrEqual(2);
  });
});

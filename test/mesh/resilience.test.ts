import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import type { RouteSpec, ServiceSpec } from "../../infra/catalog/schema";
import { MIN_PER_TRY_TIMEOUT_MS, RETRY_BACKOFF_ALLOWANCE_MS, routePolicy, type RoutePolicy } from "../../infra/mesh/resilience";
import { destinationRule, virtualService } from "../../infra/mesh/spec";

const catalog = loadCatalog();
const budgetOf = (s: ServiceSpec) => s.slo?.timeoutBudgetMs ?? 2000;

/** The property every route must satisfy, stated independently of the implementation. */
function checkProperty(service: ServiceSpec, route: RouteSpec, p: RoutePolicy): void {
  const where = `${service.name}/${route.name}`;
  if (route.websocket) {
    expect(p.timeoutMs, where).toBeNull();
    expect(p.retries.attempts, where).toBe(0);
    return;
  }
  expect(p.timeoutMs, where).not.toBeNull();
  const timeout = p.timeoutMs!;
  expect(timeout, `${where} timeout within route budget`).toBeLessThanOrEqual(route.timeoutMs);
  expect(timeout, `${where} timeout within SLO budget`).toBeLessThanOrEqual(budgetOf(service));
  expect(timeout, where).toBeGreaterThan(0);
  if (!route.idempotent) {
    expect(p.retries.attempts, `${where} non-idempotent`).toBe(0);
    expect(p.retries.retryOn, where).toBeUndefined();
    return;
  }
  // The catalog's `retries` is the total number of tries (1 = no retry).
  expect(p.retries.attempts + 1, where).toBeLessThanOrEqual(Math.max(1, route.retries));
  if (p.retries.attempts > 0) {
    const perTry = p.retries.perTryTimeoutMs!;
    expect(perTry, where).toBeGreaterThanOrEqual(MIN_PER_TRY_TIMEOUT_MS);
    expect((p.retries.attempts + 1) * perTry + p.retries.attempts * RETRY_BACKOFF_ALLOWANCE_MS, where).toBeLessThanOrEqual(timeout);
  }
}

/** Small deterministic PRNG (mulberry32) so the generated cases are reproducible. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("route timeouts and retries", () => {
  const cases = catalog.services.flatMap((s) => s.routes.map((r) => [`${s.name}/${r.name}`, s, r] as const));

  it.each(cases)("%s fits its SLO budget and retries only when idempotent", (_name, service, route) => {
    checkProperty(service, route, routePolicy(service, route));
  });

  it("holds for 2000 generated routes and budgets", () => {
    const rnd = prng(42);
    const base = catalog.services[0];
    for (let i = 0; i < 2000; i++) {
      const budget = 10 + Math.floor(rnd() * 5000);
      const service: ServiceSpec = { ...base, slo: { ...base.slo!, timeoutBudgetMs: budget } };
      const route: RouteSpec = {
        name: `r${i}`,
        method: (["GET", "POST", "PUT", "PATCH", "DELETE"] as const)[Math.floor(rnd() * 5)],
        path: "/x",
        idempotent: rnd() < 0.6,
        exposed: true,
        timeoutMs: 10 + Math.floor(rnd() * 6000),
        retries: Math.floor(rnd() * 6),
        websocket: rnd() < 0.05,
        authenticated: true,
      };
      checkProperty(service, route, routePolicy(service, route));
    }
  });

  it("gives order placement and cancellation zero retries in the VirtualService", () => {
    const trading = catalog.services.find((s) => s.name === "trading")!;
    const vs = virtualService(trading).spec as { http: Array<{ name: string; retries: { attempts: number; retryOn?: string }; timeout: string }> };
    for (const name of ["place-order", "cancel-order"]) {
      const r = vs.http.find((h) => h.name === name)!;
      expect(r.retries).toEqual({ attempts: 0 });
    }
    // Istio retries by default: every route, the catch-all included, states its retries explicitly.
    for (const h of vs.http) expect(h.retries, h.name).toBeDefined();
  });

  it("never retries a non-idempotent route on 5xx or reset, in any service", () => {
    for (const s of catalog.services) {
      const vs = virtualService(s).spec as { http: Array<{ name: string; match?: Array<{ method: { exact: string } }>; retries: { attempts: number; retryOn?: string } }> };
      for (const r of s.routes.filter((x) => !x.idempotent)) {
        const h = vs.http.find((x) => x.name === r.name)!;
        expect(h.retries.attempts, `${s.name}/${r.name}`).toBe(0);
        expect(h.retries.retryOn ?? "", `${s.name}/${r.name}`).not.toMatch(/5xx|reset|gateway-error|retriable-status/);
      }
    }
  });

  it("routes a templated path before its shorter prefix so GET /orders/{id} keeps its own timeout", () => {
    const trading = catalog.services.find((s) => s.name === "trading")!;
    const names = (virtualService(trading).spec as { http: Array<{ name: string }> }).http.map((h) => h.name);
    expect(names.indexOf("get-order")).toBeLessThan(names.indexOf("list-orders"));
    expect(names.indexOf("cancel-order")).toBeLessThan(names.indexOf("place-order"));
    expect(names.at(-1)).toBe("default");
    const getOrder = (virtualService(trading).spec as { http: Array<{ name: string; match: Array<{ uri: { regex?: string } }> }> }).http.find((h) => h.name === "get-order")!;
    const re = new RegExp(getOrder.match[0].uri.regex!);
    expect(re.test("/api/v1/orders/42")).toBe(true);
    expect(re.test("/api/v1/orders")).toBe(false);
  });
});

describe("circuit breakers and bulkheads", () => {
  it.each(catalog.services.map((s) => [s.name, s] as const))("%s has outlier detection, a connection pool and ISTIO_MUTUAL", (_n, s) => {
    const tp = (destinationRule(s).spec as { trafficPolicy: Record<string, Record<string, unknown>> }).trafficPolicy;
    expect(tp.tls).toEqual({ mode: "ISTIO_MUTUAL" });
    expect(tp.outlierDetection.consecutive5xxErrors).toBeGreaterThan(0);
    expect(tp.outlierDetection.maxEjectionPercent).toBeLessThan(100);
    const pool = tp.connectionPool as { tcp: { maxConnections: number }; http: { http2MaxRequests: number; http1MaxPendingRequests: number } };
    expect(pool.tcp.maxConnections).toBeGreaterThan(0);
    expect(pool.http.http1MaxPendingRequests).toBeGreaterThan(0);
  });

  it("sizes the critical path's bulkhead larger than standard services'", () => {
    const pool = (s: ServiceSpec) => ((destinationRule(s).spec as { trafficPolicy: { connectionPool: { tcp: { maxConnections: number } } } }).trafficPolicy.connectionPool.tcp.maxConnections);
    const critical = catalog.services.filter((s) => s.criticality === "critical").map(pool);
    const standard = catalog.services.filter((s) => s.criticality === "standard").map(pool);
    expect(Math.min(...critical)).toBeGreaterThan(Math.max(...standard));
  });

  it("balances WebSocket streams by open requests (no affinity on a header browsers cannot send) and keeps idle connections for an hour", () => {
    const ws = catalog.services.find((s) => s.routes.some((r) => r.websocket))!;
    const tp = (destinationRule(ws).spec as { trafficPolicy: { loadBalancer: unknown; connectionPool: { http: { idleTimeout: string } } } }).trafficPolicy;
    expect(tp.loadBalancer).toEqual({ simple: "LEAST_REQUEST" });
    expect(parseInt(tp.connectionPool.http.idleTimeout, 10)).toBeGreaterThanOrEqual(3600);
    const stream = (virtualService(ws).spec as { http: Array<{ name: string; timeout?: string; retries: { attempts: number } }> }).http.find((h) => h.name === "stream")!;
    // No route timeout: Istio's default is "disabled", and 0s is refused by the 1.29 CRD (>= 1ms).
    expect(stream).not.toHaveProperty("timeout");
    expect(stream.retries.attempts).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import { loadCatalog, parseCatalog } from "../../infra/catalog/load";
import { ValidationError } from "../../infra/validation/schema";
import { catalogDocument } from "../helpers/plan";

function issuesOf(mutate: (doc: ReturnType<typeof catalogDocument>) => void): ValidationError {
  const doc = catalogDocument();
  mutate(doc);
  try {
    parseCatalog(yaml.dump(doc), "catalog-under-test.yaml");
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error("expected the catalog to be rejected");
}

const svc = (doc: ReturnType<typeof catalogDocument>, name: string) => doc.services.find((s) => s.name === name) as Record<string, unknown> & { calls: string[]; consumes: string[]; ports: Record<string, number> };

describe("service catalog", () => {
  it("ships the seven services of the brief with SLOs on every critical one", () => {
    const c = loadCatalog();
    expect(c.services.map((s) => s.name).sort()).toEqual(["analytics", "auth", "market-data", "notification", "portfolio", "trading", "websocket-gateway"]);
    for (const s of c.services.filter((x) => x.criticality === "critical")) expect(s.slo, s.name).toBeDefined();
    expect(c.topics.map((t) => t.event)).toEqual(expect.arrayContaining(["TradeExecuted", "PositionUpdated", "MarketDataChanged", "OrderStatusChanged"]));
  });

  it("marks order placement non-idempotent", () => {
    const trading = loadCatalog().services.find((s) => s.name === "trading")!;
    const place = trading.routes.find((r) => r.method === "POST" && r.path === "/api/v1/orders")!;
    expect(place.idempotent).toBe(false);
  });

  it("rejects a call to a service that does not exist, naming the path", () => {
    const e = issuesOf((d) => svc(d, "trading").calls.push("risk-engine"));
    expect(e.file).toBe("catalog-under-test.yaml");
    const i = e.issues.find((x) => x.found.includes("risk-engine"))!;
    expect(i.path).toMatch(/^services\[\d\]\.calls\[3\]$/);
    expect(i.expected).toContain("auth");
  });

  it("rejects a topic reference that does not exist", () => {
    const e = issuesOf((d) => svc(d, "notification").consumes.push("price-alerts"));
    expect(e.issues.some((i) => /\.consumes\[2\]$/.test(i.path) && i.found.includes("price-alerts"))).toBe(true);
  });

  it("rejects duplicate service names", () => {
    const e = issuesOf((d) => d.services.push({ ...svc(d, "auth") }));
    expect(e.issues.some((i) => i.path === "services" && i.found.includes('"auth"'))).toBe(true);
  });

  it("rejects the same port for traffic and metrics", () => {
    const e = issuesOf((d) => (svc(d, "portfolio").ports.metrics = svc(d, "portfolio").ports.http));
    expect(e.issues.some((i) => i.path.endsWith(".ports") && i.expected.includes("different"))).toBe(true);
  });

  it("rejects a critical service without an SLO", () => {
    const e = issuesOf((d) => delete svc(d, "market-data").slo);
    expect(e.issues.some((i) => i.path.endsWith(".slo") && i.expected.includes("critical"))).toBe(true);
  });

  it("rejects an unknown key and lists the allowed ones", () => {
    const e = issuesOf((d) => (svc(d, "auth").replica = 3));
    const i = e.issues.find((x) => x.path.endsWith(".replica"))!;
    expect(i.expected).toContain("environments");
  });

  it("rejects a wrong type with what was found", () => {
    const e = issuesOf((d) => (svc(d, "trading").ports.http = "8080" as unknown as number));
    const i = e.issues.find((x) => x.path.endsWith("ports.http"))!;
    expect(i.expected).toMatch(/integer/);
    expect(i.found).toContain("string");
  });

  it("rejects a floating image tag", () => {
    const e = issuesOf((d) => ((svc(d, "auth").image as Record<string, string>).tag = "latest"));
    expect(e.issues.some((i) => i.path.endsWith("image.tag"))).toBe(true);
  });

  it("reports invalid YAML with the file name", () => {
    expect(() => parseCatalog("services: [", "broken.yaml")).toThrow(/broken\.yaml/);
  });
});

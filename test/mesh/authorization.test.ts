import { describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import { loadCatalog, parseCatalog } from "../../infra/catalog/load";
import type { Catalog } from "../../infra/catalog/schema";
import { authorizationObjects, peerAuthentications, type AuthorizationRule } from "../../infra/mesh/authorization";
import type { KubeObject } from "../../infra/kube/object";
import { catalogDocument } from "../helpers/plan";

const catalog = loadCatalog();

interface PolicySpec {
  selector?: { matchLabels: Record<string, string> };
  action?: string;
  rules?: AuthorizationRule[];
}

const spec = (o: KubeObject) => o.spec as PolicySpec;

/** caller -> callee edges granted by the generated policies (service principals only). */
function grantedServiceEdges(c: Catalog): string[] {
  const byPrincipal = new Map(c.services.map((s) => [`cluster.local/ns/${s.namespace}/sa/${s.name}`, s.name]));
  const edges: string[] = [];
  for (const p of authorizationObjects(c).filter((o) => spec(o).action === "ALLOW")) {
    const target = spec(p).selector!.matchLabels.app;
    for (const rule of spec(p).rules ?? []) {
      for (const f of rule.from ?? []) {
        for (const principal of f.source.principals ?? []) {
          const caller = byPrincipal.get(principal);
          if (caller) edges.push(`${caller}->${target}`);
        }
      }
    }
  }
  return edges.sort();
}

function ruleCount(c: Catalog): number {
  return authorizationObjects(c).reduce((n, o) => n + (spec(o).rules?.length ?? 0), 0);
}

function withCatalog(mutate: (doc: ReturnType<typeof catalogDocument>) => void): Catalog {
  const doc = catalogDocument();
  mutate(doc);
  return parseCatalog(yaml.dump(doc), "variant.yaml");
}

describe("call-graph authorization", () => {
  it("grants exactly the catalog's call edges: none missing, none extra", () => {
    const expected = catalog.services.flatMap((s) => s.calls.map((to) => `${s.name}->${to}`)).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(grantedServiceEdges(catalog)).toEqual(expected);
  });

  it("denies by default in every meshed namespace", () => {
    const denies = authorizationObjects(catalog).filter((o) => o.metadata.name === "deny-by-default");
    const namespaces = new Set([...catalog.services.map((s) => s.namespace), "kong"]);
    expect(new Set(denies.map((d) => d.metadata.namespace))).toEqual(namespaces);
    // An AuthorizationPolicy with an empty spec allows nothing.
    for (const d of denies) expect(d.spec).toEqual({});
  });

  it("adds exactly one allow rule when a call is added to the catalog", () => {
    const variant = withCatalog((doc) => {
      const notification = doc.services.find((s) => s.name === "notification")!;
      notification.calls = [...(notification.calls as string[]), "portfolio"];
    });
    expect(ruleCount(variant)).toBe(ruleCount(catalog) + 1);
    expect(grantedServiceEdges(variant)).toEqual([...grantedServiceEdges(catalog), "notification->portfolio"].sort());
  });

  it("lets Kong reach only exposed routes, never internal ones", () => {
    const kong = "cluster.local/ns/kong/sa/kong-gateway";
    for (const s of catalog.services) {
      const policy = authorizationObjects(catalog).find((o) => o.metadata.name === `${s.name}-allow`)!;
      const kongRules = spec(policy).rules!.filter((r) => r.from?.some((f) => f.source.principals?.includes(kong)));
      const exposed = s.routes.filter((r) => r.exposed);
      expect(kongRules.length, s.name).toBe(exposed.length > 0 ? 1 : 0);
      if (!exposed.length) continue;
      const ops = kongRules[0].to!.map((t) => t.operation);
      expect(ops.length).toBe(exposed.length);
      const paths = ops.flatMap((o) => o.paths ?? []);
      for (const internal of s.routes.filter((r) => !r.exposed)) {
        // Istio paths: exact, or "prefix*".
        const reachable = paths.some((p) => (p.endsWith("*") ? internal.path.startsWith(p.slice(0, -1)) : p === internal.path));
        expect(reachable, `${s.name} ${internal.path}`).toBe(false);
      }
      for (const op of ops) expect(op.ports).toEqual([String(s.ports.http)]);
    }
  });

  it("opens no service's metrics port to anyone (metrics are merged on the sidecar's :15020)", () => {
    for (const s of catalog.services) {
      const policy = authorizationObjects(catalog).find((o) => o.metadata.name === `${s.name}-allow`)!;
      for (const r of spec(policy).rules!) for (const t of r.to ?? []) expect(t.operation.ports).not.toContain(String(s.ports.metrics));
    }
  });

  it("enforces STRICT mTLS mesh-wide with no port-level exception", () => {
    const pas = peerAuthentications();
    expect(pas).toHaveLength(1);
    expect(pas[0].metadata.namespace).toBe("istio-system");
    expect(pas[0].spec).toEqual({ mtls: { mode: "STRICT" } });
  });
});

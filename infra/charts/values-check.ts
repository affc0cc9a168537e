/**
 * Values a chart never reads. Helm accepts any key and ignores what no template reads, so a
 * misspelt or outdated key (`ports.jaeger_compact` for `jaeger-compact`) silently deploys the
 * default. Every key path we pass must exist in the chart's `values.yaml` (or a subchart's, under
 * its name or alias), be allowed by its `values.schema.json`, or be proven read by the render:
 * changing the value changes the rendered output. Pure except `provenRead`'s render callback.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { isPlainObject } from "../validation/schema";
import { differingPaths, maskPaths } from "./render";

type Obj = Record<string, unknown>;

/** A chart's values tree: its values.yaml, schema and subcharts (by name and alias). */
export interface ChartValuesTree {
  name: string;
  values: Obj;
  schema?: Obj;
  subcharts: Map<string, ChartValuesTree>;
}

function readYamlFile(file: string): unknown {
  return fs.existsSync(file) ? yaml.load(fs.readFileSync(file, "utf8")) : undefined;
}

/** Reads an unpacked chart directory (subcharts under charts/<dir>/, aliases from Chart.yaml). */
export function readChartValues(dir: string): ChartValuesTree {
  const meta = (readYamlFile(path.join(dir, "Chart.yaml")) ?? {}) as { name?: string; dependencies?: Array<{ name: string; alias?: string }> };
  const values = readYamlFile(path.join(dir, "values.yaml"));
  const schemaFile = path.join(dir, "values.schema.json");
  let declared: Obj = isPlainObject(values) ? values : {};
  // Istio's charts keep their defaults under `_internal_defaults_do_not_set` (merged under the
  // user's values by the chart's zzz_profile.yaml): those keys are declared at the root.
  if (isPlainObject(declared._internal_defaults_do_not_set)) {
    const { _internal_defaults_do_not_set: inner, ...rest } = declared;
    declared = { ...(inner as Obj), ...rest };
  }
  const tree: ChartValuesTree = {
    name: meta.name ?? path.basename(dir),
    values: declared,
    schema: fs.existsSync(schemaFile) ? (JSON.parse(fs.readFileSync(schemaFile, "utf8")) as Obj) : undefined,
    subcharts: new Map(),
  };
  const subDir = path.join(dir, "charts");
  const byName = new Map<string, ChartValuesTree>();
  if (fs.existsSync(subDir)) {
    for (const d of fs.readdirSync(subDir)) {
      if (!fs.existsSync(path.join(subDir, d, "Chart.yaml"))) continue;
      const sub = readChartValues(path.join(subDir, d));
      byName.set(sub.name, sub);
    }
  }
  for (const dep of meta.dependencies ?? []) {
    const sub = byName.get(dep.name);
    if (sub) tree.subcharts.set(dep.alias ?? dep.name, sub);
  }
  for (const [n, sub] of byName) if (!(meta.dependencies ?? []).some((d) => d.name === n)) tree.subcharts.set(n, sub);
  return tree;
}

/** Leaf key paths of a values tree (a list, a scalar or an empty map is a leaf). */
export function leafPaths(values: unknown, prefix: string[] = []): string[][] {
  if (!isPlainObject(values) || (Object.keys(values).length === 0 && prefix.length)) return prefix.length ? [prefix] : [];
  return Object.entries(values).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

/**
 * Whether `values.yaml` declares the path: every step exists, or a step reaches a free-form value
 * (an empty map or null default, e.g. `podAnnotations: {}`), which takes any keys below it.
 */
function declaredIn(values: unknown, p: string[]): boolean {
  let node: unknown = values;
  for (const k of p) {
    if (node === null || (isPlainObject(node) && Object.keys(node).length === 0)) return true;
    if (!isPlainObject(node) || !(k in node)) return false;
    node = node[k];
  }
  return true;
}

function resolveRef(root: Obj, s: Obj): Obj {
  let cur = s;
  for (let i = 0; i < 20 && typeof cur.$ref === "string" && cur.$ref.startsWith("#/"); i++) {
    let t: unknown = root;
    for (const part of cur.$ref.slice(2).split("/")) t = isPlainObject(t) ? t[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    if (!isPlainObject(t)) break;
    cur = t;
  }
  return cur;
}

/** Whether a JSON schema names the path (properties, patternProperties or an open additionalProperties schema). */
function allowedBySchema(root: Obj, p: string[]): boolean {
  let schemas: Obj[] = [root];
  for (const k of p) {
    const next: Obj[] = [];
    for (const raw of schemas) {
      const s = resolveRef(root, raw);
      const alts = [s, ...(["allOf", "anyOf", "oneOf"] as const).flatMap((c) => (Array.isArray(s[c]) ? (s[c] as Obj[]).map((x) => resolveRef(root, x)) : []))];
      for (const a of alts) {
        const props = a.properties as Record<string, Obj> | undefined;
        if (props && isPlainObject(props[k])) next.push(props[k]);
        for (const [re, ps] of Object.entries((a.patternProperties ?? {}) as Record<string, Obj>)) if (new RegExp(re).test(k)) next.push(ps);
        if (isPlainObject(a.additionalProperties)) next.push(a.additionalProperties);
      }
    }
    if (!next.length) return false;
    schemas = next;
  }
  return true;
}

/** Whether the chart (or the subchart the first keys lead to) declares a path. */
export function chartDeclares(tree: ChartValuesTree, p: string[]): boolean {
  if (declaredIn(tree.values, p) || (tree.schema && allowedBySchema(tree.schema, p))) return true;
  if (p[0] === "global") return [...tree.subcharts.values()].some((s) => chartDeclares(s, p));
  const sub = tree.subcharts.get(p[0]);
  if (sub && p.length > 1) return chartDeclares(sub, p.slice(1));
  return false;
}

/** The chart's default at a path (a subchart's under its name or alias), or undefined. */
export function chartDefaultAt(tree: ChartValuesTree, p: string[]): unknown {
  const own = valueAt(tree.values, p);
  if (own !== undefined) return own;
  const sub = tree.subcharts.get(p[0]);
  return sub && p.length > 1 ? chartDefaultAt(sub, p.slice(1)) : undefined;
}

/**
 * Unknown values (known only at deploy, e.g. an MSK bootstrap list) shaped like the chart's
 * default, so its templates can render them: a whole `marker` where the chart's default is a list
 * becomes a one-element list `[marker]` (a template `range`s over a list; over a string it fails).
 * Returns the new values and the key paths stood in; the rendered output carries the marker
 * where the real value goes.
 */
export function shapeUnknowns(tree: ChartValuesTree, values: Obj, marker: string): { values: Obj; shaped: string[] } {
  const shaped: string[] = [];
  let out = values;
  for (const p of leafPaths(values)) {
    if (valueAt(values, p) !== marker || !Array.isArray(chartDefaultAt(tree, p))) continue;
    out = setAt(out, p, [marker]);
    shaped.push(p.join("."));
  }
  return { values: out, shaped };
}

const spelling = (k: string) => k.toLowerCase().replace(/[-_.]/g, "");

/**
 * Keys spelt like a declared sibling but not the same (`jaeger_compact` for `jaeger-compact`):
 * a free-form map (or a permissive schema) accepts them, and the chart's own key keeps its default.
 */
export function misspelledPaths(tree: ChartValuesTree, values: Obj): Array<{ path: string; declared: string }> {
  const out: Array<{ path: string; declared: string }> = [];
  const walk = (ours: unknown, theirs: unknown, at: string[], sub: ChartValuesTree | undefined) => {
    if (!isPlainObject(ours)) return;
    for (const [k, v] of Object.entries(ours)) {
      const t = isPlainObject(theirs) ? theirs : {};
      if (!(k in t)) {
        const twin = Object.keys(t).find((d) => d !== k && spelling(d) === spelling(k));
        if (twin) out.push({ path: [...at, k].join("."), declared: [...at, twin].join(".") });
      }
      const child = at.length === 0 && sub === undefined ? tree.subcharts.get(k) : undefined;
      walk(v, t[k], [...at, k], sub);
      if (child) walk(v, child.values, [k], child);
    }
  };
  walk(values, tree.values, [], undefined);
  return out;
}

/** Key paths of `values` no values.yaml or schema of the chart declares (candidates for "ignored"). */
export function undeclaredPaths(tree: ChartValuesTree, values: Obj): string[][] {
  return leafPaths(values).filter((p) => !chartDeclares(tree, p));
}

function valueAt(values: unknown, p: string[]): unknown {
  return p.reduce<unknown>((n, k) => (isPlainObject(n) ? n[k] : undefined), values);
}

function setAt(values: Obj, p: string[], v: unknown): Obj {
  const walk = (node: Obj, i: number): Obj => ({ ...node, [p[i]]: i === p.length - 1 ? v : walk(node[p[i]] as Obj, i + 1) });
  return walk(values, 0);
}

/** `values` with the leaf at `p` changed to a different value of the same kind. */
export function perturbed(values: Obj, p: string[]): Obj {
  const change = (v: unknown): unknown => {
    if (typeof v === "string") return `${v}-probe`;
    if (typeof v === "number") return v + 7;
    if (typeof v === "boolean") return !v;
    if (Array.isArray(v)) return v.length ? [] : ["probe"];
    if (isPlainObject(v)) return { probe: "probe" };
    return "probe";
  };
  return setAt(values, p, change(valueAt(values, p)));
}

/**
 * The undeclared paths that the render does not read: changing each one leaves the output
 * unchanged. `render` returns the applied objects for some values, or throws (a render that fails
 * on the changed value reads it). Parts that differ between two renders of the same values
 * (generated certificates, random passwords) are left out of the comparison.
 */
export function ignoredPaths(tree: ChartValuesTree, values: Obj, renderObjects: (v: Obj) => unknown[], opts: { stable?: boolean; all?: boolean } = {}): string[] {
  // `all`: probe declared keys too (a declared key can still be dead, e.g. a flag read only when
  // another value is unset); one render per key that no marker proves read, so it is opt-in.
  let candidates = opts.all ? leafPaths(values) : undeclaredPaths(tree, values);
  if (!candidates.length) return [];
  const first = renderObjects(values);
  const unstable = opts.stable ? [] : differingPaths(first, renderObjects(values));
  const render = (v: Obj) => JSON.stringify(maskPaths(renderObjects(v), unstable, null));
  const base = JSON.stringify(maskPaths(first, unstable, null));
  // One render for all string leaves: each gets a unique marker; a marker in the output proves
  // its key is read. The rest (and everything, if that render fails) is probed one by one.
  // Numbers get distinct sentinel numbers the same way (a read count or port is printed).
  for (const kind of ["string", "number"] as const) {
    const batch = candidates.filter((p) => typeof valueAt(values, p) === kind);
    if (batch.length < 2) continue;
    const marker = (i: number) => (kind === "string" ? `tm-probe-${i}-x` : 7_340_000 + i);
    let marked = values;
    batch.forEach((p, i) => (marked = setAt(marked, p, marker(i))));
    try {
      const out = render(marked);
      const read = new Set(batch.filter((_, i) => new RegExp(`\\b${marker(i)}\\b`).test(out)).map((p) => p.join("\0")));
      candidates = candidates.filter((p) => !read.has(p.join("\0")));
    } catch {
      // fall through to one render per key
    }
  }
  return candidates
    .filter((p) => {
      try {
        return render(perturbed(values, p)) === base;
      } catch {
        return false;
      }
    })
    .map((p) => p.join("."));
}

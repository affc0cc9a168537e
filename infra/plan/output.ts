/** Renders and writes the offline plan: the preview-like tree, plan.json and manifests. Pure except the writer. */
import * as path from "node:path";
import * as yaml from "js-yaml";
import { writeOutputDir, type OutputDirOptions } from "../io/output-dir";
import type { Plan, PlanResource } from "./types";

/** A Kubernetes object of the plan and the URN of the resource that declares it. */
export interface KubeObjectRef {
  urn?: string;
  object: Record<string, unknown>;
}

/** Stable JSON: keys sorted at every level, so the same plan is byte-identical. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + "\n";
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.keys(v as Record<string, unknown>)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  );
}

/**
 * The Kubernetes objects of a plan: every custom `kubernetes:<group>/<version>:<Kind>` resource,
 * and every such child of a Chart (its rendered objects), with its inputs as the object. Chart and
 * YAML/Kustomize resources themselves are groups, not objects; `*Patch` resources are partial by
 * design and not validated.
 */
export function kubeObjectsOfPlan(plan: Pick<Plan, "resources">): KubeObjectRef[] {
  const out: KubeObjectRef[] = [];
  // Objects a chart renders are children of its Chart resource, whether or not they are recorded as custom.
  const charts = new Set(plan.resources.filter((r) => /^kubernetes:helm\.sh\/v\d+:Chart$/.test(r.type)).map((r) => r.urn));
  for (const r of plan.resources) {
    const m = /^kubernetes:([^:]+)\/([^/:]+):([A-Za-z0-9]+)$/.exec(r.type);
    if (!m || !(r.custom || (r.parent !== null && charts.has(r.parent)))) continue;
    const [, group, version, kind] = m;
    if (/^(helm\.sh|yaml|kustomize)$/.test(group) || kind.endsWith("Patch")) continue;
    const apiVersion = group === "core" ? version : `${group}/${version}`;
    out.push({ urn: r.urn, object: { apiVersion, kind, ...r.inputs } });
  }
  return out;
}

/** Relative manifest path of an object: `<namespace or _cluster>/<kind>-<name>.yaml`. */
export function manifestPath(obj: Record<string, unknown>): string {
  const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
  const dir = meta.namespace ?? "_cluster";
  return path.join(dir, `${String(obj.kind).toLowerCase()}-${meta.name ?? "unnamed"}.yaml`);
}

export function manifestYaml(obj: Record<string, unknown>): string {
  return yaml.dump(obj, { sortKeys: true, lineWidth: 120, noRefs: true });
}

/**
 * Writes plan.json, manifests/ and extra artifacts as the directory `dir`, atomically (see
 * writeOutputDir: a previous output is replaced only if this tool wrote it; on failure it stays).
 */
export function writePlan(plan: Plan, dir: string, artifacts: Record<string, string> = {}, opts: Omit<OutputDirOptions, "tool"> = {}): { files: number } {
  return writeOutputDir(
    dir,
    (out) => {
      out.write("plan.json", stableJson(plan));
      for (const { object } of kubeObjectsOfPlan(plan)) out.write(path.join("manifests", manifestPath(object)), manifestYaml(object));
      for (const [rel, content] of Object.entries(artifacts).sort(([a], [b]) => a.localeCompare(b))) out.write(rel, content);
    },
    { ...opts, tool: "plan" },
  );
}

/** A tree like `pulumi preview`: every resource under its parent, then counts per type. */
export function renderTree(plan: Plan, opts: { maxDepth?: number } = {}): string {
  const children = new Map<string | null, PlanResource[]>();
  const urns = new Set(plan.resources.map((r) => r.urn));
  for (const r of plan.resources) {
    const key = r.parent && urns.has(r.parent) ? r.parent : null;
    const list = children.get(key) ?? [];
    list.push(r);
    children.set(key, list);
  }
  const rows: Array<[string, string, string]> = [];
  const visit = (parent: string | null, prefix: string, depth: number) => {
    const list = (children.get(parent) ?? []).slice().sort((a, b) => (a.type + a.name).localeCompare(b.type + b.name));
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      const branch = parent === null ? "" : last ? "└─ " : "├─ ";
      const flags = [r.protect ? "protected" : "", r.customTimeouts ? "timeouts" : ""].filter(Boolean).join(",");
      rows.push([`${prefix}${branch}${r.type}`, r.name, flags]);
      if (opts.maxDepth === undefined || depth < opts.maxDepth) {
        visit(r.urn, parent === null ? prefix : prefix + (last ? "   " : "│  "), depth + 1);
      }
    });
  };
  visit(null, "", 0);
  const w0 = Math.max(4, ...rows.map((r) => r[0].length));
  const w1 = Math.max(4, ...rows.map((r) => r[1].length));
  const lines = [` +  ${"Type".padEnd(w0)}  ${"Name".padEnd(w1)}  Plan`];
  for (const [t, n, f] of rows) lines.push(` +  ${t.padEnd(w0)}  ${n.padEnd(w1)}  create${f ? ` (${f})` : ""}`);
  lines.push("", "Resources:", `    + ${plan.summary.total} to create`, "", "By type:");
  for (const [type, count] of Object.entries(plan.summary.byType)) lines.push(`    ${String(count).padStart(4)}  ${type}`);
  return lines.join("\n");
}

/** Wraps text to `width` columns at spaces, indenting continuation lines. */
export function wrap(text: string, width: number, indent = "    "): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => (l.length > width ? `${l.slice(0, width - 3)}...` : l)).join("\n");
}

/**
 * The default terminal view of a plan, at most `width` columns: totals, then resources per
 * component of ours (with the number of instances). `renderTree` has every resource.
 */
export function renderSummary(plan: Plan, width = 100): string {
  const perComponent = new Map<string, { instances: number; resources: number }>();
  for (const r of plan.resources) {
    const key = r.component ?? "(stack)";
    const entry = perComponent.get(key) ?? { instances: 0, resources: 0 };
    entry.resources++;
    if (r.type === r.component) entry.instances++;
    perComponent.set(key, entry);
  }
  const rows = [...perComponent.entries()].sort(([a], [b]) => a.localeCompare(b));
  const nameWidth = Math.min(width - 24, Math.max(9, ...rows.map(([n]) => n.length)));
  const fit = (s: string) => (s.length > nameWidth ? `${s.slice(0, nameWidth - 3)}...` : s.padEnd(nameWidth));
  const protectedCount = plan.resources.filter((r) => r.protect).length;
  const lines = [
    wrap(`Offline plan of stack "${plan.stack}" (${plan.environment}): ${plan.summary.total} resources to create, ${protectedCount} protected`, width),
    "  (Pulumi test runtime, preview semantics: no CLI, credentials or cluster)",
    "",
    `  ${fit("Component")}  instances  resources`,
    ...rows.map(([name, c]) => `  ${fit(name)}  ${String(c.instances || "").padStart(9)}  ${String(c.resources).padStart(9)}`),
  ];
  return lines.join("\n");
}

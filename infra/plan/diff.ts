/**
 * Desired-state diff between two plans, by URN with property-level changes. Pure. Secret values
 * are masked in both plans, so a changed secret cannot be seen (as in `pulumi preview`).
 */
import type { Plan, PlanResource } from "./types";

export interface PropertyChange {
  /** Dotted path, e.g. `spec.replicas` or `spec.template.spec.containers[0].image`. */
  path: string;
  before: unknown;
  after: unknown;
}

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  changes: PropertyChange[];
}

export interface PlanDiff {
  added: PlanResource[];
  removed: PlanResource[];
  changed: ResourceChange[];
}

/** Changes between two JSON values as leaf paths. Lists compare element by element. */
export function diffValues(before: unknown, after: unknown, path = ""): PropertyChange[] {
  if (Object.is(before, after)) return [];
  const bothObjects =
    before !== null && after !== null && typeof before === "object" && typeof after === "object" && Array.isArray(before) === Array.isArray(after);
  if (!bothObjects) return [{ path: path || "(value)", before, after }];
  const out: PropertyChange[] = [];
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    for (let i = 0; i < n; i++) out.push(...diffValues(before[i], after[i], `${path}[${i}]`));
    return out;
  }
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  for (const k of keys) out.push(...diffValues(b[k], a[k], path ? `${path}.${k}` : k));
  return out;
}

/** What differs in a resource besides its inputs: protection, timeouts, parent and dependencies. */
function optionChanges(b: PlanResource, a: PlanResource): PropertyChange[] {
  return [
    ...diffValues(b.protect, a.protect, "(options).protect"),
    ...diffValues(b.customTimeouts, a.customTimeouts, "(options).customTimeouts"),
    ...diffValues(b.parent, a.parent, "(options).parent"),
    ...diffValues(b.dependencies, a.dependencies, "(options).dependencies"),
  ];
}

export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const b = new Map(before.resources.map((r) => [r.urn, r]));
  const a = new Map(after.resources.map((r) => [r.urn, r]));
  const added = after.resources.filter((r) => !b.has(r.urn));
  const removed = before.resources.filter((r) => !a.has(r.urn));
  const changed: ResourceChange[] = [];
  for (const r of after.resources) {
    const old = b.get(r.urn);
    if (!old) continue;
    const changes = [...diffValues(old.inputs, r.inputs), ...optionChanges(old, r)];
    if (changes.length) changed.push({ urn: r.urn, type: r.type, name: r.name, changes });
  }
  return { added, removed, changed };
}

export function hasChanges(d: PlanDiff): boolean {
  return d.added.length + d.removed.length + d.changed.length > 0;
}

function show(v: unknown): string {
  if (v === undefined) return "(absent)";
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

export function renderDiffText(d: PlanDiff): string {
  const lines: string[] = [];
  for (const r of d.added) lines.push(` + ${r.type}  ${r.name}`);
  for (const r of d.removed) lines.push(` - ${r.type}  ${r.name}`);
  for (const r of d.changed) {
    lines.push(` ~ ${r.type}  ${r.name}`);
    for (const c of r.changes) lines.push(`     ~ ${c.path}: ${show(c.before)} => ${show(c.after)}`);
  }
  lines.push("", `Resources: ${d.added.length} to add, ${d.changed.length} to change, ${d.removed.length} to remove`);
  return lines.join("\n");
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** Markdown for a PR comment: a summary table, then changes per resource. */
export function renderDiffMarkdown(d: PlanDiff, title = "Infrastructure plan diff"): string {
  const lines = [`### ${title}`, "", "| change | count |", "|---|---|", `| ➕ add | ${d.added.length} |`, `| ✏️ change | ${d.changed.length} |`, `| ➖ remove | ${d.removed.length} |`, ""];
  if (!hasChanges(d)) return [...lines, "No changes."].join("\n");
  if (d.added.length || d.removed.length) {
    lines.push("| | type | name |", "|---|---|---|");
    for (const r of d.added) lines.push(`| ➕ | \`${r.type}\` | \`${cell(r.name)}\` |`);
    for (const r of d.removed) lines.push(`| ➖ | \`${r.type}\` | \`${cell(r.name)}\` |`);
    lines.push("");
  }
  for (const r of d.changed) {
    lines.push(`<details><summary>✏️ <code>${r.type}</code> <code>${r.name}</code> (${r.changes.length} change${r.changes.length > 1 ? "s" : ""})</summary>`, "");
    lines.push("| property | before | after |", "|---|---|---|");
    for (const c of r.changes) lines.push(`| \`${cell(c.path)}\` | \`${cell(show(c.before))}\` | \`${cell(show(c.after))}\` |`);
    lines.push("", "</details>", "");
  }
  return lines.join("\n");
}

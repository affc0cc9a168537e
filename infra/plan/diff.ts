/**
 * Desired-state diff between two plans, by URN with property-level changes. Pure. Secret values
 * are masked in both plans, so a changed secret cannot be seen (as in `pulumi preview`).
 */
import type { Plan, PlanResource } from "./types";

export interface PropertyChange {
  /** Dotted path, e.g. `spec.replicas` or `spec.template.spec.containers[name=app].image`. */
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

/**
 * Changes between two JSON values as leaf paths. Lists of objects are matched by an identity key
 * (`name`, `host`, `urn`...), shown as `path[name=x]`; other lists are aligned on their longest
 * common subsequence. So one entry added to a list is one change, not every later index shifted.
 */
export function diffValues(before: unknown, after: unknown, path = ""): PropertyChange[] {
  if (Object.is(before, after)) return [];
  const bothObjects =
    before !== null && after !== null && typeof before === "object" && typeof after === "object" && Array.isArray(before) === Array.isArray(after);
  if (!bothObjects) return [{ path: path || "(value)", before, after }];
  if (Array.isArray(before) && Array.isArray(after)) return diffLists(before, after, path);
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const out: PropertyChange[] = [];
  const own = (o: Record<string, unknown>, k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);
  for (const k of keys) out.push(...diffValues(own(b, k), own(a, k), path ? `${path}.${k}` : k));
  return out;
}

/** Keys that identify an entry of a list of objects, tried in this order. */
export const IDENTITY_KEYS = ["name", "host", "urn", "key", "alert", "record", "id", "uid", "port", "containerPort", "path"] as const;

type Id = string | number;

/** The identity key shared, with unique values, by every entry of both lists (if any). */
function identityKey(before: unknown[], after: unknown[]): string | undefined {
  const all = [...before, ...after];
  if (all.length === 0 || !all.every((e) => e !== null && typeof e === "object" && !Array.isArray(e))) return undefined;
  return IDENTITY_KEYS.find((k) => {
    const unique = (list: unknown[]) => {
      const ids = list.map((e) => (e as Record<string, unknown>)[k]);
      return ids.every((id) => typeof id === "string" || typeof id === "number") && new Set(ids).size === ids.length;
    };
    return unique(before) && unique(after);
  });
}

function diffLists(before: unknown[], after: unknown[], path: string): PropertyChange[] {
  const key = identityKey(before, after);
  if (key) return diffByIdentity(before as Record<string, unknown>[], after as Record<string, unknown>[], key, path);
  return diffAligned(before, after, path);
}

function diffByIdentity(before: Record<string, unknown>[], after: Record<string, unknown>[], key: string, path: string): PropertyChange[] {
  const at = (id: Id) => `${path}[${key}=${String(id)}]`;
  const b = new Map(before.map((e) => [e[key] as Id, e]));
  const a = new Map(after.map((e) => [e[key] as Id, e]));
  const out: PropertyChange[] = [];
  for (const [id, e] of b) if (!a.has(id)) out.push({ path: at(id), before: e, after: undefined });
  for (const [id, e] of a) {
    const old = b.get(id);
    out.push(...(old === undefined ? [{ path: at(id), before: undefined, after: e }] : diffValues(old, e, at(id))));
  }
  // Order can matter (routes match first-to-last): a reordering of the common entries is a change.
  const commonBefore = [...b.keys()].filter((id) => a.has(id));
  const commonAfter = [...a.keys()].filter((id) => b.has(id));
  if (commonBefore.some((id, i) => id !== commonAfter[i])) out.push({ path: `${path} (order of ${key})`, before: commonBefore, after: commonAfter });
  return out;
}

const MAX_ALIGNMENT_CELLS = 1_000_000;

/**
 * Aligns two lists on their longest common subsequence (entries compared as JSON); between
 * matches, as many entries as both sides have are compared in place, the rest added or removed.
 */
function diffAligned(before: unknown[], after: unknown[], path: string): PropertyChange[] {
  const n = before.length;
  const m = after.length;
  if (n * m > MAX_ALIGNMENT_CELLS) return diffByIndex(before, after, path, 0, 0, Math.max(n, m));
  const kb = before.map((e) => JSON.stringify(e));
  const ka = after.map((e) => JSON.stringify(e));
  // lcs[i][j]: length of the LCS of before[i..] and after[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = kb[i] === ka[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: PropertyChange[] = [];
  let i = 0;
  let j = 0;
  let gapI = 0;
  let gapJ = 0;
  const flushGap = () => {
    const removed = i - gapI;
    const added = j - gapJ;
    const paired = removed === added ? removed : 0;
    out.push(...diffByIndex(before, after, path, gapI, gapJ, paired));
    for (let x = gapI + paired; x < i; x++) out.push({ path: `${path}[${x}]`, before: before[x], after: undefined });
    for (let y = gapJ + paired; y < j; y++) out.push({ path: `${path}[${y}]`, before: undefined, after: after[y] });
  };
  while (i < n || j < m) {
    if (i < n && j < m && kb[i] === ka[j]) {
      flushGap();
      i++;
      j++;
      gapI = i;
      gapJ = j;
    } else if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) i++;
    else j++;
  }
  flushGap();
  return out;
}

/** Compares `count` entries in place from `i` (before) and `j` (after); shown at the after index. */
function diffByIndex(before: unknown[], after: unknown[], path: string, i: number, j: number, count: number): PropertyChange[] {
  const out: PropertyChange[] = [];
  for (let k = 0; k < count; k++) out.push(...diffValues(before[i + k], after[j + k], `${path}[${j + k}]`));
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

function show(v: unknown, max = 120): string {
  if (v === undefined) return "(absent)";
  const text = JSON.stringify(v);
  if (text.length <= max) return text;
  // Keep both ends: URNs and hosts differ at the end.
  const head = Math.max(1, Math.floor((max - 3) / 3));
  return `${text.slice(0, head)}...${text.slice(text.length - Math.max(1, max - 3 - head))}`;
}

/** Width of the terminal diff: values are shortened so a change line fits (the path is kept). */
const TEXT_WIDTH = 100;

function changeLine(c: PropertyChange): string {
  const head = `     ~ ${c.path}: `;
  const budget = Math.max(24, Math.floor((TEXT_WIDTH - head.length - 4) / 2));
  return `${head}${show(c.before, budget)} => ${show(c.after, budget)}`;
}

export function renderDiffText(d: PlanDiff): string {
  const lines: string[] = [];
  for (const r of d.added) lines.push(` + ${r.type}  ${r.name}`);
  for (const r of d.removed) lines.push(` - ${r.type}  ${r.name}`);
  for (const r of d.changed) {
    lines.push(` ~ ${r.type}  ${r.name}`);
    for (const c of r.changes) lines.push(changeLine(c));
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

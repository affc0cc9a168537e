/**
 * What the offline runner evaluates: a saved offline plan (`out/<stack>/plan.json`) or a real
 * `pulumi stack export` file, both turned into plan resources. Malformed files raise a
 * ValidationError naming the file, the key path, what was expected and what was found.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, isPlainObject, ValidationError, type Issue } from "../infra/validation/schema";
import { PLAN_FORMAT_VERSION, SECRET, type Plan, type PlanResource } from "../infra/plan/types";

/** The engine's marker of a secret value in state files. */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface PolicySource {
  stack: string;
  environment: string;
  kind: "program" | "plan" | "export";
  file?: string;
  resources: PlanResource[];
}

function readJson(file: string): unknown {
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ValidationError(shown, [{ path: "(file)", expected: "a readable JSON file", found: (e as NodeJS.ErrnoException).code ?? (e as Error).message }]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError(shown, [{ path: "(document)", expected: "valid JSON", found: (e as Error).message }]);
  }
}

type Kind = "string" | "boolean" | "object" | "array" | "string|null" | "object|null";

function kindOk(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "object":
      return isPlainObject(v);
    case "array":
      return Array.isArray(v);
    case "string|null":
      return v === null || typeof v === "string";
    case "object|null":
      return v === null || isPlainObject(v);
  }
}

/** Checks the listed keys only (newer writers may add keys). */
function expectKeys(value: unknown, at: string, keys: Record<string, Kind>, issues: Issue[], optional: string[] = []): boolean {
  if (!isPlainObject(value)) {
    issues.push({ path: at || "(root)", expected: `an object with keys [${Object.keys(keys).join(", ")}]`, found: describe(value) });
    return false;
  }
  let ok = true;
  for (const [key, kind] of Object.entries(keys)) {
    const v = value[key];
    if (v === undefined && optional.includes(key)) continue;
    if (!kindOk(v, kind)) {
      issues.push({ path: at ? `${at}.${key}` : key, expected: kind === "string|null" ? "a string or null" : `a${kind === "object" || kind === "array" ? "n" : ""} ${kind}`, found: describe(v) });
      ok = false;
    }
  }
  return ok;
}

/** Reads and validates an offline plan file. */
export function loadPlanFile(file: string): Plan {
  const shown = path.relative(process.cwd(), file) || file;
  const doc = readJson(file);
  const issues: Issue[] = [];
  if (!isPlainObject(doc)) {
    throw new ValidationError(shown, [{ path: "(root)", expected: "an offline plan object (infra/plan/types.ts)", found: describe(doc) }]);
  }
  const d = doc;
  if (d.version !== PLAN_FORMAT_VERSION) issues.push({ path: "version", expected: `${PLAN_FORMAT_VERSION} (offline plan format)`, found: describe(d.version) });
  expectKeys(d, "", { project: "string", stack: "string", environment: "string", resources: "array" }, issues);
  asList(d.resources).forEach((r, i) =>
    expectKeys(
      r,
      `resources[${i}]`,
      { urn: "string", type: "string", name: "string", custom: "boolean", parent: "string|null", provider: "string|null", dependencies: "array", protect: "boolean", customTimeouts: "object|null", component: "string|null", inputs: "object" },
      issues,
    ),
  );
  if (issues.length) throw new ValidationError(shown, issues.slice(0, 20));
  return doc as unknown as Plan;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Replaces the engine's secret envelopes with the plan's secret marker (plaintext never kept). */
export function maskSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskSecrets);
  if (isPlainObject(v)) {
    if (v[SECRET_SIG_KEY] === SECRET_SIG) return SECRET;
    return Object.fromEntries(Object.entries(v).map(([k, el]) => [k, maskSecrets(el)]));
  }
  return v;
}

/** Stack name from a URN `urn:pulumi:<stack>::<project>::...`. */
export function stackOfUrn(urn: string): string | undefined {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];
}

const TIMEOUT_KEYS = ["create", "update", "delete"] as const;

/** Reads a `pulumi stack export` file (deployment version 3) into plan resources. */
export function loadExportFile(file: string): { stack: string; resources: PlanResource[] } {
  const shown = path.relative(process.cwd(), file) || file;
  const doc = readJson(file);
  const issues: Issue[] = [];
  if (!isPlainObject(doc)) throw new ValidationError(shown, [{ path: "(root)", expected: "a `pulumi stack export` object", found: describe(doc) }]);
  if (doc.version !== 3) issues.push({ path: "version", expected: "3 (pulumi stack export format)", found: describe(doc.version) });
  if (!expectKeys(doc.deployment, "deployment", { resources: "array" }, issues)) throw new ValidationError(shown, issues);
  const raw = (doc.deployment as Record<string, unknown>).resources as unknown[];
  raw.forEach((r, i) =>
    expectKeys(
      r,
      `deployment.resources[${i}]`,
      { urn: "string", type: "string", custom: "boolean", inputs: "object", parent: "string", provider: "string", dependencies: "array", protect: "boolean" },
      issues,
      ["inputs", "parent", "provider", "dependencies", "protect", "custom"],
    ),
  );
  if (issues.length) throw new ValidationError(shown, issues.slice(0, 20));
  const records = raw as Array<Record<string, unknown>>;
  const types = new Map(records.map((r) => [r.urn as string, r.type as string]));
  const parents = new Map(records.map((r) => [r.urn as string, (r.parent as string | undefined) ?? null]));
  const componentOf = (urn: string): string | null => {
    let cur = parents.get(urn) ?? null;
    for (let guard = 0; cur && guard < 1000; guard++) {
      const t = types.get(cur);
      if (t?.startsWith("trademaster:")) return t;
      cur = parents.get(cur) ?? null;
    }
    return null;
  };
  const resources: PlanResource[] = records
    .map((r) => {
      const urn = r.urn as string;
      const timeouts = isPlainObject(r.customTimeouts) ? r.customTimeouts : null;
      const inputs = maskSecrets(r.inputs ?? {}) as Record<string, unknown>;
      return {
        urn,
        type: r.type as string,
        name: urn.slice(urn.lastIndexOf("::") + 2),
        custom: (r.custom as boolean | undefined) ?? false,
        parent: (r.parent as string | undefined) ?? null,
        provider: (r.provider as string | undefined) ?? null,
        dependencies: [...((r.dependencies as string[] | undefined) ?? [])].sort(),
        protect: (r.protect as boolean | undefined) ?? false,
        customTimeouts: timeouts
          ? Object.fromEntries(TIMEOUT_KEYS.filter((k) => typeof timeouts[k] === "string" || typeof timeouts[k] === "number").map((k) => [k, String(timeouts[k])]))
          : null,
        component: componentOf(urn),
        inputs,
      };
    })
    .sort((a, b) => a.urn.localeCompare(b.urn));
  const stack = stackOfUrn(resources[0]?.urn ?? "") ?? "unknown";
  return { stack, resources };
}

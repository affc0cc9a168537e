/**
 * Reading plan documents back: a saved `plan.json` (a diff baseline, the policy runner's input).
 * Malformed files raise a ValidationError naming the file, the key path, what was expected and
 * what was found.
 */
import * as path from "node:path";
import { DOCUMENT_LIMITS, readJsonFile as readBoundedJson } from "../io/read";
import { describe, isPlainObject, ValidationError, type Issue } from "../validation/schema";
import { PLAN_FORMAT_VERSION, type Plan } from "./types";

/**
 * Reads a JSON file within DOCUMENT_LIMITS (size, nesting); unreadable, oversized, too deep or
 * invalid JSON is a ValidationError naming the file.
 */
export function readJsonFile(file: string): unknown {
  return readBoundedJson(file, DOCUMENT_LIMITS);
}

export type JsonKind = "string" | "boolean" | "object" | "array" | "string|null" | "object|null";

function kindOk(v: unknown, kind: JsonKind): boolean {
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

/** Checks the listed keys only (newer writers may add keys); records an issue per bad key. */
export function expectKeys(value: unknown, at: string, keys: Record<string, JsonKind>, issues: Issue[], optional: string[] = []): boolean {
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

/** Reads and validates a saved offline plan (`out/<stack>/plan.json`). */
export function readPlanFile(file: string): Plan {
  const shown = path.relative(process.cwd(), file) || file;
  const doc = readJsonFile(file);
  if (!isPlainObject(doc)) {
    throw new ValidationError(shown, [{ path: "(root)", expected: "an offline plan object (infra/plan/types.ts)", found: describe(doc) }]);
  }
  const issues: Issue[] = [];
  if (doc.version !== PLAN_FORMAT_VERSION) issues.push({ path: "version", expected: `${PLAN_FORMAT_VERSION} (offline plan format)`, found: describe(doc.version) });
  expectKeys(doc, "", { project: "string", stack: "string", environment: "string", resources: "array" }, issues);
  (Array.isArray(doc.resources) ? doc.resources : []).forEach((r, i) =>
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

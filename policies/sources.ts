/**
 * What the offline runner evaluates: a saved offline plan (`out/<stack>/plan.json`) or a real
 * `pulumi stack export` file, both turned into plan resources. Malformed files raise a
 * ValidationError naming the file, the key path, what was expected and what was found.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, isPlainObject, ValidationError, type Issue } from "../infra/validation/schema";
import { expectKeys, readJsonFile } from "../infra/plan/read";
import { SECRET, type PlanResource } from "../infra/plan/types";

/** The engine's marker of a secret value in state files (the SDK's wire signatures). */
export const SECRET_SIG_KEY = pulumi.runtime.specialSigKey;
export const SECRET_SIG = pulumi.runtime.specialSecretSig;

export interface PolicySource {
  stack: string;
  environment: string;
  kind: "program" | "plan" | "export";
  file?: string;
  resources: PlanResource[];
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
  const doc = readJsonFile(file);
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

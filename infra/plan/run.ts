/**
 * The offline plan: evaluates the real program in-process with Pulumi's test runtime (preview
 * mode), from the stack file in stacks/. No CLI, credentials or cluster. Outputs that only the
 * engine could know stay unknown; nothing is invented.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_LIMITS, readYamlFile } from "../io/read";
import { closest, describe, describeSecret, isPlainObject, ValidationError, type Issue } from "../validation/schema";
import { CONFIG_NAMESPACE, loadPlatformConfig, namespacedConfig, stackFile } from "../config/load";
import { SECRET_KEYS, type PlatformConfig } from "../config/schema";
import { loadCatalog } from "../catalog/load";
import { program } from "../program";
import { recordRegistrations, settle, type RecordedResource } from "./recorder";
import { PLAN_FORMAT_VERSION, SECRET, type Plan, type PlanResource } from "./types";

export const REPO_ROOT = path.join(__dirname, "..", "..");
/** The project name, from Pulumi.yaml (it is also the config namespace). */
export const PROJECT = readProjectName();

function readProjectName(): string {
  const doc = readYamlFile(path.join(REPO_ROOT, "Pulumi.yaml"), CONFIG_LIMITS, "Pulumi.yaml") as { name?: unknown } | null;
  if (typeof doc?.name !== "string") throw new ValidationError("Pulumi.yaml", [{ path: "name", expected: "a project name", found: String(doc?.name) }]);
  return doc.name;
}

export interface RunPlanOptions {
  stack: string;
  /** Catalog file instead of the shipped one. */
  catalogFile?: string;
  /** Directory holding Pulumi.<stack>.yaml (default: stacks/). */
  stacksDir?: string;
}

export interface StackConfigFile {
  /** Flat config as the engine passes it: `ns:key` → string (objects JSON-encoded). */
  config: Record<string, string>;
  /** Keys whose value is `secure:` in the file (masked in the plan). */
  secretKeys: string[];
  /** Required secrets not in the file, stood in for by a masked value (see assumeUnsetSecrets). */
  notes: string[];
}

/** Config namespaces a stack file may use: the project's and the providers' the program configures. */
export const CONFIG_NAMESPACES = [CONFIG_NAMESPACE, "aws", "kubernetes", "pulumi"] as const;

/**
 * Reads `stacks/Pulumi.<stack>.yaml` (within CONFIG_LIMITS) into the flat config map the engine
 * would pass. Refused: a key outside the known namespaces (with the closest known name), and a
 * plain-text value for a key that must be secret (with the command that sets it encrypted).
 */
export function readStackFile(stack: string, stacksDir = path.join(REPO_ROOT, "stacks")): StackConfigFile {
  const file = path.join(stacksDir, `Pulumi.${stack}.yaml`);
  const shown = stackFile(stack);
  if (!/^[a-z][a-z0-9-]*$/.test(stack)) {
    throw new ValidationError("--stack", [{ path: "--stack", expected: "a stack name like local, staging or prod", found: `"${stack}"` }]);
  }
  if (!fs.existsSync(file)) {
    const known = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.slice(7, -5)) : [];
    throw new ValidationError(shown, [{ path: "(file)", expected: `an existing stack file (known stacks: ${known.join(", ")})`, found: "no such file" }]);
  }
  const doc = readYamlFile(file, CONFIG_LIMITS, shown);
  if (!isPlainObject(doc) || !isPlainObject(doc.config)) {
    throw new ValidationError(shown, [{ path: "config", expected: "a mapping of config keys", found: describe(isPlainObject(doc) ? doc.config : doc) }]);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const issues: Issue[] = [];
  const secretNames = new Set<string>(SECRET_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`));
  for (const [key, value] of Object.entries(doc.config)) {
    const problem = namespaceIssue(key);
    if (problem) {
      issues.push(problem);
      continue;
    }
    const secure = isPlainObject(value) && typeof value.secure === "string" && Object.keys(value).length === 1;
    if (secure) {
      // Ciphertext can only be decrypted by the CLI with the stack's secrets provider.
      config[key] = SECRET;
      secretKeys.push(key);
    } else if (secretNames.has(key)) {
      issues.push({
        path: `config.${key}`,
        expected: `an encrypted value: run \`pulumi config set --secret ${key} <value> --stack ${stack}\` (it replaces this line)`,
        found: `a plain-text value (${describeSecret(value)})`,
      });
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  if (issues.length) throw new ValidationError(shown, issues);
  const stackConfig = { config, secretKeys, notes: [] as string[] };
  stackConfig.notes = assumeUnsetSecrets(stack, stackConfig);
  return stackConfig;
}

/** A stack-file key must be `<namespace>:<name>` with a known namespace; else an issue naming the closest. */
function namespaceIssue(key: string): Issue | undefined {
  const colon = key.indexOf(":");
  const ns = colon > 0 ? key.slice(0, colon) : "";
  const name = colon > 0 ? key.slice(colon + 1) : key;
  if (colon > 0 && name && (CONFIG_NAMESPACES as readonly string[]).includes(ns)) return undefined;
  const known = CONFIG_NAMESPACES.join(", ");
  if (!ns || !name) return { path: `config.${key}`, expected: `a key <namespace>:<name> (namespaces: ${known}), e.g. ${CONFIG_NAMESPACE}:${name || "environment"}`, found: `"${key}"` };
  const guess = closest(ns, CONFIG_NAMESPACES);
  return { path: `config.${key}`, expected: `a known config namespace (${known})${guess ? `; did you mean ${guess}:${name}?` : ""}`, found: `namespace "${ns}"` };
}

/**
 * Secrets are set with `pulumi config set --secret` and live encrypted in the stack file; a
 * fresh clone may not have them. On AWS environments the plan stands in a masked value for a
 * required secret that is unset, and says so; `pulumi up` still refuses to run without it.
 */
export function assumeUnsetSecrets(stack: string, stackConfig: Omit<StackConfigFile, "notes">): string[] {
  const env = stackConfig.config[`${CONFIG_NAMESPACE}:environment`];
  if (env === undefined || env === "local") return [];
  const notes: string[] = [];
  for (const key of SECRET_KEYS) {
    const full = `${CONFIG_NAMESPACE}:${key}`;
    if (full in stackConfig.config) continue;
    stackConfig.config[full] = SECRET;
    stackConfig.secretKeys.push(full);
    notes.push(`${full} is not set in ${stackFile(stack)}: planned as ${SECRET}; pulumi up needs \`pulumi config set --secret ${full} ...\``);
  }
  return notes;
}

/** The validated config of a stack, read from its stack file exactly as the plan reads it. */
export function loadStackConfig(stack: string, stacksDir?: string): PlatformConfig {
  return loadPlatformConfig(stack, namespacedConfig(readStackFile(stack, stacksDir).config));
}

let running = false;

/**
 * Pulumi's SDK creates an `Error` and reads its `stack` for every output and registration
 * (debuggablePromise) only to print it if a promise leaks; formatting those stacks (through source
 * maps under tsx) was a fifth of a plan's time. While the program is evaluated, stack traces are
 * not captured and source maps are off; the returned function restores both for our own error
 * reporting. An error of the program itself then carries its message without frames; with
 * TRADEMASTER_DEBUG=1 stack traces stay on (slower, as before) so it shows where it was thrown.
 */
function withoutStackTraces(): () => void {
  if (process.env.TRADEMASTER_DEBUG === "1") return () => undefined;
  const limit = Error.stackTraceLimit;
  const sourceMaps = process.sourceMapsEnabled;
  Error.stackTraceLimit = 0;
  if (sourceMaps) process.setSourceMapsEnabled(false);
  return () => {
    Error.stackTraceLimit = limit;
    if (sourceMaps) process.setSourceMapsEnabled(true);
  };
}

/** Runs the program for a stack and returns the plan. Runs are serialized (one runtime per process). */
export async function runPlan(opts: RunPlanOptions): Promise<Plan> {
  if (running) throw new Error("runPlan: a plan is already running in this process; await it first");
  running = true;
  try {
    const stackConfig = readStackFile(opts.stack, opts.stacksDir);
    // Validate before the runtime starts, so a bad value declares nothing.
    const config = loadPlatformConfig(opts.stack, namespacedConfig(stackConfig.config));
    loadCatalog(opts.catalogFile);

    pulumi.runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);
    await pulumi.runtime.setMocks(
      {
        // Preview semantics: a resource's outputs are its inputs; anything else stays unknown.
        newResource: (args) => ({ id: undefined, state: args.inputs }),
        call: (args) => {
          throw new Error(`offline plan: the invoke ${args.token} needs a cloud provider; the program must not depend on invokes`);
        },
      },
      PROJECT,
      opts.stack,
      true,
    );
    const recorded: RecordedResource[] = [];
    recordRegistrations(recorded);
    const restoreTraces = withoutStackTraces();
    let programError: unknown;
    // An error inside an apply() surfaces as an unhandled rejection; the engine fails the
    // program on it, and so does the plan.
    const onRejection = (e: unknown) => {
      programError ??= e;
    };
    process.on("unhandledRejection", onRejection);
    await pulumi.runtime
      .runInPulumiStack(() => {
        try {
          return Promise.resolve(program({ catalogFile: opts.catalogFile }));
        } catch (e) {
          programError = e;
          throw e;
        }
      })
      .catch((e: unknown) => {
        programError ??= e;
      });
    try {
      await settle();
      // Let pending rejections of the last turn be reported before deciding.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("unhandledRejection", onRejection);
      restoreTraces();
    }
    if (programError) throw programError;
    return toPlan(opts.stack, config.environment, recorded, stackConfig.notes);
  } finally {
    running = false;
  }
}

/** Builds the sorted plan document from the recorded registrations. */
export function toPlan(stack: string, environment: string, recorded: RecordedResource[], notes: string[] = []): Plan {
  const byUrn = new Map(recorded.map((r) => [r.urn, r]));
  const componentOf = (r: RecordedResource): string | null => {
    let p = r.parent ? byUrn.get(r.parent) : undefined;
    while (p) {
      if (p.type.startsWith("trademaster:")) return p.type;
      p = p.parent ? byUrn.get(p.parent) : undefined;
    }
    return null;
  };
  const resources: PlanResource[] = [...byUrn.values()]
    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0))
    .map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      custom: r.custom,
      parent: r.parent,
      provider: r.provider,
      dependencies: r.dependencies,
      protect: r.protect,
      customTimeouts: r.customTimeouts,
      component: r.type.startsWith("trademaster:") ? r.type : componentOf(r),
      inputs: r.inputs,
    }));
  const byType: Record<string, number> = {};
  for (const r of resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
  return {
    version: PLAN_FORMAT_VERSION,
    project: PROJECT,
    stack,
    environment,
    offline: true,
    resources,
    notes,
    summary: { total: resources.length, byType: Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b))) },
  };
}

/**
 * The offline plan: evaluates the real program in-process with Pulumi's test runtime (preview
 * mode), from the stack file in stacks/. No CLI, credentials or cluster. Outputs that only the
 * engine could know stay unknown; nothing is invented.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_LIMITS, readYamlFile } from "../io/read";
import { ValidationError } from "../validation/schema";
import { loadPlatformConfig, namespacedConfig } from "../config/load";
import { readStackFile } from "../config/stack-file";
import { loadCatalog } from "../catalog/load";
import { program } from "../program";
import { recordRegistrations, releaseRuntime, settle, withoutSourcePositions, type RecordedResource } from "./recorder";
import { PLAN_FORMAT_VERSION, type Plan, type PlanResource } from "./types";
import { renderChartsIntoPlan } from "./charts";

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

// Stack files are read in a module of their own, so the CLI checks them before the program loads.
export { assumeUnsetSecrets, CONFIG_NAMESPACES, loadStackConfig, readStackFile, type StackConfigFile } from "../config/stack-file";

let running = false;

/**
 * Pulumi's SDK creates an `Error` and reads its `stack` for every output and registration
 * (debuggablePromise) only to print it if a promise leaks; formatting those stacks (through source
 * maps under tsx) was a fifth of a plan's time. While the program is evaluated, stack traces are
 * not captured, source maps are off and the SDK's per-resource source position is not computed; the returned function restores both for our own error
 * reporting. An error of the program itself then carries its message without frames; with
 * TRADEMASTER_DEBUG=1 stack traces stay on (slower, as before) so it shows where it was thrown.
 */
function withoutStackTraces(): () => void {
  if (process.env.TRADEMASTER_DEBUG === "1") return () => undefined;
  const limit = Error.stackTraceLimit;
  const sourceMaps = process.sourceMapsEnabled;
  Error.stackTraceLimit = 0;
  if (sourceMaps) process.setSourceMapsEnabled(false);
  const restoreSourcePositions = withoutSourcePositions();
  return () => {
    Error.stackTraceLimit = limit;
    if (sourceMaps) process.setSourceMapsEnabled(true);
    restoreSourcePositions();
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
      releaseRuntime();
    }
    if (programError) throw programError;
    return renderChartsIntoPlan(toPlan(opts.stack, config.environment, recorded, stackConfig.notes), { config });
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

/**
 * Shared test helpers: the plans of the shipped stacks (made once per test run by the global
 * setup, test/helpers/global-plans.ts), plans of catalog variants, catalog variants in temp files.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { inject } from "vitest";
import { runPlan } from "../../infra/plan/run";
import { readPlanFile } from "../../infra/plan/read";
import type { Plan, PlanResource } from "../../infra/plan/types";
import { DEFAULT_CATALOG } from "../../infra/catalog/load";
import type { PlannedStack } from "./global-plans";

export type StackName = "local" | "staging" | "prod";
export const STACKS: StackName[] = ["local", "staging", "prod"];

/** The output directory the plan command wrote for a shipped stack in this test run. */
export function plannedOutput(stack: StackName): string {
  const dir = inject("plannedDir");
  const result = JSON.parse(fs.readFileSync(path.join(dir, `${stack}.result.json`), "utf8")) as PlannedStack;
  if (result.status !== 0) throw new Error(`npm run plan -- --stack ${stack} failed in the global setup (exit ${result.status}):\n${result.stderr || result.stdout}`);
  return path.join(dir, stack);
}

const cache = new Map<string, Promise<Plan>>();
let queue: Promise<unknown> = Promise.resolve();

/**
 * The plan of a stack. Shipped stacks with the shipped catalog come from the global setup's run
 * of the plan command (read back from plan.json); a catalog variant is planned in-process, one at
 * a time (one Pulumi runtime per process). Results are cached per key.
 */
export function planFor(stack: StackName, catalogFile?: string): Promise<Plan> {
  const key = `${stack}:${catalogFile ?? ""}`;
  let p = cache.get(key);
  if (!p) {
    if (catalogFile === undefined) p = Promise.resolve().then(() => readPlanFile(path.join(plannedOutput(stack), "plan.json")));
    else {
      p = queue.then(() => runPlan({ stack, catalogFile }));
      queue = p.catch(() => undefined);
    }
    cache.set(key, p);
  }
  return p;
}

/** A plan resource for unit fixtures: a custom resource with no parent, options or dependencies. */
export function planResource(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<PlanResource> = {}): PlanResource {
  return {
    urn: `urn:pulumi:test::trademaster::${type}::${name}`,
    type,
    name,
    custom: true,
    parent: null,
    provider: null,
    dependencies: [],
    protect: false,
    customTimeouts: null,
    component: null,
    inputs,
    ...extra,
  };
}

/** Resources of one type token. */
export function ofType(plan: Plan, type: string): PlanResource[] {
  return plan.resources.filter((r) => r.type === type);
}

export type KubeResource = PlanResource & { inputs: { metadata: { name: string; namespace?: string } } & Record<string, unknown> };

function isKubeObject(r: PlanResource): r is KubeResource {
  const meta = r.inputs.metadata as { name?: unknown } | undefined;
  return r.type.startsWith("kubernetes:") && typeof meta?.name === "string";
}

/** Kubernetes objects of a kind (typed or custom resources). */
export function kubeOfKind(plan: Plan, kind: string): KubeResource[] {
  return plan.resources.filter(isKubeObject).filter((r) => r.inputs.kind === kind);
}

/** The shipped catalog as a plain document, for tests that derive variants of it. */
export type CatalogDocument = { services: Array<Record<string, unknown>>; topics: Array<Record<string, unknown>> } & Record<string, unknown>;

export function catalogDocument(): CatalogDocument {
  // The shipped catalog is valid (its own tests prove it), so its shape is known.
  return yaml.load(fs.readFileSync(DEFAULT_CATALOG, "utf8")) as CatalogDocument;
}

/** Writes a catalog variant to a temp file and returns its path. */
export function writeCatalog(doc: unknown, name = "catalog"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-catalog-"));
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, yaml.dump(doc));
  return file;
}

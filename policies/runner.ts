/**
 * The offline policy runner's core: evaluates the pack on a source (program, plan or export) with
 * the environment's policy pack config through the engine-faithful harness, and renders reports.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCatalog } from "../infra/catalog/load";
import { evaluate, type PolicyPackConfigFile } from "./harness";
import { ALL_POLICIES, PACK_ENFORCEMENT_LEVEL, isEnvironment, packConfigFor, pulumiPolicies } from "./pack";
import { buildReport, type PolicyReport } from "./reports/model";
import { renderJson } from "./reports/json";
import { renderJunit } from "./reports/junit";
import { renderMarkdown } from "./reports/markdown";
import { renderSarif } from "./reports/sarif";
import type { PolicySource } from "./sources";
import type { TrademasterPolicy } from "./lib/types";

export const FORMATS = {
  json: { file: "policy-report.json", render: renderJson },
  md: { file: "policy-report.md", render: renderMarkdown },
  sarif: { file: "policy-report.sarif", render: renderSarif },
  junit: { file: "policy-junit.xml", render: renderJunit },
} as const;
export type Format = keyof typeof FORMATS;

export interface RunOptions {
  /** Catalog file for catalog-aware policies (default: the shipped catalog). */
  catalogFile?: string;
  /** Policy pack config; default: the environment's levels (policies/config/<env>.json). */
  config?: PolicyPackConfigFile;
  policies?: TrademasterPolicy[];
}

/** Levels of the environment plus the catalog file for policies that read the catalog. */
export function effectiveConfig(environment: string, opts: RunOptions = {}): PolicyPackConfigFile {
  const policies = opts.policies ?? ALL_POLICIES;
  // An unknown environment gets prod's levels: the strictest shipped.
  const base = opts.config ?? packConfigFor(isEnvironment(environment) ? environment : "prod", policies);
  if (!opts.catalogFile) return base;
  const out: PolicyPackConfigFile = { ...base };
  for (const p of policies.filter((x) => x.usesCatalog)) {
    const current = out[p.name];
    const entry = typeof current === "string" ? { enforcementLevel: current } : { ...(current ?? {}) };
    out[p.name] = { ...entry, catalogFile: path.resolve(opts.catalogFile) };
  }
  return out;
}

export async function runPolicies(source: PolicySource, opts: RunOptions = {}): Promise<PolicyReport> {
  const policies = opts.policies ?? ALL_POLICIES;
  const result = await evaluate(pulumiPolicies(policies), source.resources, {
    packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
    config: effectiveConfig(source.environment, opts),
  });
  return buildReport(source, policies, result, loadCatalog(opts.catalogFile));
}

/** Writes the requested formats into `dir`; returns the written paths. */
export function writeReports(report: PolicyReport, formats: Format[], dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return formats.map((f) => {
    const file = path.join(dir, FORMATS[f].file);
    fs.writeFileSync(file, FORMATS[f].render(report));
    return file;
  });
}

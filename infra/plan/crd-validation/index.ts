/**
 * Custom resources validated against the CRDs of the pinned releases (schema and CEL rules), as
 * the API server would on create. See `structural.ts` for the checks, `cel.ts` for the rules and
 * `catalog.ts` for where the CRDs come from.
 */
import * as path from "node:path";
import { upstreamDir } from "../../upstream/dir";
import { CrdCatalog, chartCacheCrdFiles, upstreamCrdFiles, type CrdSource } from "./catalog";
import { loadCelRuntime } from "./cel";
import { emptyCelStats, validateAgainstSchema, type CelStats, type Finding } from "./structural";

export { CrdCatalog, type CrdLookup, type CrdVersion } from "./catalog";
export { emptyCelStats, type CelStats, type Finding } from "./structural";

const REPO_ROOT = path.join(__dirname, "..", "..", "..");

/** The default chart cache (unpacked charts with their `crds/`): `TRADEMASTER_CHART_CACHE` or `.cache/charts`. */
export function defaultChartCacheDir(): string {
  return process.env.TRADEMASTER_CHART_CACHE ?? path.join(REPO_ROOT, ".cache", "charts");
}

export interface CrdCatalogOptions {
  /** Objects of the plan: CustomResourceDefinitions among them come first. */
  objects?: ReadonlyArray<{ urn?: string; object: Record<string, unknown> }>;
  /** Chart cache to look for unpacked charts' `crds/` in (default {@link defaultChartCacheDir}). */
  chartCacheDir?: string;
  /** Upstream data directory (default `upstreamDir()`); null: none. */
  upstream?: string | null;
}

/** How the plan finds the CRDs, said once when there are none. */
export const NO_CRDS_NOTE =
  "no CustomResourceDefinitions found: custom resources were not validated. Put the upstream data of the pinned releases at ../shared/upstream " +
  "(or set TRADEMASTER_UPSTREAM to its directory), or pull the pinned charts into the chart cache (npm run charts -- pull)";

/** The catalog of CRDs for a plan: its own CRD objects, then the chart cache, then upstream. */
export function crdCatalogFor(opts: CrdCatalogOptions = {}): CrdCatalog {
  const sources: CrdSource[] = [];
  for (const { urn, object } of opts.objects ?? []) if (object.kind === "CustomResourceDefinition") sources.push({ object, label: urn ?? "the plan" });
  for (const file of chartCacheCrdFiles(opts.chartCacheDir ?? defaultChartCacheDir())) sources.push({ file, label: path.relative(REPO_ROOT, file) });
  const upstream = opts.upstream === undefined ? upstreamDir() : opts.upstream;
  const notes: string[] = [];
  if (upstream) {
    const found = upstreamCrdFiles(upstream);
    notes.push(...found.notes);
    for (const file of found.files) sources.push({ file, label: `upstream ${path.basename(file)}` });
  }
  return new CrdCatalog(sources, notes);
}

/** Outcome of one custom resource. */
export type CustomResourceResult =
  | { status: "validated"; findings: Finding[]; source: string }
  | { status: "no-crd" }
  | { status: "not-served"; findings: Finding[]; source: string };

/** Validates one custom resource; CEL outcomes are added to `stats`. */
export async function validateCustomResource(object: Record<string, unknown>, catalog: CrdCatalog, stats: CelStats = emptyCelStats()): Promise<CustomResourceResult> {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const lookup = catalog.lookup(apiVersion, kind);
  if ("missing" in lookup) return { status: "no-crd" };
  if ("notServed" in lookup) {
    const { crdName, source, versions } = lookup.notServed;
    return {
      status: "not-served",
      source,
      findings: [{ segments: ["apiVersion"], message: `the CRD ${crdName} (${source}) does not serve ${apiVersion}; served versions: ${versions.join(", ") || "none"}` }],
    };
  }
  const cel = await loadCelRuntime();
  const { schema, statusSubresource, source } = lookup.found;
  // With a status subresource, a create request's status is reset by the API server, never validated.
  const request = statusSubresource ? Object.fromEntries(Object.entries(object).filter(([key]) => key !== "status")) : object;
  return { status: "validated", findings: validateAgainstSchema(request, schema, cel, stats), source };
}

/** One line per rule the evaluator could not run (never counted as passed). */
export function celNotes(stats: CelStats): string[] {
  return [...stats.unsupported].map(([rule, { reason, count }]) => `CEL rule not evaluated (${count}x): \`${rule}\`: ${reason}`);
}

/** `N evaluated (F failed), T transition rules not applicable on create, U undecided, X unevaluated`. */
export function celSummary(stats: CelStats): string {
  const unevaluated = [...stats.unsupported.values()].reduce((n, u) => n + u.count, 0);
  return (
    `CEL rules: ${stats.evaluated} evaluated (${stats.failed} failed), ${stats.transition} transition rule(s) not applicable on create, ` +
    `${stats.undecided} undecided (value unknown until deploy), ${unevaluated} unevaluated`
  );
}

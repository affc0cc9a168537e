/**
 * The CustomResourceDefinitions the plan validates custom resources against, from (first wins):
 *
 * 1. CRDs among the plan's own objects (declared by the program or rendered from a chart);
 * 2. unpacked charts in a chart cache: every `crds/` directory under it;
 * 3. the upstream data of the pinned releases, `upstreamDir()/crds/<source>-<version>.yaml`,
 *    used only when `<source>` is a chart of `charts/` pinned at that `<version>` (or has no chart).
 *
 * Parsing all of them takes over a second, so files are split into documents and indexed by
 * group and kind with a cheap scan; a document is parsed only when an object needs it, and its
 * schemas are compiled once.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { isPlainObject } from "../../validation/schema";
import type { JsonSchema } from "./structural";

/** One served version of a CRD. */
export interface CrdVersion {
  /** `<plural>.<group>`. */
  crdName: string;
  group: string;
  version: string;
  kind: string;
  scope: "Namespaced" | "Cluster";
  /** With a status subresource the API server ignores `status` on create. */
  statusSubresource: boolean;
  schema: JsonSchema;
  /** Where the CRD came from (a file, or the plan resource that declares it). */
  source: string;
}

/** Result of looking up an `apiVersion`/`kind`. */
export type CrdLookup =
  | { found: CrdVersion }
  | { notServed: { crdName: string; source: string; versions: string[] } }
  | { missing: true };

interface CrdDocument {
  source: string;
  group?: string;
  kind?: string;
  text?: string;
  parsed?: Record<string, unknown>;
}

/** A source of CRD documents. */
export type CrdSource = { file: string; label?: string } | { object: Record<string, unknown>; label: string };

const REPO_ROOT = path.join(__dirname, "..", "..", "..");

function scanIdentity(text: string): { group?: string; kind?: string } {
  if (!/^kind:\s*["']?CustomResourceDefinition["']?\s*$/m.test(text)) return {};
  const group = /^\s+group:\s*["']?([A-Za-z0-9.-]+)["']?\s*$/m.exec(text)?.[1];
  const kind = /^\s+kind:\s*["']?([A-Z][A-Za-z0-9]*)["']?\s*$/m.exec(text)?.[1];
  return { group, kind };
}

function crdIdentity(doc: Record<string, unknown>): { group?: string; kind?: string } {
  const spec = isPlainObject(doc.spec) ? doc.spec : {};
  const names = isPlainObject(spec.names) ? spec.names : {};
  return { group: typeof spec.group === "string" ? spec.group : undefined, kind: typeof names.kind === "string" ? names.kind : undefined };
}

function isCrdObject(o: unknown): o is Record<string, unknown> {
  return isPlainObject(o) && o.kind === "CustomResourceDefinition" && typeof o.apiVersion === "string" && o.apiVersion.startsWith("apiextensions.k8s.io/");
}

/** The CRD catalog: lookups by apiVersion and kind, parsing lazily. */
export class CrdCatalog {
  private readonly byKind = new Map<string, CrdDocument[]>();
  private readonly compiled = new Map<string, CrdLookup>();
  /** What was skipped while collecting sources (e.g. an upstream file of another release). */
  readonly notes: string[] = [];

  constructor(sources: readonly CrdSource[], notes: readonly string[] = []) {
    this.notes.push(...notes);
    for (const source of sources) {
      const docs: CrdDocument[] = [];
      if ("object" in source) {
        if (isCrdObject(source.object)) docs.push({ source: source.label, parsed: source.object, ...crdIdentity(source.object) });
      } else {
        const label = source.label ?? source.file;
        for (const text of fs.readFileSync(source.file, "utf8").split(/^---[ \t]*$/m)) {
          const id = scanIdentity(text);
          if (id.group && id.kind) docs.push({ source: label, text, ...id });
          else if (/^kind:\s*["']?CustomResourceDefinition/m.test(text)) {
            const parsed = yaml.load(text);
            if (isCrdObject(parsed)) docs.push({ source: label, parsed, ...crdIdentity(parsed) });
          }
        }
      }
      for (const doc of docs) {
        if (!doc.group || !doc.kind) continue;
        const key = `${doc.group}/${doc.kind}`;
        const list = this.byKind.get(key) ?? [];
        list.push(doc);
        this.byKind.set(key, list);
      }
    }
  }

  /** Number of distinct CRDs (group and kind) available. */
  get size(): number {
    return this.byKind.size;
  }

  /** True when some CRD of the catalog defines this API group. */
  hasGroup(group: string): boolean {
    for (const key of this.byKind.keys()) if (key.slice(0, key.lastIndexOf("/")) === group) return true;
    return false;
  }

  /** Where the CRD of this group and kind comes from, without parsing it. */
  sourceOf(group: string, kind: string): string | undefined {
    return this.byKind.get(`${group}/${kind}`)?.[0]?.source;
  }

  lookup(apiVersion: string, kind: string): CrdLookup {
    const cacheKey = `${apiVersion}/${kind}`;
    const cached = this.compiled.get(cacheKey);
    if (cached) return cached;
    const slash = apiVersion.indexOf("/");
    const group = slash < 0 ? "" : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const doc = this.byKind.get(`${group}/${kind}`)?.[0];
    let result: CrdLookup = { missing: true };
    if (doc) {
      doc.parsed ??= yaml.load(doc.text ?? "") as Record<string, unknown>;
      doc.text = undefined;
      result = versionOf(doc, group, version, kind);
    }
    this.compiled.set(cacheKey, result);
    return result;
  }
}

function versionOf(doc: CrdDocument, group: string, version: string, kind: string): CrdLookup {
  const crd = doc.parsed as Record<string, unknown>;
  const spec = (isPlainObject(crd.spec) ? crd.spec : {}) as Record<string, unknown>;
  const metadata = isPlainObject(crd.metadata) ? crd.metadata : {};
  const crdName = typeof metadata.name === "string" ? metadata.name : `${kind}.${group}`;
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isPlainObject) : [];
  const served = versions.filter((v) => v.served !== false);
  const match = served.find((v) => v.name === version);
  if (!match) return { notServed: { crdName, source: doc.source, versions: served.map((v) => String(v.name)) } };
  const schemaOf = (v: Record<string, unknown>) => (isPlainObject(v.schema) && isPlainObject(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : undefined);
  // apiextensions.k8s.io/v1beta1 CRDs may carry one schema for all versions.
  const schema = (schemaOf(match) ?? (isPlainObject(spec.validation) ? spec.validation.openAPIV3Schema : undefined) ?? { type: "object", "x-kubernetes-preserve-unknown-fields": true }) as JsonSchema;
  return {
    found: { crdName, group, version, kind, scope: spec.scope === "Cluster" ? "Cluster" : "Namespaced",
      statusSubresource: isPlainObject(match.subresources) && "status" in match.subresources,
      schema, source: doc.source },
  };
}

// ---------------------------------------------------------------------------------------------
// Where the CRDs are

function yamlFilesUnder(dir: string, depth: number): string[] {
  if (depth < 0 || !fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFilesUnder(full, depth - 1));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** Every YAML file under a `crds/` directory of the unpacked charts in a chart cache. */
export function chartCacheCrdFiles(cacheDir: string): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (depth < 0 || !fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory()) continue;
      const full = path.join(dir, entry.name);
      if (entry.name === "crds") out.push(...yamlFilesUnder(full, 2));
      else if (entry.name !== "templates") visit(full, depth - 1);
    }
  };
  // <cache>/.unpacked/<chart>-<version>/<chart>/charts/<subchart>/crds: subcharts carry CRDs too.
  visit(cacheDir, 6);
  return out;
}

/** Chart pins of `charts/*`: name of the folder and of the chart, and the version. */
function chartPins(chartsDir: string): Array<{ dir: string; chart: string; version: string }> {
  if (!fs.existsSync(chartsDir)) return [];
  const out: Array<{ dir: string; chart: string; version: string }> = [];
  for (const dir of fs.readdirSync(chartsDir).sort()) {
    const file = path.join(chartsDir, dir, "chart.yaml");
    if (!fs.existsSync(file)) continue;
    const doc = yaml.load(fs.readFileSync(file, "utf8"));
    if (isPlainObject(doc) && typeof doc.chart === "string" && typeof doc.version === "string") out.push({ dir, chart: doc.chart, version: doc.version.replace(/^v/, "") });
  }
  return out;
}

/**
 * The upstream CRD files of the pinned releases. A file `<source>-<version>.yaml` whose source is
 * a chart of ours (by folder, chart name, or folder-chart) pinned at another version is skipped
 * with a note: its CRDs are not those of the release we install.
 */
export function upstreamCrdFiles(upstream: string, chartsDir = path.join(REPO_ROOT, "charts")): { files: string[]; notes: string[] } {
  const dir = path.join(upstream, "crds");
  const pins = chartPins(chartsDir);
  const files: string[] = [];
  const notes: string[] = [];
  for (const file of yamlFilesUnder(dir, 0)) {
    const m = /^(.+)-v?(\d+\.\d+\.\d+)(-[a-z]+)?\.ya?ml$/.exec(path.basename(file));
    const pin = m ? pins.find((p) => [p.dir, p.chart, `${p.dir}-${p.chart}`].includes(m[1])) : undefined;
    if (m && pin && pin.version !== m[2]) {
      notes.push(`${path.basename(file)} is not the pinned release (charts/${pin.dir} pins ${pin.version}): its CRDs were not used`);
      continue;
    }
    files.push(file);
  }
  return { files, notes };
}

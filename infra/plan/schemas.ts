/**
 * Schema validation of every Kubernetes object of the offline plan.
 *
 * - Built-in kinds (an API group of `kubernetes-models`) are checked with that package: the
 *   model's own `validate()` runs the generated JSON-schema validator; its errors become
 *   {@link SchemaIssue}s naming the field path.
 * - Every other object is a custom resource, checked against the CRD of the pinned release
 *   (its openAPIV3Schema and its CEL rules, see `crd-validation/`). A kind with no CRD available
 *   is not passed: it is counted and named in a note.
 *
 * Plan values may be the markers `[unknown]` (known only after deploy) or `[secret]` (masked).
 * A marker where the schema wants, say, an integer says nothing about the real value, so such a
 * marker is replaced by a placeholder the schema accepts (derived from the error: type, enum,
 * format, pattern, bounds) and the object re-validated; only markers the schema rejects are
 * replaced. Errors still at a whole marker after that are about an unknown value and are
 * dropped; a string that merely contains a marker (`https://[unknown]/x`) gets only the marker
 * replaced by neutral text and keeps its errors, since its known part is checked too.
 *
 * The generated validators accept unknown fields; this module finds them by probing (see
 * {@link unknownFieldPointers}), so a misspelt optional field (`replica`) is reported too,
 * except in the few kinds with free-form fields ({@link FREE_FORM_KINDS}).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, isPlainObject } from "../validation/schema";
import { celNotes, celSummary, crdCatalogFor, emptyCelStats, NO_CRDS_NOTE, validateCustomResource, type CelStats, type CrdCatalog } from "./crd-validation";
import type { KubeObjectRef } from "./output";
import { SECRET, UNKNOWN } from "./types";

export type { KubeObjectRef };

/** One schema violation of one object. */
export interface SchemaIssue {
  /** URN of the plan resource the object belongs to, when known. */
  urn?: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** Path of the bad field inside the object, e.g. `spec.template.spec.containers[0].ports[0].containerPort`; empty for the whole object. */
  path: string;
  message: string;
}

export interface ValidateOptions {
  /** The CRDs custom resources are checked against; defaults to {@link crdCatalogFor} the objects. */
  crds?: CrdCatalog;
}

/** Where the schema of an `apiVersion/kind` comes from (`null`: nowhere). */
export type SchemaSource = { package: string; module: string } | { crd: string } | null;

const MARKERS = [UNKNOWN, SECRET] as const;

const CORE_PACKAGE = "kubernetes-models";

// Strict shapes keep the module specifier inside the package's own `exports` map.
const GROUP_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const VERSION_RE = /^v[0-9]+((alpha|beta)[0-9]+)?$/;
const KIND_RE = /^[A-Z][A-Za-z0-9]*$/;

let builtInGroups: Set<string> | undefined;

/** API groups built into Kubernetes: the folders of `kubernetes-models` ("" is the core group). */
export function isBuiltInGroup(group: string): boolean {
  if (!builtInGroups) {
    const dir = packageDir(CORE_PACKAGE);
    builtInGroups = new Set([""]);
    // Top-level folders are API groups, except `_schemas` and the core group's versions (`v1`).
    for (const e of dir ? fs.readdirSync(dir, { withFileTypes: true }) : []) if (e.isDirectory() && !e.name.startsWith("_") && !VERSION_RE.test(e.name)) builtInGroups.add(e.name);
  }
  return builtInGroups.has(group);
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
}

/** The `kubernetes-models` module for a built-in `apiVersion`/`kind`, or null (custom, or a shape that can't have one). */
export function schemaModuleFor(apiVersion: string, kind: string): { package: string; module: string } | null {
  const parts = apiVersion.split("/");
  const [group, version] = parts.length === 1 ? ["", parts[0]] : parts;
  if (parts.length > 2 || !VERSION_RE.test(version) || !KIND_RE.test(kind)) return null;
  if (group !== "" && !GROUP_RE.test(group)) return null;
  if (!isBuiltInGroup(group)) return null;
  return { package: CORE_PACKAGE, module: `${CORE_PACKAGE}/${group === "" ? "" : `${group}/`}${version}/${kind}` };
}

// ---------------------------------------------------------------------------------------------
// Loading models (ESM-only packages: dynamic import, cached per module)

/** An error as the generated (ajv) validators report it. */
interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

interface ModelInstance {
  validate(): void;
}
interface ModelClass {
  new (data: Record<string, unknown>): ModelInstance;
  apiVersion?: unknown;
  kind?: unknown;
}

const modelCache = new Map<string, Promise<ModelClass | null>>();

const packageDirs = new Map<string, string | null>();

/** Directory of an installed package (its package.json is not exported, so no require.resolve). */
function packageDir(pkg: string): string | null {
  let dir = packageDirs.get(pkg);
  if (dir === undefined) {
    const roots = require.resolve.paths(pkg) ?? [];
    dir = roots.map((root) => path.join(root, pkg)).find((d) => fs.existsSync(path.join(d, "package.json"))) ?? null;
    packageDirs.set(pkg, dir);
  }
  return dir;
}

/**
 * True when the package exports the kind's module: these packages export each API version as
 * `./<group>/<version>/*` → `./<group>/<version>/*.js`. Checked on disk so a missing kind is
 * told apart from a broken install the same way under Node, tsx and vitest.
 */
function modelFileExists(target: { package: string; module: string }): boolean {
  const dir = packageDir(target.package);
  if (!dir) return false;
  const subpath = target.module.slice(target.package.length + 1);
  const versionDir = subpath.slice(0, subpath.lastIndexOf("/"));
  return Boolean(packageExports(dir)?.[`./${versionDir}/*`]) && fs.existsSync(path.join(dir, `${subpath}.js`));
}

const exportsByDir = new Map<string, Record<string, unknown> | undefined>();

/** A package's `exports` map, parsed once (kubernetes-models' package.json is large). */
function packageExports(dir: string): Record<string, unknown> | undefined {
  if (!exportsByDir.has(dir)) {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { exports?: Record<string, unknown> };
    exportsByDir.set(dir, manifest.exports);
  }
  return exportsByDir.get(dir);
}

async function importModel(apiVersion: string, kind: string): Promise<ModelClass | null> {
  const target = schemaModuleFor(apiVersion, kind);
  if (!target || !modelFileExists(target)) return null;
  const mod: unknown = await import(target.module);
  const ctor = (mod as Record<string, unknown>)[kind];
  if (typeof ctor !== "function") return null;
  const model = ctor as ModelClass;
  // Sub-structures (e.g. v1/PodSpec) live beside the kinds: only a top-level kind of this
  // exact apiVersion is a schema for the object.
  if (model.apiVersion !== apiVersion || model.kind !== kind) return null;
  return model;
}

function loadModel(apiVersion: string, kind: string): Promise<ModelClass | null> {
  const key = `${apiVersion}/${kind}`;
  let cached = modelCache.get(key);
  if (!cached) {
    cached = importModel(apiVersion, kind);
    modelCache.set(key, cached);
  }
  return cached;
}

/** Where the schema of `apiVersion/kind` comes from; loads (and caches) the model if there is one. */
export async function schemaSourceFor(apiVersion: string, kind: string, crds: CrdCatalog = crdCatalogFor()): Promise<SchemaSource> {
  const target = schemaModuleFor(apiVersion, kind);
  if (target) return (await loadModel(apiVersion, kind)) ? target : null;
  const lookup = crds.lookup(apiVersion, kind);
  return "found" in lookup ? { crd: lookup.found.source } : null;
}

function runModel(model: ModelClass, obj: Record<string, unknown>): SchemaError[] {
  try {
    new model(obj).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors)) return errors as SchemaError[];
    return [{ instancePath: "", keyword: "exception", params: {}, message: String((err as Error).message ?? err) }];
  }
}

// ---------------------------------------------------------------------------------------------
// JSON pointers and paths

function decodePointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function encodePointer(segments: readonly string[]): string {
  return segments.map((s) => `/${s.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

function isUnder(pointer: string, base: string): boolean {
  return pointer === base || pointer.startsWith(`${base}/`);
}

function valueAt(root: unknown, segments: readonly string[]): unknown {
  let cur = root;
  for (const seg of segments) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isPlainObject(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

function setAt(root: unknown, segments: readonly string[], value: unknown): void {
  const parent = valueAt(root, segments.slice(0, -1));
  const last = segments[segments.length - 1];
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else if (isPlainObject(parent)) parent[last] = value;
}

const IDENT_RE = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Readable path: `spec.containers[0].env`, `metadata.labels["app.kubernetes.io/name"]`. */
export function formatPath(root: unknown, segments: readonly string[]): string {
  let out = "";
  let cur = root;
  for (const seg of segments) {
    if (Array.isArray(cur) && /^\d+$/.test(seg)) out += `[${seg}]`;
    else if (IDENT_RE.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
    cur = valueAt(cur, [seg]);
  }
  return out;
}

/** Splits a readable path (`a.b[0]["x/y"]`) into segments; the inverse of {@link formatPath}. */
export function parsePath(path: string): string[] {
  const segments: string[] = [];
  const re = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(JSON.parse(m[2]) as string);
    else if (m[3] !== undefined) segments.push(m[3]);
  }
  return segments;
}

// ---------------------------------------------------------------------------------------------
// Markers and placeholders

/** JSON pointers of every string that is, or contains, a plan marker. */
function findMarkers(value: unknown, segments: string[], out: Map<string, string>): void {
  if (typeof value === "string") {
    if (MARKERS.some((m) => value.includes(m))) out.set(encodePointer(segments), value);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findMarkers(v, [...segments, String(i)], out));
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) findMarkers(v, [...segments, k], out);
  }
}

const TYPE_PLACEHOLDERS: Readonly<Record<string, unknown>> = {
  integer: 1,
  number: 1,
  boolean: false,
  object: {},
  array: [],
  null: null,
};

// A value of each format the validators know (ajv-formats plus the Kubernetes ones).
const FORMAT_PLACEHOLDERS: Readonly<Record<string, string>> = {
  quantity: "1",
  byte: "",
  "int-or-string": "1",
  "date-time": "1970-01-01T00:00:00Z",
  date: "1970-01-01",
  time: "00:00:00Z",
  duration: "P1D",
  uri: "https://placeholder.invalid/",
  url: "https://placeholder.invalid/",
  "uri-reference": "placeholder",
  iri: "https://placeholder.invalid/",
  "iri-reference": "placeholder",
  "uri-template": "placeholder",
  hostname: "placeholder.invalid",
  "idn-hostname": "placeholder.invalid",
  email: "placeholder@example.com",
  "idn-email": "placeholder@example.com",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
  cidr: "192.0.2.0/24",
  uuid: "00000000-0000-0000-0000-000000000000",
  regex: ".*",
  "json-pointer": "",
  "relative-json-pointer": "0",
};

// Tried against a `pattern` in order; the first match is the placeholder.
const PATTERN_PROBES = ["1s", "1", "0", "a", "x", "placeholder", "a.b", "a-b", "1m", "100m", "1Gi", "1.0", "A", "P1D", "192.0.2.1", "https://placeholder.invalid/", "placeholder.invalid"];

function patternPlaceholder(pattern: string): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(pattern, "u");
  } catch {
    try {
      re = new RegExp(pattern);
    } catch {
      return undefined;
    }
  }
  return PATTERN_PROBES.find((p) => re.test(p));
}

const EMBEDDED_FILLERS = ["unknown", "0", "a"];

function isWholeMarker(value: string): boolean {
  return (MARKERS as readonly string[]).includes(value);
}

/** Values that would satisfy the failed keywords at a marker, best first. */
function placeholdersFor(original: string, errors: readonly SchemaError[]): unknown[] {
  // A marker inside a longer string (a URL with an unknown host): the known text matters, so
  // only the marker is replaced, by neutral text.
  if (!isWholeMarker(original)) return EMBEDDED_FILLERS.map((filler) => MARKERS.reduce((s, m) => s.split(m).join(filler), original));
  const out: unknown[] = [];
  for (const e of errors) {
    const p = e.params;
    switch (e.keyword) {
      case "type":
        for (const t of String(p.type).split(",")) if (t in TYPE_PLACEHOLDERS) out.push(TYPE_PLACEHOLDERS[t]);
        break;
      case "enum":
        if (Array.isArray(p.allowedValues)) out.push(...p.allowedValues);
        break;
      case "const":
        out.push(p.allowedValue);
        break;
      case "format":
        if (String(p.format) in FORMAT_PLACEHOLDERS) out.push(FORMAT_PLACEHOLDERS[String(p.format)]);
        break;
      case "pattern": {
        const probe = patternPlaceholder(String(p.pattern));
        if (probe !== undefined) out.push(probe);
        break;
      }
      case "minLength":
        out.push("x".repeat(Number(p.limit)));
        break;
      case "maxLength":
        out.push("x".repeat(Math.min(Number(p.limit), 1)));
        break;
      case "minimum":
      case "maximum":
      case "exclusiveMinimum":
      case "exclusiveMaximum": {
        const limit = Number(p.limit);
        out.push(p.comparison === ">" ? limit + 1 : p.comparison === "<" ? limit - 1 : limit);
        break;
      }
      case "multipleOf":
        out.push(Number(p.multipleOf));
        break;
    }
  }
  return out;
}

const MAX_ROUNDS = 8;

/**
 * Validates with `check`, replacing markers the schema rejects by placeholders until the errors
 * at markers are gone (or no placeholder is left); returns the errors not caused by a marker.
 */
function validateTolerant(check: (obj: Record<string, unknown>) => SchemaError[], obj: Record<string, unknown>): SchemaError[] {
  let errors = check(obj);
  if (errors.length === 0) return errors;
  const markers = new Map<string, string>();
  findMarkers(obj, [], markers);
  if (markers.size === 0) return errors;

  const working = structuredClone(obj);
  const candidates = new Map<string, unknown[]>();
  const tried = new Map<string, Set<string>>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    for (const [pointer, original] of markers) {
      const here = errors.filter((e) => isUnder(e.instancePath, pointer));
      if (here.length === 0) continue;
      const known = candidates.get(pointer) ?? [];
      known.push(...placeholdersFor(original, here));
      candidates.set(pointer, known);
      const seen = tried.get(pointer) ?? new Set<string>();
      tried.set(pointer, seen);
      const next = known.find((c) => !seen.has(JSON.stringify(c)));
      if (next === undefined) continue;
      seen.add(JSON.stringify(next));
      setAt(working, decodePointer(pointer), structuredClone(next));
      changed = true;
    }
    if (!changed) break;
    errors = check(working);
  }
  // What still fails at a whole marker is about a value nobody knows yet; a string that only
  // contains a marker keeps its errors (its known part is wrong whatever the marker becomes).
  const unknowable = [...markers].filter(([, original]) => isWholeMarker(original)).map(([pointer]) => pointer);
  return errors.filter((e) => !unknowable.some((m) => isUnder(e.instancePath, m)));
}

// ---------------------------------------------------------------------------------------------
// Unknown fields

/**
 * Built-in kinds (`group/Kind`, `*` for a whole group) with free-form fields (RawExtension, JSON
 * schemas of CRDs): a key under them can't be told from a misspelt one, so they get no
 * unknown-field check.
 */
const FREE_FORM_KINDS = new Set(["apiextensions.k8s.io/*", "apps/ControllerRevision"]);

const declaredNames = new Map<string, Set<string>>();

/**
 * Every property name the package's type declarations know. The generated validators silently
 * skip a few real fields (e.g. PriorityClass `description`, a name JSON Schema uses for itself),
 * so a probe-silent field is reported only if no type of the package declares that name.
 */
function declaredPropertyNames(pkg: string): Set<string> {
  let names = declaredNames.get(pkg);
  if (names) return names;
  names = new Set<string>();
  const dirs = [packageDir(pkg), packageDir("@kubernetes-models/apimachinery")].filter((d): d is string => d !== null);
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== "_schemas" && entry.name !== "node_modules") walk(full);
      else if (entry.name.endsWith(".d.ts")) {
        for (const m of fs.readFileSync(full, "utf8").matchAll(/^\s+"?([A-Za-z0-9_$.-]+)"?\??:/gm)) names.add(m[1]);
      }
    }
  };
  for (const dir of dirs) walk(dir);
  declaredNames.set(pkg, names);
  return names;
}

function collectLeaves(value: unknown, segments: string[], out: string[][]): void {
  const children = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : isPlainObject(value) ? Object.entries(value) : [];
  if (children.length === 0) {
    out.push(segments);
    return;
  }
  for (const [key, child] of children) collectLeaves(child, [...segments, key], out);
}

/**
 * Fields the schema does not know (typos such as `replica`), found by probing: the generated
 * validators accept unknown fields, but a field the schema knows rejects a value of the wrong
 * type. Every leaf is set to `true` (then the silent ones to `0`, for boolean fields); a leaf
 * that neither upsets is unknown, reported at its shallowest ancestor the schema does not know.
 * A few validations per object, whatever its size.
 */
function unknownFieldPointers(check: (obj: Record<string, unknown>) => SchemaError[], obj: Record<string, unknown>): string[][] {
  const leaves: string[][] = [];
  for (const [key, value] of Object.entries(obj)) if (key !== "apiVersion" && key !== "kind") collectLeaves(value, [key], leaves);
  const rejected = (nodes: readonly string[][], probe: unknown): Set<string> => {
    const copy = structuredClone(obj);
    for (const node of nodes) setAt(copy, node, probe);
    return new Set(check(copy).map((e) => e.instancePath));
  };
  let silent = leaves;
  for (const probe of [true, 0]) {
    if (silent.length === 0) return [];
    const errors = rejected(silent, probe);
    silent = silent.filter((leaf) => !errors.has(encodePointer(leaf)));
  }
  // Top-down over the ancestors of the silent leaves: the first one the schema ignores is the typo.
  const unknown: string[][] = [];
  let pending = silent;
  for (let depth = 1; pending.length > 0; depth++) {
    const deeper = pending.filter((leaf) => leaf.length > depth);
    for (const leaf of pending) if (leaf.length === depth) unknown.push(leaf);
    const nodes = [...new Map(deeper.map((leaf) => [encodePointer(leaf.slice(0, depth)), leaf.slice(0, depth)])).values()];
    if (nodes.length === 0) break;
    const errors = rejected(nodes, true);
    const ignored = nodes.filter((node) => !errors.has(encodePointer(node)));
    unknown.push(...ignored);
    pending = deeper.filter((leaf) => !ignored.some((node) => isUnder(encodePointer(leaf), encodePointer(node))));
  }
  if (unknown.length === 0) return unknown;
  const declared = declaredPropertyNames(CORE_PACKAGE);
  return unknown.filter((segments) => {
    const last = segments[segments.length - 1];
    return /^\d+$/.test(last) || !declared.has(last);
  });
}

/** Unknown fields are checked for every built-in kind except {@link FREE_FORM_KINDS}. */
function unknownFieldChecked(apiVersion: string, kind: string): boolean {
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
  return !FREE_FORM_KINDS.has(`${group}/*`) && !FREE_FORM_KINDS.has(`${group}/${kind}`);
}

// ---------------------------------------------------------------------------------------------
// Errors to issues

function issuesFromSchemaErrors(obj: Record<string, unknown>, errors: readonly SchemaError[]): Array<{ path: string; message: string }> {
  interface AtPath {
    /** Summaries of oneOf/anyOf: they only repeat their branches' errors at the same path. */
    composite: string[];
    messages: string[];
    /** The value found, for keywords that judge the value itself. */
    found?: string;
  }
  const byPath = new Map<string, AtPath>();
  for (const e of errors) {
    const segments = decodePointer(e.instancePath);
    let message: string;
    let judgesValue = true;
    switch (e.keyword) {
      case "required":
        segments.push(String(e.params.missingProperty));
        message = "required field is missing";
        judgesValue = false;
        break;
      case "additionalProperties":
        segments.push(String(e.params.additionalProperty));
        message = "field is not allowed here";
        judgesValue = false;
        break;
      case "enum": {
        const allowed = Array.isArray(e.params.allowedValues) ? e.params.allowedValues.map((v) => JSON.stringify(v)).join(" | ") : "?";
        message = `must be one of ${allowed}`;
        break;
      }
      default:
        message = e.message ?? `fails "${e.keyword}"`;
    }
    const path = formatPath(obj, segments);
    const entry: AtPath = byPath.get(path) ?? { composite: [], messages: [] };
    byPath.set(path, entry);
    const bucket = e.keyword === "oneOf" || e.keyword === "anyOf" ? entry.composite : entry.messages;
    if (!bucket.includes(message)) bucket.push(message);
    if (judgesValue) entry.found = describe(valueAt(obj, segments));
  }
  const out: Array<{ path: string; message: string }> = [];
  for (const [path, { composite, messages, found }] of byPath) {
    const text = messages.length === 0 ? composite.join("; ") : messages.join(composite.length > 0 ? " or " : "; ");
    out.push({ path, message: found !== undefined ? `${text}, found ${found}` : text });
  }
  return out;
}

function stringAt(obj: Record<string, unknown>, ...keys: string[]): string | undefined {
  const v = valueAt(obj, keys);
  return typeof v === "string" ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Everything the validation of a plan's objects found and counted. */
export interface ValidationReport {
  issues: SchemaIssue[];
  /** What was not validated, and why (never a silent pass). */
  notes: string[];
  /** Objects checked with `kubernetes-models`. */
  builtIn: number;
  /** Custom resources checked against their CRD. */
  custom: number;
  /** Custom resources with no CRD available (named in {@link notes}). */
  notValidated: number;
  /** CRDs available to the check. */
  crds: number;
  cel: CelStats;
}

function coreIssues(model: ModelClass | null, apiVersion: string, kind: string, object: Record<string, unknown>): Array<{ path: string; message: string }> {
  if (!model) return [{ path: "", message: `no schema for ${apiVersion}/${kind}: ${groupOf(apiVersion) || "the core group"} is a built-in API group without this kind or version` }];
  const check = (o: Record<string, unknown>) => runModel(model, o);
  const found = issuesFromSchemaErrors(object, validateTolerant(check, object));
  if (unknownFieldChecked(apiVersion, kind)) {
    for (const segments of unknownFieldPointers(check, object)) {
      found.push({ path: formatPath(object, segments), message: `unknown field: not in the ${kind} schema (${apiVersion}); a typo?` });
    }
  }
  return found;
}

/**
 * Validates each object against its real schema (see the module doc). Issues come in input
 * order, by path within an object; what could not be validated is in the notes.
 */
export async function validatePlanObjects(objects: KubeObjectRef[], opts: ValidateOptions = {}): Promise<ValidationReport> {
  const crds = opts.crds ?? crdCatalogFor({ objects });
  const report: ValidationReport = { issues: [], notes: [...crds.notes], builtIn: 0, custom: 0, notValidated: 0, crds: crds.size, cel: emptyCelStats() };
  // Load every distinct model once, in parallel, before the (synchronous) checks.
  const models = new Map<string, ModelClass | null>();
  const keys = new Set<string>();
  for (const { object } of objects) {
    const apiVersion = stringAt(object, "apiVersion");
    const kind = stringAt(object, "kind");
    if (apiVersion && kind && schemaModuleFor(apiVersion, kind)) keys.add(`${apiVersion}\u0000${kind}`);
  }
  await Promise.all(
    [...keys].map(async (key) => {
      const [apiVersion, kind] = key.split("\u0000");
      models.set(`${apiVersion}/${kind}`, await loadModel(apiVersion, kind));
    }),
  );

  const withoutCrd = new Map<string, number>();
  for (const { urn, object } of objects) {
    const apiVersion = stringAt(object, "apiVersion") ?? "";
    const kind = stringAt(object, "kind") ?? "";
    const name = stringAt(object, "metadata", "name") ?? "";
    const namespace = stringAt(object, "metadata", "namespace");
    const where = { ...(urn !== undefined ? { urn } : {}), apiVersion, kind, name, ...(namespace !== undefined ? { namespace } : {}) };
    let found: Array<{ path: string; message: string }> = [];

    if (!apiVersion || !kind) {
      found.push({ path: apiVersion ? "kind" : "apiVersion", message: "required field is missing: an object needs apiVersion and kind to be validated" });
    } else if (isBuiltInGroup(groupOf(apiVersion))) {
      report.builtIn++;
      found = coreIssues(models.get(`${apiVersion}/${kind}`) ?? null, apiVersion, kind, object);
    } else {
      const result = await validateCustomResource(object, crds, report.cel);
      if (result.status === "no-crd") {
        report.notValidated++;
        withoutCrd.set(`${apiVersion}/${kind}`, (withoutCrd.get(`${apiVersion}/${kind}`) ?? 0) + 1);
      } else {
        report.custom++;
        found = result.findings.map((f) => ({ path: formatPath(object, f.segments), message: f.message }));
      }
    }
    found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const f of found) report.issues.push({ ...where, ...f });
  }
  if (report.notValidated > 0 && crds.size === 0) report.notes.push(`${NO_CRDS_NOTE} (${report.notValidated} custom resource(s) not validated)`);
  else {
    for (const [key, n] of [...withoutCrd].sort(([a], [b]) => a.localeCompare(b))) {
      report.notes.push(`no CRD for ${key} among the ${crds.size} CRDs available: ${n} object(s) not validated`);
    }
  }
  report.notes.push(...celNotes(report.cel));
  return report;
}

/** The issues of {@link validatePlanObjects}; an empty list means every validated object is valid. */
export async function validateKubeObjects(objects: KubeObjectRef[], opts: ValidateOptions = {}): Promise<SchemaIssue[]> {
  return (await validatePlanObjects(objects, opts)).issues;
}

/** One line: what was validated against what, with the CEL rule counts. */
export function formatValidationSummary(report: ValidationReport): string {
  return (
    `${report.builtIn + report.custom} Kubernetes objects validated: ${report.builtIn} built-in (kubernetes-models), ` +
    `${report.custom} custom resource(s) against ${report.crds} CRDs of the pinned releases${report.notValidated ? `, ${report.notValidated} custom resource(s) NOT validated (no CRD)` : ""}. ` +
    celSummary(report.cel)
  );
}

/** Human-readable report: one block per object (kind namespace/name, URN), one line per bad field. */
export function formatSchemaIssues(issues: readonly SchemaIssue[]): string {
  if (issues.length === 0) return "All Kubernetes objects match their schemas.";
  const groups = new Map<string, SchemaIssue[]>();
  for (const i of issues) {
    const key = `${i.urn ?? ""}\u0000${i.apiVersion}\u0000${i.kind}\u0000${i.namespace ?? ""}\u0000${i.name}`;
    const list = groups.get(key) ?? [];
    list.push(i);
    groups.set(key, list);
  }
  const lines = [`${groups.size} Kubernetes object${groups.size === 1 ? "" : "s"} fail schema validation (${issues.length} issue${issues.length === 1 ? "" : "s"}):`];
  for (const list of groups.values()) {
    const first = list[0];
    const id = `${first.namespace ? `${first.namespace}/` : ""}${first.name || "(unnamed)"}`;
    lines.push(`  ${first.kind || "(no kind)"} ${id} (${first.apiVersion || "no apiVersion"})${first.urn ? `\n    urn: ${first.urn}` : ""}`);
    for (const i of list) lines.push(`    - ${i.path || "(object)"}: ${i.message}`);
  }
  return lines.join("\n");
}

/**
 * Validation of one custom resource against the structural `openAPIV3Schema` of its CRD version,
 * the way the API server does it on create:
 *
 * 1. nulls in non-nullable fields are pruned, then `default`s are applied (also inside defaults);
 * 2. the value validations run: types (`x-kubernetes-int-or-string` is an integer or a string),
 *    `enum`, `required`, bounds, lengths, `pattern` (RE2), the formats the API server checks,
 *    `x-kubernetes-list-type` set/map uniqueness, and `oneOf`/`anyOf`/`allOf`/`not`;
 * 3. a field the schema does not declare is an unknown field (strict field validation), unless
 *    an ancestor has `x-kubernetes-preserve-unknown-fields` or `additionalProperties`;
 * 4. when the structure is valid, every `x-kubernetes-validations` rule of every present node is
 *    evaluated with CEL (`self` bound to that node, defaults applied).
 *
 * Plan markers (`[unknown]`, `[secret]`) are values nobody knows yet: a field holding one is not
 * judged, and a CEL rule that depends on one is "undecided". A string that merely contains a
 * marker (`https://[unknown]/x`) is checked with the marker replaced by neutral text.
 */
import { isPlainObject } from "../../validation/schema";
import { SECRET, UNKNOWN } from "../types";
import { type CelRuntime, type RuleOutcome, UnknownValue } from "./cel";
import { re2ToRegExp } from "./regex";

/** The subset of OpenAPI v3 a structural CRD schema may use. */
export interface JsonSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  not?: JsonSchema;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: CelRule[];
}

/** One `x-kubernetes-validations` entry. */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
  /** The rule also runs on create, with `oldSelf` an empty optional. */
  optionalOldSelf?: boolean;
}

/** A violation: where (segments from the object root) and why. */
export interface Finding {
  segments: string[];
  message: string;
}

/** What happened to the CEL rules of the objects validated so far. */
export interface CelStats {
  /** Rule evaluations with a verdict (passed or failed). */
  evaluated: number;
  failed: number;
  /** Transition rules (they read `oldSelf`): not applicable on create. */
  transition: number;
  /** Evaluations whose verdict depends on a value unknown until deploy. */
  undecided: number;
  /** Evaluations the evaluator could not run, by rule: the reason. */
  unsupported: Map<string, { reason: string; count: number }>;
}

export function emptyCelStats(): CelStats {
  return { evaluated: 0, failed: 0, transition: 0, undecided: 0, unsupported: new Map() };
}

const MARKERS = [UNKNOWN, SECRET];
const isMarker = (v: unknown): boolean => typeof v === "string" && MARKERS.includes(v);

/** A deep copy with embedded markers replaced by neutral text (whole markers stay). */
function neutralizeMarkers(v: unknown): unknown {
  if (typeof v === "string") return !isMarker(v) && MARKERS.some((m) => v.includes(m)) ? MARKERS.reduce((s, m) => s.split(m).join("unknown"), v) : v;
  if (Array.isArray(v)) return v.map(neutralizeMarkers);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, neutralizeMarkers(x)]));
  return v;
}

// ---------------------------------------------------------------------------------------------
// 1. Pruning nulls and defaulting

/** Prunes nulls of non-nullable fields and applies defaults, in place. */
export function applyDefaults(value: unknown, schema: JsonSchema | undefined): void {
  if (!schema || isMarker(value)) return;
  if (Array.isArray(value)) {
    for (const item of value) applyDefaults(item, schema.items);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (value[key] === null && !sub.nullable) delete value[key];
    if (!(key in value) && sub.default !== undefined) value[key] = structuredClone(sub.default);
    if (key in value) applyDefaults(value[key], sub);
  }
  if (isPlainObject(schema.additionalProperties)) {
    const sub = schema.additionalProperties;
    for (const key of Object.keys(value)) if (!(key in (schema.properties ?? {}))) applyDefaults(value[key], sub);
  }
}

// ---------------------------------------------------------------------------------------------
// 2./3. Value validations and unknown fields

type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object";

function jsonType(v: unknown): JsonType {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (typeof v === "object") return "object";
  return typeof v as JsonType;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(":")) return false;
  try {
    return new URL(`http://[${s}]/`).hostname.length > 0;
  } catch {
    return false;
  }
}

/** The string formats the API server validates (kube-openapi strfmt), where our CRDs use them. */
const FORMATS: Readonly<Record<string, (s: string) => boolean>> = {
  "date-time": (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
  datetime: (s) => FORMATS["date-time"](s),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
  byte: (s) => BASE64.test(s),
  ipv4: (s) => IPV4.test(s),
  ipv6: isIpv6,
  cidr: (s) => {
    const [ip, bits, ...rest] = s.split("/");
    if (rest.length || bits === undefined || !/^\d+$/.test(bits)) return false;
    return IPV4.test(ip) ? Number(bits) <= 32 : isIpv6(ip) && Number(bits) <= 128;
  },
  uuid: (s) => UUID.test(s),
};

interface Walk {
  findings: Finding[];
  /** False inside oneOf/anyOf/allOf/not branches: they constrain values, not the structure. */
  structural: boolean;
}

/** Text for a failed oneOf/anyOf whose branches are `required` lists: which fields to set. */
function alternatives(branches: JsonSchema[]): string | undefined {
  const sets = branches.map((b) => b.required);
  if (sets.some((r) => !r)) return undefined;
  return sets.map((r) => (r as string[]).join(" + ")).join(", ");
}

function checkValue(value: unknown, schema: JsonSchema, segments: string[], walk: Walk): void {
  if (isMarker(value)) return;
  const out = walk.findings;
  const at = (message: string, extra: string[] = []): void => {
    out.push({ segments: [...segments, ...extra], message });
  };
  const type = jsonType(value);

  if (schema["x-kubernetes-int-or-string"]) {
    if (type !== "integer" && type !== "string") return at(`must be an integer or a string, found ${show(value)}`);
  } else if (schema.type) {
    const ok = schema.type === type || (schema.type === "number" && type === "integer") || (type === "null" && schema.nullable === true);
    if (!ok) return at(`must be of type ${schema.type}, found ${type === "null" ? "null" : `${type} ${show(value)}`}`);
  }
  if (type === "null") return;

  if (schema.enum && !schema.enum.some((e) => deepEqual(e, value))) at(`must be one of ${schema.enum.map(show).join(" | ")}, found ${show(value)}`);

  if (typeof value === "string") {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) at(`must be at least ${schema.minLength} characters long, found ${show(value)}`);
    if (schema.maxLength !== undefined && length > schema.maxLength) at(`must be at most ${schema.maxLength} characters long, found ${length}`);
    if (schema.pattern !== undefined) {
      let re: RegExp | undefined;
      try {
        re = re2ToRegExp(schema.pattern);
      } catch {
        re = undefined; // a pattern JavaScript cannot express is not judged here
      }
      if (re && !re.test(value)) at(`must match the pattern ${schema.pattern}, found ${show(value)}`);
    }
    const format = schema.format ? FORMATS[schema.format] : undefined;
    if (format && !format(value)) at(`must be in the format ${schema.format}, found ${show(value)}`);
  }

  if (typeof value === "number") {
    const { minimum, maximum, multipleOf } = schema;
    if (minimum !== undefined && (schema.exclusiveMinimum ? value <= minimum : value < minimum)) at(`must be ${schema.exclusiveMinimum ? "greater than" : "at least"} ${minimum}, found ${value}`);
    if (maximum !== undefined && (schema.exclusiveMaximum ? value >= maximum : value > maximum)) at(`must be ${schema.exclusiveMaximum ? "less than" : "at most"} ${maximum}, found ${value}`);
    if (multipleOf !== undefined && multipleOf > 0 && !Number.isInteger(value / multipleOf)) at(`must be a multiple of ${multipleOf}, found ${value}`);
  }

  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) at(`must have at least ${schema.minItems} item(s), found ${value.length}`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) at(`must have at most ${schema.maxItems} item(s), found ${value.length}`);
    const listType = schema["x-kubernetes-list-type"];
    const keys = schema["x-kubernetes-list-map-keys"] ?? [];
    value.forEach((item, i) => {
      if (schema.items) checkValue(item, schema.items, [...segments, String(i)], walk);
      // Two unknown keys are not known to be equal.
      const known = listType === "set" ? !isMarker(item) : isPlainObject(item) && keys.every((k) => !isMarker(item[k]));
      const dup = !known
        ? -1
        : value.findIndex((other, j) => j < i && (listType === "set" ? deepEqual(other, item) : listType === "map" && isPlainObject(other) && keys.every((k) => deepEqual(other[k], (item as Record<string, unknown>)[k]))));
      if (dup >= 0) {
        const key = listType === "map" && isPlainObject(item) ? ` (key ${keys.map((k) => `${k}=${show(item[k])}`).join(", ")})` : "";
        at(`duplicate entry${key}: the same as item ${dup} (x-kubernetes-list-type: ${listType})`, [String(i)]);
      }
    });
  }

  if (isPlainObject(value)) {
    const props = schema.properties ?? {};
    const extra = schema.additionalProperties;
    const entries = Object.keys(value);
    if (schema.minProperties !== undefined && entries.length < schema.minProperties) at(`must have at least ${schema.minProperties} field(s), found ${entries.length}`);
    if (schema.maxProperties !== undefined && entries.length > schema.maxProperties) at(`must have at most ${schema.maxProperties} field(s), found ${entries.length}`);
    for (const key of entries) {
      const sub = props[key];
      if (sub) checkValue(value[key], sub, [...segments, key], walk);
      else if (isPlainObject(extra)) checkValue(value[key], extra, [...segments, key], walk);
      else if (walk.structural && extra !== true && !schema["x-kubernetes-preserve-unknown-fields"]) {
        const embedded = schema["x-kubernetes-embedded-resource"] && ["apiVersion", "kind", "metadata"].includes(key);
        if (!embedded) at("unknown field: not in the CRD schema (a typo, or a field of another version?)", [key]);
      }
    }
    for (const key of schema.required ?? []) if (!(key in value)) at("required field is missing", [key]);
  }

  const branch = (s: JsonSchema): boolean => {
    const inner: Walk = { findings: [], structural: false };
    checkValue(value, s, segments, inner);
    return inner.findings.length === 0;
  };
  if (schema.allOf) for (const s of schema.allOf) checkValue(value, s, segments, { findings: out, structural: false });
  if (schema.oneOf) {
    const n = schema.oneOf.filter(branch).length;
    if (n !== 1) {
      const alt = alternatives(schema.oneOf);
      at(`must match exactly one of the schema's alternatives (oneOf), found ${n === 0 ? "none" : n}${alt ? `: set exactly one of ${alt}` : ""}`);
    }
  }
  if (schema.anyOf && !schema.anyOf.some(branch)) {
    const alt = alternatives(schema.anyOf);
    at(`must match at least one of the schema's alternatives (anyOf)${alt ? `: set one of ${alt}` : ""}`);
  }
  if (schema.not && branch(schema.not)) at("must not match the schema under `not`");
}

// ---------------------------------------------------------------------------------------------
// 4. CEL rules

// Kubernetes escapes property names in CEL (apiserver/pkg/cel/escaping.go).
const CEL_RESERVED = new Set(["true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);

/** The CEL name of a property, or undefined when CEL cannot address it. */
export function celPropertyName(name: string): string | undefined {
  if (name === "" || /^[0-9]/.test(name)) return undefined;
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  let ok = true;
  const escaped = name.replace(/__|[^a-zA-Z0-9_]/g, (s) => {
    const e = ({ __: "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__" } as Record<string, string>)[s];
    if (e === undefined) ok = false;
    return e ?? "";
  });
  return ok ? escaped : undefined;
}

function base64Bytes(s: string): Uint8Array | string {
  return BASE64.test(s) ? Uint8Array.from(Buffer.from(s, "base64")) : s;
}

/** The CEL value of `value` under `schema` (ints as BigInt, escaped property names, markers unknown). */
export function toCel(value: unknown, schema: JsonSchema | undefined, root = false): unknown {
  if (isMarker(value)) return new UnknownValue();
  if (value === null || value === undefined) return null;
  if (typeof value === "number") {
    const asInt = schema === undefined || schema.type === "integer" || schema["x-kubernetes-int-or-string"];
    return asInt && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (typeof value === "string") {
    if (schema?.format === "date-time" || schema?.format === "datetime" || schema?.format === "date") {
      const t = Date.parse(value);
      return Number.isNaN(t) ? value : new Date(t);
    }
    return schema?.format === "byte" ? base64Bytes(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  const props = schema?.properties;
  const extra = schema?.additionalProperties;
  for (const [key, v] of Object.entries(value)) {
    if (props?.[key]) {
      const name = celPropertyName(key);
      if (name !== undefined) out[name] = root && key === "metadata" ? rootMetadata(v) : toCel(v, props[key]);
    } else if (isPlainObject(extra) || extra === true) {
      out[key] = toCel(v, isPlainObject(extra) ? extra : undefined);
    } else if (!props || ((root || schema?.["x-kubernetes-embedded-resource"]) && (key === "apiVersion" || key === "kind" || key === "metadata"))) {
      // A free-form object (preserve-unknown-fields without properties), or an embedded object's header.
      out[key] = key === "metadata" && (root || schema?.["x-kubernetes-embedded-resource"]) ? rootMetadata(v) : toCel(v, undefined);
    }
  }
  return out;
}

/** Only metadata.name and metadata.generateName are visible to CEL at an object's root. */
function rootMetadata(meta: unknown): unknown {
  if (!isPlainObject(meta)) return toCel(meta, undefined);
  const out: Record<string, unknown> = {};
  for (const key of ["name", "generateName"]) if (key in meta) out[key] = toCel(meta[key], { type: "string" });
  return out;
}

/** `.spec.foo`, `.foo['a.b']`, `.items[0]` relative to a node, as segments. */
function fieldPathSegments(fieldPath: string): string[] {
  const out: string[] = [];
  for (const m of fieldPath.matchAll(/\.([A-Za-z0-9_$-]+)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[(\d+)\]/g)) {
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return out;
}

function runRules(value: unknown, schema: JsonSchema, segments: string[], cel: CelRuntime, stats: CelStats, out: Finding[], root: boolean): void {
  if (value === undefined) return;
  const rules = schema["x-kubernetes-validations"];
  if (isMarker(value)) {
    stats.undecided += rules?.length ?? 0;
    return;
  }
  if (rules?.length) {
    const self = toCel(value, schema, root);
    for (const rule of rules) {
      const outcome: RuleOutcome = rule.optionalOldSelf
        ? { status: "unsupported", reason: "optionalOldSelf: the rule runs on create with oldSelf an empty optional, which this evaluator does not model" }
        : cel.evaluate(cel.compile(rule.rule), self);
      switch (outcome.status) {
        case "pass":
          stats.evaluated++;
          break;
        case "transition":
          stats.transition++;
          break;
        case "undecided":
          stats.undecided++;
          break;
        case "unsupported": {
          const entry = stats.unsupported.get(rule.rule) ?? { reason: outcome.reason, count: 0 };
          entry.count++;
          stats.unsupported.set(rule.rule, entry);
          break;
        }
        case "fail": {
          stats.evaluated++;
          stats.failed++;
          const text = (rule.messageExpression && cel.message(rule.messageExpression, self)) || rule.message || `failed rule: ${rule.rule}`;
          const error = outcome.error ? `; evaluation error: ${outcome.error}` : "";
          const shown = rule.rule.replace(/\s+/g, " ").trim();
          out.push({ segments: [...segments, ...fieldPathSegments(rule.fieldPath ?? "")], message: `${text} (CEL rule \`${shown}\`${error})` });
        }
      }
    }
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => runRules(item, schema.items as JsonSchema, [...segments, String(i)], cel, stats, out, false));
  } else if (isPlainObject(value)) {
    const props = schema.properties ?? {};
    const extra = schema.additionalProperties;
    for (const [key, v] of Object.entries(value)) {
      if (root && key === "metadata") continue;
      const sub = props[key] ?? (isPlainObject(extra) ? extra : undefined);
      if (sub) runRules(v, sub, [...segments, key], cel, stats, out, false);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Object metadata (the API server validates ObjectMeta itself; the CRD schema only narrows it)

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const OBJECT_META_FIELDS = new Set([
  "name",
  "generateName",
  "namespace",
  "labels",
  "annotations",
  "finalizers",
  "ownerReferences",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
]);

function checkMetadata(meta: unknown, schema: JsonSchema | undefined, out: Finding[]): void {
  const at = (message: string, ...segments: string[]): void => {
    out.push({ segments: ["metadata", ...segments], message });
  };
  if (!isPlainObject(meta)) return at("required: an object with at least a name");
  for (const key of Object.keys(meta)) if (!OBJECT_META_FIELDS.has(key)) at("unknown field: not in ObjectMeta (a typo?)", key);
  const { name, generateName, namespace, labels, annotations } = meta;
  if (name === undefined && generateName === undefined) at("required field is missing", "name");
  if (typeof name === "string" && !isMarker(name) && (name.length > 253 || !DNS_SUBDOMAIN.test(name))) at(`must be a DNS subdomain name (lowercase letters, digits, '-' and '.', at most 253), found ${show(name)}`, "name");
  if (typeof namespace === "string" && !isMarker(namespace) && (namespace.length > 63 || !DNS_LABEL.test(namespace))) at(`must be a DNS label, found ${show(namespace)}`, "namespace");
  if (isPlainObject(labels)) {
    for (const [key, v] of Object.entries(labels)) {
      const [prefix, local] = key.includes("/") ? [key.slice(0, key.indexOf("/")), key.slice(key.indexOf("/") + 1)] : [undefined, key];
      const keyOk = LABEL_NAME.test(local) && local.length <= 63 && (prefix === undefined || (DNS_SUBDOMAIN.test(prefix) && prefix.length <= 253));
      if (!keyOk) at(`label key must be a qualified name, found ${show(key)}`, "labels", key);
      if (typeof v !== "string") at(`label value must be a string, found ${show(v)}`, "labels", key);
      else if (!isMarker(v) && (v.length > 63 || !LABEL_VALUE.test(v))) at(`label value must be at most 63 characters of [-A-Za-z0-9_.], found ${show(v)}`, "labels", key);
    }
  }
  if (isPlainObject(annotations)) for (const [key, v] of Object.entries(annotations)) if (typeof v !== "string") at(`annotation value must be a string, found ${show(v)}`, "annotations", key);
  // A CRD may narrow metadata (e.g. a shorter name); only name and generateName are allowed there.
  for (const key of ["name", "generateName"]) {
    const sub = schema?.properties?.[key];
    if (sub && meta[key] !== undefined) checkValue(meta[key], sub, ["metadata", key], { findings: out, structural: false });
  }
}

// ---------------------------------------------------------------------------------------------
// The whole object

/** Validates one object against its CRD version's schema; CEL outcomes are added to `stats`. */
export function validateAgainstSchema(object: Record<string, unknown>, schema: JsonSchema, cel: CelRuntime, stats: CelStats): Finding[] {
  const value = neutralizeMarkers(object) as Record<string, unknown>;
  applyDefaults(value, schema);
  const findings: Finding[] = [];
  checkMetadata(value.metadata, schema.properties?.metadata, findings);
  const root: JsonSchema = {
    ...schema,
    properties: { ...schema.properties, apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
  };
  checkValue(value, root, [], { findings, structural: true });
  // CEL on a structurally broken object would only repeat the same errors in other words.
  if (findings.length === 0) runRules(value, root, [], cel, stats, findings, true);
  return findings;
}

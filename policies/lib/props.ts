/**
 * Safe readers over resource properties as policies receive them (plain JSON behind the engine's
 * unknown-checking proxy: reading an unknown value throws, which the engine reports as "can't run
 * during preview"). Pure helpers, no engine.
 */
import { UnknownValueError } from "@pulumi/policy";

export type Json = Record<string, unknown>;

export function asObject(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** Numbers may arrive as strings (Kafka configs, launch templates); both are read. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

/** Booleans may arrive as "true"/"false" strings (EC2 launch templates). */
export function asBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

/** Reads a nested property by path; undefined when any step is missing. */
export function at(v: unknown, ...path: string[]): unknown {
  let cur: unknown = v;
  for (const key of path) {
    const o = asObject(cur);
    if (!o) return undefined;
    cur = o[key];
  }
  return cur;
}

/** A Kubernetes type token `kubernetes:<group>/<version>:<Kind>` split into its parts. */
export interface KubeType {
  group: string;
  version: string;
  kind: string;
}

export function kubeType(type: string): KubeType | undefined {
  const m = /^kubernetes:([^:]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m) return undefined;
  const gv = m[1];
  const slash = gv.lastIndexOf("/");
  return slash < 0 ? { group: "core", version: gv, kind: m[2] } : { group: gv.slice(0, slash), version: gv.slice(slash + 1), kind: m[2] };
}

/** True when `type` is the Kubernetes kind in the API group, whatever its version (v1, v1beta1, ...). */
export function isKube(type: string, group: string, kind: string): boolean {
  const t = kubeType(type);
  return t !== undefined && t.group === group && t.kind === kind;
}

export const ISTIO_NETWORKING = "networking.istio.io";
export const ISTIO_SECURITY = "security.istio.io";
export const KONG = "configuration.konghq.com";
export const STRIMZI = "kafka.strimzi.io";
export const PROM_OPERATOR = "monitoring.coreos.com";

/** True for an object a Helm chart renders: a `helm.sh/v<N>:Chart` among its ancestors. */
export function isChartRendered(r: { parent?: { type: string; parent?: unknown } }): boolean {
  let cur = r.parent as { type: string; parent?: unknown } | undefined;
  for (let guard = 0; cur && guard < 100; guard++) {
    if (/^kubernetes:helm\.sh\/v\d+:Chart$/.test(cur.type)) return true;
    cur = cur.parent as { type: string; parent?: unknown } | undefined;
  }
  return false;
}

/** Where each workload kind keeps its pod spec (every kind that has one, whatever its version). */
const POD_SPEC_PATHS: Record<string, string[]> = {
  "apps/Deployment": ["spec", "template", "spec"],
  "apps/StatefulSet": ["spec", "template", "spec"],
  "apps/DaemonSet": ["spec", "template", "spec"],
  "apps/ReplicaSet": ["spec", "template", "spec"],
  "batch/Job": ["spec", "template", "spec"],
  "batch/CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
  "core/ReplicationController": ["spec", "template", "spec"],
  "core/Pod": ["spec"],
};

/** A workload's pod spec with its property path (`spec.template.spec`), or undefined for other types. */
export interface PodSpecOf {
  kind: string;
  path: string;
  /** The pod spec, undefined when the workload has none. */
  pod: Json | undefined;
  /** Long-running workloads (not Job, CronJob, bare Pod) need readiness and liveness probes. */
  longRunning: boolean;
}

export function podSpecOf(type: string, props: unknown): PodSpecOf | undefined {
  const t = kubeType(type);
  const segments = t && POD_SPEC_PATHS[`${t.group}/${t.kind}`];
  if (!t || !segments) return undefined;
  return { kind: t.kind, path: segments.join("."), pod: asObject(at(props, ...segments)), longRunning: !["Job", "CronJob", "Pod"].includes(t.kind) };
}

export function isWorkload(type: string): boolean {
  return podSpecOf(type, {}) !== undefined;
}

/**
 * Violation messages name the property they concern first, in backticks ("`publiclyAccessible` is
 * true"): reports locate the finding at that property's source line and fingerprint it by path.
 */
export function atPath(path: string, message: string): string {
  return `\`${path}\` ${message}`;
}

/** The property path a message names (see atPath), or undefined. */
export function pathOfMessage(message: string): string | undefined {
  return /^`([^`\s]+)`/.exec(message)?.[1];
}

/** Go/Istio duration ("1.5s", "500ms", "1m", "1h30m") in milliseconds; undefined when not a duration. */
export function durationMs(v: unknown): number | undefined {
  if (typeof v === "number") return v * 1000;
  if (typeof v !== "string" || v.trim() === "") return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v)) !== null) {
    const n = Number(m[1]);
    const unit = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms"];
    total += n * unit;
    consumed += m[0].length;
  }
  return consumed === v.length ? total : undefined;
}

/** Kubernetes label selector match (matchLabels only, which is what our objects use). */
export function selectorMatches(selector: unknown, labels: Record<string, unknown>): boolean {
  const match = asObject(at(selector, "matchLabels"));
  if (!match || Object.keys(match).length === 0) return false;
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/**
 * True when `key` is set on `o`: a value known during preview that is not empty, or a value the
 * engine does not know yet (a reference to another resource's output, e.g. a KMS key ARN). Reading
 * an unknown through the engine's proxy throws; here that only tells us the value is provided.
 */
export function isProvided(o: unknown, key: string): boolean {
  const obj = asObject(o);
  if (!obj || !Object.prototype.hasOwnProperty.call(obj, key)) return false;
  try {
    const v = obj[key];
    return v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0);
  } catch (e) {
    if (e instanceof UnknownValueError) return true;
    throw e;
  }
}

/** The value at `key`, or undefined when the engine does not know it yet (no throw). */
export function readKnown(o: unknown, key: string): unknown {
  const obj = asObject(o);
  if (!obj) return undefined;
  try {
    return obj[key];
  } catch (e) {
    if (e instanceof UnknownValueError) return undefined;
    throw e;
  }
}

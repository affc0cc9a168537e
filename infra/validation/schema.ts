/**
 * A small, dependency-free schema checker for untrusted input (stack files, the catalog, CLI
 * flags, plan files). Every check collects issues with the key path, what was expected and what
 * was found, so one run reports every problem instead of the first.
 */

/** One problem found in an input document. */
export interface Issue {
  /** Key path inside the document, e.g. `services[2].routes[0].method`. */
  path: string;
  expected: string;
  found: string;
}

/** Raised when an input document fails validation; names the file and every issue. */
export class ValidationError extends Error {
  constructor(
    readonly file: string,
    readonly issues: Issue[],
  ) {
    super(
      `${file}: ${issues.length} invalid value${issues.length === 1 ? "" : "s"}\n` +
        issues.map((i) => `  - ${i.path}: expected ${i.expected}, found ${i.found}`).join("\n"),
    );
    this.name = "ValidationError";
  }
}

/** A check reads an unknown value at a path and returns the typed value, or records issues. */
export type Check<T> = (value: unknown, path: string, issues: Issue[]) => T | undefined;

/** Short, safe description of a found value for error messages (never long, never a secret body). */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing (missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return `an object with keys [${Object.keys(value).join(", ")}]`;
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `"${shown}" (string)`;
  }
  return `${String(value)} (${typeof value})`;
}

/** Key names whose values are secrets: an error shows only their length. */
const SECRET_KEY_NAME = /(password|passwd|passphrase|secret|token|apikey|privatekey|routingkey|signingkey|accesskey|webhook|credential|auth.?key)/i;
/** Values that are secrets whatever their key (chat webhooks, private keys, provider tokens). */
const SECRET_VALUE = /(hooks\.slack\.com\/|-----BEGIN [A-Z ]*PRIVATE KEY-----|\bxox[abprs]-|\bgh[pousr]_[A-Za-z0-9]{20,}|\bAKIA[0-9A-Z]{16}\b)/;

/** True when the last key of a path (`a.b.slackWebhookUrl`, `trademaster:pagerdutyRoutingKey`) names a secret. */
export function looksSecretKey(path: string): boolean {
  const last = path.split(/[.:[\]]/).filter(Boolean).pop() ?? "";
  return SECRET_KEY_NAME.test(last.replace(/[^A-Za-z0-9]/g, ""));
}

/** What an error may say about a secret value: its kind and length, never its text. */
export function describeSecret(value: unknown): string {
  if (typeof value === "string") return `[secret], ${value.length} characters`;
  if (value === undefined) return "nothing (missing)";
  return `[secret], ${Array.isArray(value) ? "a list" : value === null ? "null" : typeof value === "object" ? "a mapping" : typeof value}`;
}

/** describe(), except that a value under a secret-looking key or with a secret-looking text is masked. */
export function describeAt(path: string, value: unknown): string {
  if (looksSecretKey(path) || (typeof value === "string" && SECRET_VALUE.test(value))) return describeSecret(value);
  return describe(value);
}

/** The candidate closest to `word` by edit distance, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** A value's kind and size only: for values an error must not show. */
export function describeKind(value: unknown): string {
  if (typeof value === "string") return `a string of ${value.length} characters`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value === null || value === undefined) return String(value);
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}

function fail<T>(issues: Issue[], path: string, expected: string, value: unknown): T | undefined {
  issues.push({ path, expected, found: describeAt(path, value) });
  return undefined;
}

export interface StringOpts {
  pattern?: RegExp;
  patternName?: string;
  oneOf?: readonly string[];
  minLength?: number;
}

export function str<T extends string = string>(opts: StringOpts = {}): Check<T> {
  return (v, path, issues) => {
    if (typeof v !== "string") return fail(issues, path, expectedString(opts), v);
    if (opts.oneOf && !opts.oneOf.includes(v)) return fail(issues, path, expectedString(opts), v);
    if (opts.pattern && !opts.pattern.test(v)) return fail(issues, path, expectedString(opts), v);
    if (opts.minLength !== undefined && v.length < opts.minLength) {
      return fail(issues, path, expectedString(opts), v);
    }
    return v as T;
  };
}

function expectedString(opts: StringOpts): string {
  if (opts.oneOf) return `one of ${opts.oneOf.map((o) => `"${o}"`).join(" | ")}`;
  if (opts.pattern) return `a string matching ${opts.patternName ?? String(opts.pattern)}`;
  if (opts.minLength) return `a string of at least ${opts.minLength} characters`;
  return "a string";
}

export function oneOf<T extends string>(values: readonly T[]): Check<T> {
  return str<T>({ oneOf: values });
}

export interface NumberOpts {
  min?: number;
  max?: number;
  integer?: boolean;
}

export function num(opts: NumberOpts = {}): Check<number> {
  const expected =
    (opts.integer ? "an integer" : "a number") +
    (opts.min !== undefined ? ` >= ${opts.min}` : "") +
    (opts.max !== undefined ? ` <= ${opts.max}` : "");
  return (v, path, issues) => {
    if (typeof v !== "number" || Number.isNaN(v)) return fail(issues, path, expected, v);
    if (opts.integer && !Number.isInteger(v)) return fail(issues, path, expected, v);
    if (opts.min !== undefined && v < opts.min) return fail(issues, path, expected, v);
    if (opts.max !== undefined && v > opts.max) return fail(issues, path, expected, v);
    return v;
  };
}

export const int = (opts: Omit<NumberOpts, "integer"> = {}): Check<number> => num({ ...opts, integer: true });

export const bool: Check<boolean> = (v, path, issues) =>
  typeof v === "boolean" ? v : fail(issues, path, "true or false", v);

export function list<T>(item: Check<T>, opts: { minItems?: number } = {}): Check<T[]> {
  return (v, path, issues) => {
    if (!Array.isArray(v)) return fail(issues, path, "a list", v);
    if (opts.minItems !== undefined && v.length < opts.minItems) {
      return fail(issues, path, `a list of at least ${opts.minItems}`, v);
    }
    const out: T[] = [];
    let ok = true;
    v.forEach((el, i) => {
      const r = item(el, `${path}[${i}]`, issues);
      if (r === undefined) ok = false;
      else out.push(r);
    });
    return ok ? out : undefined;
  };
}

/**
 * A map with free-form keys (checked by keyPattern, or by a key check such as configMapKey) and
 * typed values. The result has no prototype, so a `__proto__` or `constructor` key is only data.
 */
export function record<T>(value: Check<T>, key?: RegExp | KeyRule): Check<Record<string, T>> {
  const rule: KeyRule | undefined = key instanceof RegExp ? { name: `a key matching ${String(key)}`, test: (k) => key.test(k) } : key;
  return (v, path, issues) => {
    if (!isPlainObject(v)) return fail(issues, path, "a mapping", v);
    const out = Object.create(null) as Record<string, T>;
    let ok = true;
    for (const [k, el] of Object.entries(v)) {
      if (rule && !rule.test(k)) {
        issues.push({ path: `${path}.${k}`, expected: rule.name, found: `key ${JSON.stringify(k)}` });
        ok = false;
        continue;
      }
      const r = value(el, `${path}.${k}`, issues);
      if (r === undefined) ok = false;
      else out[k] = r;
    }
    return ok ? out : undefined;
  };
}

/** A rule for the keys of a free-form map, with the name errors use. */
export interface KeyRule {
  name: string;
  test: (key: string) => boolean;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Kubernetes' ConfigMap/Secret data key rule (IsConfigMapKey): `[-._a-zA-Z0-9]+`, at most 253, not `.` or `..`. */
export const configMapKey: KeyRule = {
  name: "a ConfigMap key: letters, digits, '-', '_' or '.', at most 253 characters (Kubernetes IsConfigMapKey)",
  test: (k) => k.length > 0 && k.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(k) && k !== "." && k !== "..",
};

/** Kubernetes' label and annotation key rule (IsQualifiedName): `[prefix/]name`, name <= 63, prefix a DNS subdomain <= 253. */
export const labelKey: KeyRule = {
  name: "a label key [prefix/]name: name of at most 63 letters, digits, '-', '_', '.' starting and ending alphanumeric; prefix a DNS subdomain",
  test: (k) => {
    const parts = k.split("/");
    if (parts.length > 2) return false;
    const name = parts.pop()!;
    const prefix = parts.pop();
    if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
    return name.length > 0 && name.length <= 63 && QUALIFIED_NAME.test(name);
  },
};

/** Kubernetes' label value rule: empty, or at most 63 letters, digits, '-', '_', '.' starting and ending alphanumeric. */
export function isLabelValue(v: string): boolean {
  return v === "" || (v.length <= 63 && QUALIFIED_NAME.test(v));
}

/** Marks a field optional; with a default the typed value always has it. */
export interface Optional<T> {
  readonly optional: true;
  readonly check: Check<T>;
  readonly fallback?: T;
}

export function optional<T>(check: Check<T>): Optional<T>;
export function optional<T>(check: Check<T>, fallback: T): Optional<T> & { fallback: T };
export function optional<T>(check: Check<T>, fallback?: T): Optional<T> {
  return { optional: true, check, fallback };
}

type Field = Check<unknown> | Optional<unknown>;
type Shape = Record<string, Field>;
type FieldType<F> =
  F extends Optional<infer T> & { fallback: infer D }
    ? D extends undefined
      ? T | undefined
      : T
    : F extends Optional<infer T>
      ? T | undefined
      : F extends Check<infer T>
        ? T
        : never;
type RequiredKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends Optional<unknown> ? (S[K] extends { fallback: object | string | number | boolean } ? K : never) : K;
}[keyof S];
export type Infer<S extends Shape> = { [K in RequiredKeys<S>]: FieldType<S[K]> } & {
  [K in Exclude<keyof S, RequiredKeys<S>>]?: FieldType<S[K]>;
};

function isOptional(f: Field): f is Optional<unknown> {
  return typeof f === "object" && f !== null && (f as Optional<unknown>).optional === true;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A mapping with a fixed set of keys: unknown keys are an error (they are usually typos). */
export function obj<S extends Shape>(shape: S): Check<Infer<S>> {
  return (v, path, issues) => {
    if (!isPlainObject(v)) return fail(issues, path, `a mapping with keys [${Object.keys(shape).join(", ")}]`, v);
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const key of Object.keys(v)) {
      // Own keys only: `__proto__`, `constructor` or `toString` are unknown keys like any other.
      if (!Object.hasOwn(shape, key)) {
        const suggestion = closest(key, Object.keys(shape));
        issues.push({
          path: join(path, key),
          expected: `no such key (${suggestion ? `did you mean ${suggestion}? ` : ""}allowed: ${Object.keys(shape).join(", ")})`,
          // The value of a mistyped key is never shown: it may be a secret under a misspelled name.
          found: `${describeKind(v[key])} (value not shown)`,
        });
        ok = false;
      }
    }
    for (const [key, field] of Object.entries(shape)) {
      const raw = Object.hasOwn(v, key) ? v[key] : undefined;
      const p = join(path, key);
      if (isOptional(field)) {
        if (raw === undefined || raw === null) {
          if (field.fallback !== undefined) out[key] = structuredClone(field.fallback);
          continue;
        }
        const r = field.check(raw, p, issues);
        if (r === undefined) ok = false;
        else out[key] = r;
      } else {
        const r = field(raw, p, issues);
        if (r === undefined) ok = false;
        else out[key] = r;
      }
    }
    return ok ? (out as Infer<S>) : undefined;
  };
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Runs a check on a whole document; throws a ValidationError naming the file on any issue. */
export function parseDocument<T>(file: string, check: Check<T>, value: unknown, rootPath = ""): T {
  const issues: Issue[] = [];
  const result = check(value, rootPath, issues);
  if (issues.length > 0 || result === undefined) {
    throw new ValidationError(file, issues.length ? issues : [{ path: rootPath || "(root)", expected: "a valid document", found: describe(value) }]);
  }
  return result;
}

/** Kubernetes quantity patterns, checked so a typo never reaches the cluster. */
export const CPU_QUANTITY = /^(\d+m|\d+(\.\d+)?)$/;
export const MEMORY_QUANTITY = /^\d+(Ki|Mi|Gi|Ti)$/;
export const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The CRD `x-kubernetes-validations` rules, evaluated with the CEL evaluator `@marcbachmann/cel-js`
 * plus the parts of the Kubernetes CEL library the pinned CRDs use (grep of their rules: `has`,
 * `size`, `all`/`exists`/`exists_one`/`filter`, `contains`/`startsWith`/`endsWith`/`substring`/
 * `split`, `matches` with RE2 syntax, `int`, `duration` with Go's syntax, `url`/`isURL`/`getScheme`).
 *
 * - A rule that reads `oldSelf` is a transition rule: it does not apply on create.
 * - A rule the evaluator cannot compile or type-check (an unsupported function) is "unevaluated"
 *   and reported as such by the caller, never passed silently.
 * - Plan markers (`[unknown]`, `[secret]`) become {@link UnknownValue}: any comparison or
 *   function on one fails with {@link UNKNOWN_ERROR}, and the rule's outcome is "undecided".
 *
 * The package is ESM-only: it is loaded once with a dynamic import ({@link loadCelRuntime}).
 */
import { re2ToRegExp } from "./regex";

/** A value the plan does not know (known only after deploy, or masked). */
export class UnknownValue {}

const UNKNOWN_ERROR = "depends on a value unknown until deploy";

/** A parsed URL as the Kubernetes `url()` function returns it. */
class KubeUrl {
  constructor(
    readonly url: URL,
    /** Empty for an absolute path (no scheme), as in Go's url.URL. */
    readonly scheme: string,
  ) {}
}

/**
 * Kubernetes' `isURL`: Go's `url.ParseRequestURI` accepts an absolute URI (scheme present) or
 * an absolute path. WHATWG `URL` is close enough for the schemes the rules check.
 */
function isKubeUrl(s: string): boolean {
  if (/\s/.test(s)) return false;
  if (s.startsWith("/")) return true;
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && URL.canParse(s);
}

function parseKubeUrl(s: string): KubeUrl {
  if (!isKubeUrl(s)) throw new Error(`URL parse error during conversion from string: ${s}`);
  if (s.startsWith("/")) return new KubeUrl(new URL(s, "http://relative.invalid"), "");
  const url = new URL(s);
  return new KubeUrl(url, url.protocol.replace(/:$/, ""));
}

/** One compiled rule, or why it can't be evaluated here. */
export type CompiledRule = { kind: "program"; run: (vars: Record<string, unknown>) => unknown } | { kind: "transition" } | { kind: "unsupported"; reason: string };

/** Outcome of one rule on one value. */
export type RuleOutcome =
  | { status: "pass" }
  | { status: "fail"; error?: string }
  | { status: "transition" }
  | { status: "undecided" }
  | { status: "unsupported"; reason: string };

export interface CelRuntime {
  compile(expression: string): CompiledRule;
  evaluate(rule: CompiledRule, self: unknown): RuleOutcome;
  /** Evaluates a `messageExpression` to its string, or undefined when it can't be. */
  message(expression: string, self: unknown): string | undefined;
}

type CelModule = typeof import("@marcbachmann/cel-js");

let runtime: Promise<CelRuntime> | undefined;

/** The CEL runtime (environment built once, programs compiled once per expression). */
export function loadCelRuntime(): Promise<CelRuntime> {
  runtime ??= import("@marcbachmann/cel-js").then(buildRuntime);
  return runtime;
}

/** For each character of a CEL source: true inside a string literal (plain, raw, triple-quoted). */
function stringMask(source: string): boolean[] {
  const mask = new Array<boolean>(source.length).fill(false);
  let i = 0;
  while (i < source.length) {
    const raw = /[rR]/.test(source[i]) && /["']/.test(source[i + 1] ?? "") && !/[A-Za-z0-9_]/.test(source[i - 1] ?? "");
    const q = raw ? i + 1 : i;
    if (source[q] !== '"' && source[q] !== "'") {
      i++;
      continue;
    }
    const delim = source.startsWith(source[q].repeat(3), q) ? source[q].repeat(3) : source[q];
    let j = q + delim.length;
    while (j < source.length && !source.startsWith(delim, j)) j += !raw && source[j] === "\\" ? 2 : 1;
    const end = Math.min(j + delim.length, source.length);
    for (let k = i; k < end; k++) mask[k] = true;
    i = end;
  }
  return mask;
}

/** Rewrites the code between the string literals of a CEL source. */
function rewriteOutsideStrings(source: string, rewrite: (code: string) => string): string {
  const mask = stringMask(source);
  let out = "";
  let start = 0;
  for (let i = 1; i <= source.length; i++) {
    if (i < source.length && mask[i] === mask[start]) continue;
    const part = source.slice(start, i);
    out += mask[start] ? part : rewrite(part);
    start = i;
  }
  return out;
}

/**
 * cel-js accepts `has()` only on a field chain that starts at a variable (`has(self.a.b)`), CEL
 * also on any expression (`has(self.matches[0].path)`): those become `k8sHas(<expr>, "<field>")`.
 */
function rewriteHas(source: string): string {
  const mask = stringMask(source);
  let out = "";
  let i = 0;
  while (i < source.length) {
    const isCall = !mask[i] && source.startsWith("has(", i) && !/[A-Za-z0-9_.]/.test(source[i - 1] ?? "");
    if (!isCall) {
      out += source[i++];
      continue;
    }
    let depth = 0;
    let j = i + 3;
    for (; j < source.length; j++) {
      if (mask[j]) continue;
      if (source[j] === "(" || source[j] === "[") depth++;
      else if (source[j] === ")" || source[j] === "]") depth--;
      if (depth === 0) break;
    }
    const arg = rewriteHas(source.slice(i + 4, j)).trim();
    const field = /\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(arg);
    const chain = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(arg);
    out += field && !chain ? `k8sHas(${arg.slice(0, field.index)}, "${field[1]}")` : `has(${arg})`;
    i = j + 1;
  }
  return out;
}

/** True when the expression reads `oldSelf` (outside string literals). */
export function isTransitionRule(expression: string): boolean {
  let found = false;
  rewriteOutsideStrings(expression, (code) => {
    if (/\boldSelf\b/.test(code)) found = true;
    return code;
  });
  return found;
}

// Go's time.ParseDuration, which Kubernetes' duration() uses: a signed sequence of decimals with
// units, or a bare 0. cel-js refuses "0" and accepts a unit without a number ("s").
const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;

function goDuration(s: string): string {
  if (/^[-+]?0$/.test(s)) return "0s";
  if (!GO_DURATION.test(s)) throw new Error(`time: invalid duration "${s}"`);
  return s.replace(/μs/g, "us");
}

function buildRuntime(cel: CelModule): CelRuntime {
  // The built-in duration(), reached through a program, after Go's parsing rules.
  const builtin: { duration?: (vars: Record<string, unknown>) => unknown } = {};
  const env = new cel.Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false })
    .registerType("k8s.Unknown", UnknownValue)
    .registerType("kubernetes.URL", KubeUrl)
    .registerOperator("k8s.Unknown == dyn", () => {
      throw new Error(UNKNOWN_ERROR);
    })
    // The built-in `matches` compiles its pattern as a JavaScript RegExp; Kubernetes uses RE2.
    .registerFunction("string.k8sMatches(string): bool", (s: string, pattern: string) => re2ToRegExp(pattern).test(s))
    .registerFunction("k8sHas(dyn, string): bool", (target: unknown, field: string) => {
      if (target instanceof Map) return target.has(field);
      if (target !== null && typeof target === "object" && !(target instanceof UnknownValue)) return Object.prototype.hasOwnProperty.call(target, field);
      throw new Error(target instanceof UnknownValue ? UNKNOWN_ERROR : `has(): no field ${field} on ${typeof target}`);
    })
    .registerFunction("k8sDuration(string): google.protobuf.Duration", (s: string) => builtin.duration?.({ s: goDuration(s) }))
    .registerFunction("isURL(string): bool", (s: string) => isKubeUrl(s))
    .registerFunction("url(string): kubernetes.URL", (s: string) => parseKubeUrl(s))
    .registerFunction("kubernetes.URL.getScheme(): string", (u: KubeUrl) => u.scheme)
    .registerFunction("kubernetes.URL.getHost(): string", (u: KubeUrl) => u.url.host)
    .registerFunction("kubernetes.URL.getHostname(): string", (u: KubeUrl) => u.url.hostname)
    .registerFunction("kubernetes.URL.getPort(): string", (u: KubeUrl) => u.url.port)
    .registerFunction("kubernetes.URL.getEscapedPath(): string", (u: KubeUrl) => u.url.pathname)
    .registerFunction("kubernetes.URL.getQuery(): map", (u: KubeUrl) => {
      const query = new Map<string, string[]>();
      for (const [k, v] of u.url.searchParams) query.set(k, [...(query.get(k) ?? []), v]);
      return query;
    });

  builtin.duration = env.parse("duration(s)");
  const programs = new Map<string, CompiledRule>();

  const compile = (expression: string): CompiledRule => {
    let compiled = programs.get(expression);
    if (compiled) return compiled;
    if (isTransitionRule(expression)) {
      compiled = { kind: "transition" };
    } else {
      try {
        const source = rewriteHas(rewriteOutsideStrings(expression, (code) => code.replace(/\.matches\(/g, ".k8sMatches(").replace(/(^|[^A-Za-z0-9_.])duration\(/g, "$1k8sDuration(")));
        const program = env.parse(source);
        const checked = program.check();
        compiled = checked.valid ? { kind: "program", run: (vars) => program(vars) } : { kind: "unsupported", reason: firstLine(checked.error?.message) };
      } catch (e) {
        compiled = { kind: "unsupported", reason: firstLine((e as Error).message) };
      }
    }
    programs.set(expression, compiled);
    return compiled;
  };

  const evaluate = (rule: CompiledRule, self: unknown): RuleOutcome => {
    if (rule.kind !== "program") return rule.kind === "transition" ? { status: "transition" } : { status: "unsupported", reason: rule.reason };
    try {
      const result = rule.run({ self });
      if (typeof result !== "boolean") return { status: "unsupported", reason: `the rule returned ${typeof result}, not a bool` };
      return result ? { status: "pass" } : { status: "fail" };
    } catch (e) {
      const message = firstLine((e as Error).message);
      if (message.includes(UNKNOWN_ERROR) || message.includes("k8s.Unknown")) return { status: "undecided" };
      // Kubernetes type-checks rules when the CRD is created, so an overload error here is a
      // gap of this evaluator, not of the object.
      if (/no matching overload|Unknown variable|not supported/i.test(message)) return { status: "unsupported", reason: message };
      // Anything else (no such key, index out of range, a bad duration) fails on the API server too.
      return { status: "fail", error: message };
    }
  };

  const message = (expression: string, self: unknown): string | undefined => {
    const compiled = compile(expression);
    if (compiled.kind !== "program") return undefined;
    try {
      const value = compiled.run({ self });
      return typeof value === "string" && value !== "" ? value : undefined;
    } catch {
      return undefined;
    }
  };

  return { compile, evaluate, message };
}

function firstLine(message: string | undefined): string {
  return (message ?? "unknown error").split("\n")[0];
}

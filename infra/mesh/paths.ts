/**
 * How a catalog route path (a prefix, possibly with `{param}` segments) is matched, shared by the
 * mesh (VirtualService, AuthorizationPolicy) and the gateway (HTTPRoute). Pure.
 */

export type PathMatch = { kind: "prefix"; value: string } | { kind: "regex"; value: string };

const PARAM = /\{[^/{}]+\}/g;

export function isTemplated(path: string): boolean {
  return path.includes("{");
}

/** The literal part of a path before its first parameter. */
export function literalPrefix(path: string): string {
  const i = path.indexOf("{");
  return i < 0 ? path : path.slice(0, i);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
}

/**
 * A plain path matches as a prefix; a templated one as an RE2 regex where each parameter is one
 * segment, followed by nothing or a sub-path (the catalog's paths are prefixes).
 */
export function pathMatch(path: string): PathMatch {
  if (!isTemplated(path)) return { kind: "prefix", value: path };
  const parts = path.split(PARAM).map(escapeRegex);
  return { kind: "regex", value: `^${parts.join("[^/]+")}(/.*)?$` };
}

/**
 * Sort key for first-match routers (VirtualService, Kong): a longer literal prefix is more
 * specific, so `/orders/{id}` (literal `/orders/`) is tried before `/orders`.
 */
export function bySpecificity<T extends { path: string; method: string; name?: string; route?: string }>(a: T, b: T): number {
  const la = literalPrefix(a.path).length;
  const lb = literalPrefix(b.path).length;
  if (la !== lb) return lb - la;
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  return `${a.method} ${a.path}`.localeCompare(`${b.method} ${b.path}`);
}

/**
 * AuthorizationPolicy `paths` (exact, `prefix*` or `*suffix` only): a plain prefix becomes the
 * path itself and its sub-paths; a templated path everything under its literal prefix.
 */
export function authorizationPaths(path: string): string[] {
  if (isTemplated(path)) return [`${literalPrefix(path)}*`];
  const trimmed = path.replace(/\/$/, "");
  return trimmed === "" ? ["/*"] : [trimmed, `${trimmed}/*`];
}

/**
 * RE2 patterns (what Kubernetes uses for OpenAPI `pattern` and CEL `matches`) as JavaScript
 * RegExps. The syntax differs in a few places the CRDs use: inline flags (`(?i)`), `\z`/`\A`,
 * named groups `(?P<n>…)` and POSIX classes. Node 20 has no inline flag groups, so a `(?i)`
 * anywhere makes the whole pattern case-insensitive: it can accept slightly more than RE2, never
 * less, so it never invents a violation.
 */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  digit: "0-9",
  lower: "a-z",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

const cache = new Map<string, RegExp>();

/** The pattern as a RegExp (cached); throws when even the translation is not a valid RegExp. */
export function re2ToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  const flags = new Set<string>();
  let source = pattern.replace(/\(\?([imsU]+)\)/g, (_, f: string) => {
    for (const c of f) if (c !== "U") flags.add(c);
    return "";
  });
  source = source
    .replace(/\(\?([imsU]+):/g, (_, f: string) => {
      for (const c of f) if (c !== "U") flags.add(c);
      return "(?:";
    })
    .replace(/\(\?P</g, "(?<")
    .replace(/\\z/g, "$(?![\\s\\S])")
    .replace(/\\A/g, "^")
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => (POSIX_CLASSES[name] && !neg ? POSIX_CLASSES[name] : m));
  // RE2 `$` without the m flag means end of text, as in JavaScript.
  re = new RegExp(source, [...flags].sort().join(""));
  cache.set(pattern, re);
  return re;
}

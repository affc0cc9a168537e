/**
 * Bounded reading of untrusted documents (stack files, catalogs, plan and export files, policy
 * config): a size limit before reading, a nesting limit before parsing, and for YAML a limit on
 * what aliases expand to. Every refusal is a ValidationError naming the file, the limit and what
 * was found, in well under a second; nothing here recurses on the input's depth.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ValidationError } from "../validation/schema";

export interface InputLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Deepest nesting of mappings and lists. */
  maxDepth: number;
  /** Most values (scalars, mappings, lists) in the document once YAML aliases are expanded. */
  maxValues: number;
  /** Most alias uses (`*name`) in a YAML document. */
  maxAliases: number;
}

/** Stack files, catalogs and charts' values: hand-written, small. */
export const CONFIG_LIMITS: InputLimits = { maxBytes: 2 * 1024 * 1024, maxDepth: 64, maxValues: 200_000, maxAliases: 200 };
/** Plans and `pulumi stack export` files: machine-written, can be large, never deep. */
export const DOCUMENT_LIMITS: InputLimits = { maxBytes: 256 * 1024 * 1024, maxDepth: 200, maxValues: 20_000_000, maxAliases: 0 };

/** How a file is named in errors: relative to the working directory when inside it. */
export function shownPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

const refuse = (file: string, where: string, expected: string, found: string) => new ValidationError(file, [{ path: where, expected, found }]);

/** Reads a regular file of at most `maxBytes` as UTF-8. */
export function readTextFile(file: string, maxBytes: number, kind = "file", shown = shownPath(file)): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw refuse(shown, "(file)", `a readable ${kind}`, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  if (!stat.isFile()) throw refuse(shown, "(file)", `a readable ${kind}`, stat.isDirectory() ? "a directory" : "not a regular file");
  if (stat.size > maxBytes) throw refuse(shown, "(file)", `a ${kind} of at most ${formatBytes(maxBytes)}`, `${formatBytes(stat.size)}`);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    throw refuse(shown, "(file)", `a readable ${kind}`, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;
}

/**
 * Deepest `{`/`[` nesting of JSON text, scanning at most to `limit + 1` (strings skipped).
 * JSON.parse itself copes with any depth; what reads the result afterwards may not.
 */
export function jsonNestingDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Parses JSON text nested at most `limits.maxDepth` deep. */
export function parseJson(text: string, file: string, limits: Pick<InputLimits, "maxDepth"> = DOCUMENT_LIMITS): unknown {
  const depth = jsonNestingDepth(text, limits.maxDepth);
  if (depth > limits.maxDepth) throw refuse(file, "(document)", `JSON nested at most ${limits.maxDepth} levels deep`, `more than ${limits.maxDepth} levels`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw refuse(file, "(document)", "valid JSON", (e as Error).message);
  }
}

/**
 * Counts the values of a loaded document as a reader would visit them: an aliased subtree counts
 * each time it is referenced (that is what an alias bomb multiplies). Iterative; stops at the limit.
 */
export function expandedValueCount(doc: unknown, limit: number): number {
  const stack: unknown[] = [doc];
  let count = 0;
  while (stack.length) {
    const v = stack.pop();
    if (++count > limit) return count;
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    else if (v !== null && typeof v === "object" && !(v instanceof Date)) for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k]);
  }
  return count;
}

/** Parses one YAML document within the limits (nesting, alias uses, expanded size). */
export function parseYaml(text: string, file: string, limits: InputLimits = CONFIG_LIMITS): unknown {
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file, maxDepth: limits.maxDepth, maxAliases: limits.maxAliases });
  } catch (e) {
    const first = (e as Error).message.split("\n")[0];
    if (/exceeded maxAliases/.test(first)) throw refuse(file, "(document)", `at most ${limits.maxAliases} YAML alias uses (*name)`, `more (${first})`);
    if (/exceeded maxDepth/.test(first)) throw refuse(file, "(document)", `YAML nested at most ${limits.maxDepth} levels deep`, `more (${first})`);
    throw refuse(file, "(document)", "valid YAML", first);
  }
  const n = expandedValueCount(doc, limits.maxValues);
  if (n > limits.maxValues) {
    throw refuse(file, "(document)", `at most ${limits.maxValues} values once YAML aliases are expanded`, `more than ${limits.maxValues} (an alias bomb?)`);
  }
  return doc;
}

/** Reads and parses a YAML file within the limits. */
export function readYamlFile(file: string, limits: InputLimits = CONFIG_LIMITS, shown = shownPath(file)): unknown {
  return parseYaml(readTextFile(file, limits.maxBytes, "YAML file", shown), shown, limits);
}

/** Reads and parses a JSON file within the limits. */
export function readJsonFile(file: string, limits: InputLimits = DOCUMENT_LIMITS, shown = shownPath(file)): unknown {
  return parseJson(readTextFile(file, limits.maxBytes, "JSON file", shown), shown, limits);
}

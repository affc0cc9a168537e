/**
 * Where a violation lives in the repository: the line of the violating property in the source that
 * declares the resource (the declaration itself when the property is built elsewhere), the
 * values file of the chart for chart-rendered objects, and the component's class as a last resort.
 * Pure reads of the checkout; results are cached per file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import type { PlanResource } from "../../infra/plan/types";

export const REPO_ROOT = path.join(__dirname, "..", "..");

export interface SourceLocation {
  /** Repository-relative file. */
  file: string;
  line: number;
}

const fileCache = new Map<string, string[] | null>();

function linesOf(file: string, root: string): string[] | null {
  const key = path.join(root, file);
  if (!fileCache.has(key)) {
    try {
      fileCache.set(key, fs.readFileSync(key, "utf8").split("\n"));
    } catch {
      // A report on an export from another checkout may name files this one lacks.
      fileCache.set(key, null);
    }
  }
  return fileCache.get(key) ?? null;
}

function lineOf(file: string, pattern: RegExp, root: string): number {
  const idx = linesOf(file, root)?.findIndex((l) => pattern.test(l)) ?? -1;
  return idx + 1;
}

const COMPONENT = /^trademaster:([a-z0-9-]+):([A-Za-z0-9_]+)$/;

/** The component's source files: the one declaring its class first, then the rest of its folder. */
function componentFiles(component: string, root: string): { files: string[]; classLine: SourceLocation } | undefined {
  const m = COMPONENT.exec(component);
  if (!m) return undefined;
  const folder = path.join(root, "infra", m[1]);
  let files = [`infra/${m[1]}/index.ts`];
  try {
    files = [...new Set([...files, ...fs.readdirSync(folder).filter((f) => f.endsWith(".ts")).sort().map((f) => `infra/${m[1]}/${f}`)])];
  } catch {
    // Folder absent in this checkout.
  }
  const declaration = new RegExp(`class ${m[2]}\\b`);
  const owner = files.find((f) => lineOf(f, declaration, root) > 0);
  if (!owner) return { files, classLine: { file: files[0], line: 1 } };
  return { files: [owner, ...files.filter((f) => f !== owner)], classLine: { file: owner, line: lineOf(owner, declaration, root) } };
}

/** `trademaster:<folder>:<Class>` -> the class declaration (infra/platform.ts for resources outside components). */
export function componentLocation(component: string | null, root = REPO_ROOT): SourceLocation {
  const found = component ? componentFiles(component, root) : undefined;
  if (found) return found.classLine;
  return { file: "infra/platform.ts", line: Math.max(1, lineOf("infra/platform.ts", /export function definePlatform/, root)) };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** How source code declares a resource of a type: `new aws.rds.Instance(`, `kind: "Deployment"`, ... */
export function declarationPattern(type: string): RegExp | undefined {
  const m = /^([a-z0-9-]+):([^:]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m) return undefined;
  const [, pkg, mod, cls] = m;
  if (pkg === "kubernetes") return new RegExp(`kind:\\s*"${escape(cls)}"|\\.${escape(cls)}\\(`);
  const moduleName = mod.split("/")[0];
  const qualified = moduleName === "index" ? `${pkg}\\.${escape(cls)}` : `${pkg}\\.${escape(moduleName)}\\.${escape(cls)}`;
  return new RegExp(`new\\s+${qualified}\\(`);
}

/** Property names of a path, most specific first: `a.b[0].c` -> c, b, a; `annotations["x/y"]` -> x/y, annotations. */
export function pathKeys(propertyPath: string): string[] {
  const keys = [...propertyPath.matchAll(/\["([^"]+)"\]|([A-Za-z_$][\w$-]*)/g)].map((m) => m[1] ?? m[2]);
  return keys.reverse();
}

/**
 * Index of the last line of the declaration starting at `start` (bracket depth): the `new X(...)`
 * call, or, for a `kind: "X"` line inside an object literal, the rest of that object.
 */
function spanEnd(lines: string[], start: number, insideObject: boolean): number {
  let depth = 0;
  let opened = false;
  for (let i = start; i < lines.length; i++) {
    for (const ch of lines[i]) {
      if (ch === "(" || ch === "{" || ch === "[") {
        depth++;
        opened = true;
      } else if (ch === ")" || ch === "}" || ch === "]") depth--;
      if (depth < 0) return i;
    }
    if (!insideObject && opened && depth <= 0) return i;
  }
  return lines.length - 1;
}

function keyPattern(key: string): RegExp {
  return new RegExp(`(^|[\\s{,(])(${escape(key)}|"${escape(key)}"|'${escape(key)}')\\s*:`);
}

/**
 * The line of the property (or its nearest enclosing property) in the resource's declaration. A
 * type declared in several places (a deny-all and an allow AuthorizationPolicy) is located at the
 * declaration that sets the most specific key of the path; without one, at the first declaration.
 */
function inDeclaration(files: string[], type: string, propertyPath: string | undefined, root: string): SourceLocation | undefined {
  const decl = declarationPattern(type);
  if (!decl) return undefined;
  const spans: Array<{ file: string; lines: string[]; start: number; end: number }> = [];
  for (const file of files) {
    const lines = linesOf(file, root);
    if (!lines) continue;
    lines.forEach((l, start) => {
      if (decl.test(l)) spans.push({ file, lines, start, end: spanEnd(lines, start, /kind:\s*"/.test(l)) });
    });
  }
  if (spans.length === 0) return undefined;
  for (const key of propertyPath ? pathKeys(propertyPath) : []) {
    const re = keyPattern(key);
    for (const { file, lines, start, end } of spans) {
      for (let i = start; i <= end; i++) if (re.test(lines[i])) return { file, line: i + 1 };
    }
  }
  return { file: spans[0].file, line: spans[0].start + 1 };
}

let chartFolders: Map<string, string> | undefined;

/** `<chart>@<version>` -> charts/<folder> (charts/*\/chart.yaml). */
function chartFolderIndex(root: string): Map<string, string> {
  if (chartFolders) return chartFolders;
  chartFolders = new Map();
  try {
    for (const folder of fs.readdirSync(path.join(root, "charts")).sort()) {
      const pin = yaml.load(fs.readFileSync(path.join(root, "charts", folder, "chart.yaml"), "utf8")) as { chart?: unknown; version?: unknown } | undefined;
      if (typeof pin?.chart === "string") chartFolders.set(`${pin.chart}@${String(pin.version)}`, `charts/${folder}`);
    }
  } catch {
    // No charts folder in this checkout.
  }
  return chartFolders;
}

/** The Chart a rendered object comes from (nearest helm.sh Chart ancestor), if any. */
function chartOf(r: PlanResource, byUrn: Map<string, PlanResource>): PlanResource | undefined {
  let cur = r.parent ? byUrn.get(r.parent) : undefined;
  for (let guard = 0; cur && guard < 100; guard++) {
    if (/^kubernetes:helm\.sh\/v\d+:Chart$/.test(cur.type)) return cur;
    cur = cur.parent ? byUrn.get(cur.parent) : undefined;
  }
  return undefined;
}

/** Chart-rendered objects: the chart's values file, at the first key of the path it sets. */
function inChartValues(chart: PlanResource, propertyPath: string | undefined, root: string): SourceLocation | undefined {
  const name = String(chart.inputs.chart ?? "").split("/").pop();
  const folder = chartFolderIndex(root).get(`${name}@${String(chart.inputs.version)}`);
  if (!folder) return undefined;
  const file = `${folder}/values.yaml`;
  const lines = linesOf(file, root);
  if (!lines) return undefined;
  for (const key of propertyPath ? pathKeys(propertyPath) : []) {
    const idx = lines.findIndex((l) => new RegExp(`^\\s*${escape(key)}\\s*:`).test(l));
    if (idx >= 0) return { file, line: idx + 1 };
  }
  return { file, line: 1 };
}

/** Where to point a reviewer for a finding on `r` about `propertyPath`. */
export function violationLocation(r: PlanResource | undefined, propertyPath: string | undefined, byUrn: Map<string, PlanResource>, root = REPO_ROOT): SourceLocation {
  if (!r) return componentLocation(null, root);
  const chart = chartOf(r, byUrn);
  if (chart) return inChartValues(chart, propertyPath, root) ?? violationLocation(chart, undefined, byUrn, root);
  const files = r.component ? componentFiles(r.component, root)?.files : undefined;
  return (files && inDeclaration(files, r.type, propertyPath, root)) ?? componentLocation(r.component, root);
}

/**
 * The chart cache: the pinned charts as Helm would install them, so the plan can render them.
 * Layout (outside git; default `.cache/charts/`, or `TRADEMASTER_CHART_CACHE` / `--cache`):
 *
 * - `<chart>-<version>.tgz`: an archive fetched by `npm run charts -- pull` (`helm pull`), checked
 *   against the sha256 recorded in `charts/<name>/chart.yaml` when it was pulled and again each
 *   time the plan reads it;
 * - `<chart>-<version>/`: an unpacked chart directory (for example built from the chart's source at
 *   its release tag). Nothing vouches for its content: the plan says its digest was not verified.
 *
 * Archives are unpacked (with their subcharts) under `.unpacked/` so the values check can read
 * every values.yaml; rendering always uses the archive itself.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { runToolChecked } from "../io/spawn";
import { ValidationError } from "../validation/schema";
import { helmCommand } from "./helm";
import { chartFolders, loadChartPin, type ChartPin } from "./pinned";

export const CACHE_ENV = "TRADEMASTER_CHART_CACHE";
const DEFAULT_CACHE = path.join(__dirname, "..", "..", ".cache", "charts");

/** The cache directory: explicit argument, then `TRADEMASTER_CHART_CACHE`, then `.cache/charts`. */
export function chartCacheDir(explicit?: string): string {
  return path.resolve(explicit ?? process.env[CACHE_ENV] ?? DEFAULT_CACHE);
}

/** A pinned chart found in the cache. */
export interface CachedChart {
  /** What helm renders: the archive, or the unpacked directory. */
  renderPath: string;
  /** An unpacked tree (Chart.yaml, values.yaml, charts/<sub>/...) for reading values. */
  dir: string;
  /** `verified`: archive matches the pinned digest; `no-digest`: archive, nothing to compare; `directory`: unpacked dir. */
  integrity: "verified" | "no-digest" | "directory";
}

export function sha256File(file: string): string {
  return "sha256:" + crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

const cacheKey = (pin: ChartPin) => `${pin.chart}-${pin.version.replace(/^v/, "")}`;

/**
 * Finds a pin in the cache. An archive whose sha256 differs from the pin's digest is an error
 * (a changed upstream archive or a tampered cache), never silently rendered.
 */
export function findCachedChart(pin: ChartPin, folder: string, cacheDir: string): CachedChart | undefined {
  const key = cacheKey(pin);
  const archive = path.join(cacheDir, `${key}.tgz`);
  if (fs.existsSync(archive)) {
    const digest = sha256File(archive);
    if (pin.digest && digest !== pin.digest) {
      throw new ValidationError(path.join("charts", folder, "chart.yaml"), [
        { path: "digest", expected: `${pin.digest} (the pinned archive)`, found: `${digest} in ${archive}` },
      ]);
    }
    return { renderPath: archive, dir: unpackArchive(archive, path.join(cacheDir, ".unpacked", key), digest), integrity: pin.digest ? "verified" : "no-digest" };
  }
  const dir = path.join(cacheDir, key);
  if (fs.existsSync(path.join(dir, "Chart.yaml"))) return { renderPath: dir, dir, integrity: "directory" };
  return undefined;
}

/** Unpacks an archive and, recursively, the subchart archives in its charts/ (once per digest). */
function unpackArchive(archive: string, dest: string, digest: string): string {
  const stamp = path.join(dest, ".digest");
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest) return path.join(dest, fs.readdirSync(dest).find((n) => n !== ".digest") ?? "");
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  runToolChecked("tar", ["-xzf", archive, "-C", tmp]);
  const unpackSubcharts = (chartDir: string) => {
    const sub = path.join(chartDir, "charts");
    if (!fs.existsSync(sub)) return;
    for (const f of fs.readdirSync(sub)) {
      const p = path.join(sub, f);
      if (f.endsWith(".tgz")) {
        runToolChecked("tar", ["-xzf", p, "-C", sub]);
        fs.rmSync(p);
      }
    }
    for (const d of fs.readdirSync(sub)) if (fs.statSync(path.join(sub, d)).isDirectory()) unpackSubcharts(path.join(sub, d));
  };
  for (const d of fs.readdirSync(tmp)) unpackSubcharts(path.join(tmp, d));
  fs.writeFileSync(path.join(tmp, ".digest"), digest);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.renameSync(tmp, dest);
  return path.join(dest, fs.readdirSync(dest).find((n) => n !== ".digest") ?? "");
}

/**
 * What identifies a cached chart's content: the archive's sha256, or for a directory a hash of
 * every file's path, size and modification time (so an edited directory is re-rendered).
 */
export function chartFingerprint(c: CachedChart): string {
  if (c.integrity !== "directory") return sha256File(c.renderPath);
  const h = crypto.createHash("sha256");
  const visit = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else {
        const st = fs.statSync(p);
        h.update(`${path.relative(c.dir, p)}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  visit(c.dir);
  return "dir:" + h.digest("hex");
}

/**
 * A memo in the cache directory for results derived only from a chart's content and the render's
 * inputs (rendered objects, the values check), so an unchanged stack is not re-rendered.
 * Written atomically; a corrupt entry is recomputed.
 */
export function memoized<T>(cacheDir: string, kind: string, key: unknown, compute: () => T): T {
  const file = path.join(cacheDir, `.${kind}`, crypto.createHash("sha256").update(JSON.stringify(key)).digest("hex") + ".json");
  if (fs.existsSync(file)) {
    try {
      return JSON.parse(fs.readFileSync(file, "utf8")) as T;
    } catch {
      // recompute below
    }
  }
  const value = compute();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(value));
  fs.renameSync(tmp, file);
  return value;
}

export interface PullResult {
  folder: string;
  archive?: string;
  status: "verified" | "not verified" | "failed";
  detail: string;
}

/**
 * `helm pull`s one pin into the cache. The archive lands in a temporary directory inside the
 * cache and is moved into place only after its digest matched (atomic; a mismatch writes nothing).
 */
export function pullChart(folder: string, cacheDir: string): PullResult {
  const pin = loadChartPin(folder);
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, ".pull-"));
  try {
    const oci = pin.repository.startsWith("oci://");
    const args = oci
      ? ["pull", `${pin.repository.replace(/\/$/, "")}/${pin.chart}`, "--version", pin.version, "--destination", tmp]
      : ["pull", pin.chart, "--repo", pin.repository, "--version", pin.version, "--destination", tmp];
    try {
      runToolChecked(helmCommand(), args, { timeoutMs: 300_000 });
    } catch (e) {
      return { folder, status: "failed", detail: (e as Error).message };
    }
    const file = fs.readdirSync(tmp).find((f) => f.endsWith(".tgz"));
    if (!file) return { folder, status: "failed", detail: `helm pull wrote no archive for ${pin.chart} ${pin.version}` };
    const digest = sha256File(path.join(tmp, file));
    if (pin.digest && digest !== pin.digest) {
      return { folder, status: "failed", detail: `archive ${file} has ${digest}, charts/${folder}/chart.yaml pins ${pin.digest}: the upstream archive changed (not cached)` };
    }
    const dest = path.join(cacheDir, `${cacheKey(pin)}.tgz`);
    fs.renameSync(path.join(tmp, file), dest);
    return pin.digest
      ? { folder, archive: dest, status: "verified", detail: digest }
      : { folder, archive: dest, status: "not verified", detail: `charts/${folder}/chart.yaml has no digest; the archive is ${digest}` };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Pulls every pinned chart (or the named ones). */
export function pullCharts(cacheDir: string, only?: string[]): PullResult[] {
  const folders = chartFolders();
  const unknown = (only ?? []).filter((n) => !folders.includes(n));
  if (unknown.length) throw new ValidationError("command line", [{ path: "--chart", expected: `one of ${folders.join(", ")}`, found: unknown.join(", ") }]);
  return folders.filter((f) => !only?.length || only.includes(f)).map((f) => pullChart(f, cacheDir));
}

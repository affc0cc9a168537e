/**
 * `npm run charts -- pull [--cache dir] [--chart <folder>]...`
 *
 * Fetches every pinned chart (charts/<name>/chart.yaml) with `helm pull` into the chart cache
 * (default .cache/charts, or TRADEMASTER_CHART_CACHE / --cache) and checks each archive against
 * the sha256 digest of its pin: a mismatch is an error and nothing is cached for that chart; a
 * pin without a digest is cached and reported "not verified". Helm comes from HELM or PATH.
 *
 * Exit codes: 0 every chart cached; 1 a pull failed, a digest did not match, or bad flags.
 */
import * as fs from "node:fs";
import { ValidationError, type Issue } from "../validation/schema";
import { chartCacheDir, pullCharts } from "./cache";
import { helmCommand, helmVersion } from "./helm";

export function parseChartsArgs(argv: string[]): { command: "pull" | "help"; cache?: string; charts: string[] } {
  const issues: Issue[] = [];
  const [command, ...rest] = argv;
  if (command === "--help" || command === "help" || command === undefined) return { command: "help", charts: [] };
  if (command !== "pull") issues.push({ path: "(command)", expected: "pull", found: `"${command}"` });
  let cache: string | undefined;
  const charts: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const v = rest[i + 1];
    if (flag !== "--cache" && flag !== "--chart") {
      issues.push({ path: flag, expected: "--cache <dir> or --chart <name>", found: `"${flag}"` });
      continue;
    }
    if (v === undefined || v.startsWith("--")) issues.push({ path: flag, expected: "a value", found: "nothing" });
    else if (flag === "--cache") cache = v;
    else charts.push(v);
    i++;
  }
  if (issues.length) throw new ValidationError("command line", issues);
  return { command: "pull", cache, charts };
}

export function main(argv: string[]): number {
  const opts = parseChartsArgs(argv);
  if (opts.command === "help") {
    console.log(fs.readFileSync(__filename, "utf8").split("*/")[0].replace(/^\/\*\*?/, "").replace(/^ \* ?/gm, ""));
    return 0;
  }
  const version = helmVersion();
  if (!version) {
    console.error(`error: no helm found (${helmCommand()}): put Helm 4 on PATH or set HELM`);
    return 1;
  }
  const dir = chartCacheDir(opts.cache);
  console.log(`Pulling pinned charts into ${dir} with helm ${version}`);
  let failed = 0;
  for (const r of pullCharts(dir, opts.charts)) {
    if (r.status === "failed") failed++;
    console.log(`${r.status === "failed" ? "FAIL" : r.status === "verified" ? "ok  " : "warn"} ${r.folder}: ${r.status}: ${r.detail}`);
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}

/**
 * Benchmark of the command users run: `npm run plan -- --stack <s>` as a whole cold process.
 *
 * For local, staging, prod, and prod with synthetic catalogs of 10, 50, 100 and 200 services, it
 * times the command (a warm-up run, then the median of BENCH_RUNS runs) and, interleaved in the
 * same run, the lower-bound program (bench/lower-bound.ts: the same provider packages and the same
 * resources registered under the same mocks, nothing else). Each run is measured by
 * /usr/bin/time: wall, CPU (user + sys of the whole process tree), peak RSS (largest process).
 * It prints the ratio to the lower bound (median of paired per-run ratios) and the fitted cost per
 * added service (least squares over prod and the synthetic catalogs).
 *
 *   npm run bench:plan                                  all of the above
 *   npm run bench:plan -- --baseline 48b20f6            also the command of a git ref, interleaved
 *   npm run bench:plan -- --sizes 10,50 --runs 3        fewer cases
 *
 * With --baseline, the ref is exported (git archive) to a temp dir sharing node_modules and its own
 * `npm run plan` is timed in the same rounds, so both see the same machine load. Wall time on a
 * shared machine is noisy: the load average is printed before and after; compare CPU too.
 * The requests per stack (sidecars counted) are computed from the plan.json the command wrote.
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { stackFootprint } from "../infra/plan/footprint";
import { readPlanFile } from "../infra/plan/read";
import { loadStackConfig } from "../infra/plan/run";

const ROOT = path.join(__dirname, "..");
const STACKS = ["local", "staging", "prod"] as const;
const LOCAL_BUDGET = { cpuMillis: 4000, memoryMiB: 8192 };
const LOWER_BOUND = path.join(ROOT, "dist", "bench-lower-bound.js");

type Doc = { services: Array<Record<string, unknown>> } & Record<string, unknown>;

/** A catalog of `n` services: the seven of `catalogFile`, then copies with their own names and paths. */
export function syntheticCatalog(n: number, catalogFile = path.join(ROOT, "infra", "catalog", "catalog.yaml"), dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-bench-"))): string {
  const doc = yaml.load(fs.readFileSync(catalogFile, "utf8")) as Doc;
  const base = doc.services;
  const services = [...base];
  for (let i = base.length; i < n; i++) {
    const src = structuredClone(base[i % base.length]) as Record<string, unknown> & { name: string; routes: Array<{ path: string; name: string }>; produces?: string[] };
    src.name = `${src.name}-${i}`.slice(0, 50);
    delete src.issuesTokens;
    src.routes = src.routes.map((r) => ({ ...r, path: r.path.replace("/api/v1/", `/api/v1/x${i}/`).replace("/internal/v1/", `/internal/v1/x${i}/`).replace("/ws/v1/", `/ws/v1/x${i}/`) }));
    services.push(src);
  }
  doc.services = services.slice(0, n);
  const file = path.join(dir, `catalog-${n}.yaml`);
  fs.writeFileSync(file, yaml.dump(doc));
  return file;
}

interface Sample {
  wallS: number;
  cpuS: number;
  rssMiB: number;
}

const HAS_TIME = fs.existsSync("/usr/bin/time");

/** Runs a command to completion and measures it (wall always; CPU and RSS with /usr/bin/time). */
function measure(cmd: string, args: string[], cwd: string): Sample {
  const report = path.join(os.tmpdir(), `tm-bench-time-${process.pid}.txt`);
  const t0 = process.hrtime.bigint();
  const r = HAS_TIME
    ? childProcess.spawnSync("/usr/bin/time", ["-o", report, "-f", "%e %U %S %M", cmd, ...args], { cwd, encoding: "utf8" })
    : childProcess.spawnSync(cmd, args, { cwd, encoding: "utf8" });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status}:\n${r.stderr || r.stdout}`);
  if (!HAS_TIME) return { wallS, cpuS: NaN, rssMiB: NaN };
  const [, user, sys, rssKiB] = fs.readFileSync(report, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
  return { wallS, cpuS: user + sys, rssMiB: rssKiB / 1024 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Least-squares slope and intercept of y over x. */
function fit(points: Array<[number, number]>): { slope: number; intercept: number } {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const slope = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return { slope, intercept: my - slope * mx };
}

interface Case {
  label: string;
  stack: string;
  services: number;
  catalog?: (tree: string) => string;
}

interface Tree {
  name: string;
  dir: string;
}

interface Result {
  resources: number;
  services: number;
  runs: Record<string, Sample[]>;
  ratios: number[];
}

function parseArgs(argv: string[]) {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    runs: Number(get("--runs") ?? process.env.BENCH_RUNS ?? 5),
    sizes: (get("--sizes") ?? "10,50,100,200").split(",").filter(Boolean).map(Number),
    stacks: (get("--stacks") ?? STACKS.join(",")).split(",").filter(Boolean),
    baseline: get("--baseline"),
  };
}

/** Exports a git ref to a temp dir that shares this checkout's node_modules. */
function exportRef(ref: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-bench-baseline-"));
  const tar = path.join(dir, "tree.tar");
  for (const [cmd, args, cwd] of [
    ["git", ["archive", "--format=tar", "-o", tar, ref], ROOT],
    ["tar", ["-xf", tar, "-C", dir], dir],
  ] as const) {
    const r = childProcess.spawnSync(cmd, [...args], { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  }
  fs.rmSync(tar);
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

function buildLowerBound(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  esbuild.buildSync({ entryPoints: [path.join(ROOT, "bench", "lower-bound.ts")], outfile: LOWER_BOUND, bundle: true, packages: "external", platform: "node", format: "cjs", target: "node20", logLevel: "warning" });
}

const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
const s = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "n/a").padStart(6);

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const trees: Tree[] = [{ name: "this tree", dir: ROOT }];
  if (opts.baseline) trees.push({ name: opts.baseline, dir: exportRef(opts.baseline) });
  const build = childProcess.spawnSync("node", ["scripts/build.mjs"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  buildLowerBound();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tm-bench-"));
  const cases: Case[] = [
    ...opts.stacks.map((stack) => ({ label: stack, stack, services: 7 })),
    ...opts.sizes.map((n) => ({
      label: `prod, ${n} services`,
      stack: "prod",
      services: n,
      catalog: (tree: string) => syntheticCatalog(n, path.join(tree, "infra", "catalog", "catalog.yaml"), fs.mkdtempSync(path.join(work, "catalog-"))),
    })),
  ];

  console.log(`Plan command benchmark: node ${process.version}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; a warm-up, then ${opts.runs} runs per case`);
  console.log(`load average at start: ${loadavg()}${HAS_TIME ? "" : " (no /usr/bin/time: wall only)"}\n`);
  const results = new Map<string, Result>();
  for (const c of cases) {
    const commands = trees.map((tree, i) => {
      const out = path.join(work, `out-${i}`);
      const catalogArgs = c.catalog ? ["--catalog", c.catalog(tree.dir)] : [];
      return { name: tree.name, cwd: tree.dir, args: ["run", "--silent", "plan", "--", "--stack", c.stack, ...catalogArgs, "--out", out, "--quiet"], planFile: path.join(out, "plan.json") };
    });
    const result: Result = { resources: 0, services: c.services, runs: Object.fromEntries([...commands.map((x) => [x.name, []]), ["lower bound", []]]), ratios: [] };
    for (let run = 0; run <= opts.runs; run++) {
      const samples = commands.map((x) => measure("npm", x.args, x.cwd));
      const lower = measure("node", [LOWER_BOUND, commands[0].planFile], ROOT);
      if (run === 0) continue; // warm-up: file cache, dist build check
      commands.forEach((x, i) => result.runs[x.name].push(samples[i]));
      result.runs["lower bound"].push(lower);
      result.ratios.push(samples[0].wallS / lower.wallS);
    }
    result.resources = readPlanFile(commands[0].planFile).resources.length;
    results.set(c.label, result);
    const line = Object.entries(result.runs)
      .map(([name, xs]) => `${name}: ${s(median(xs.map((x) => x.wallS)))} s wall ${s(median(xs.map((x) => x.cpuS)))} s CPU ${Math.max(...xs.map((x) => x.rssMiB)).toFixed(0)} MiB`)
      .join(" | ");
    console.log(`${c.label.padEnd(20)} ${String(result.resources).padStart(5)} resources | ${line} | x${median(result.ratios).toFixed(2)} of lower bound`);
  }

  console.log(`\n${"case".padEnd(20)} resources  ${trees.map((t) => `${t.name.slice(0, 10).padStart(10)} wall    CPU  peak RSS`).join("  ")}  lower bound wall    CPU   ratio`);
  for (const [label, r] of results) {
    const cols = [...trees.map((t) => t.name), "lower bound"].map((name) => {
      const xs = r.runs[name];
      return `${s(median(xs.map((x) => x.wallS)))} s ${s(median(xs.map((x) => x.cpuS)))} s ${Math.max(...xs.map((x) => x.rssMiB)).toFixed(0).padStart(5)} MiB`;
    });
    console.log(`${label.padEnd(20)} ${String(r.resources).padStart(9)}  ${cols.join("  ")}  x${median(r.ratios).toFixed(2)}`);
  }

  const scaling = [...results].filter(([label], i) => i >= opts.stacks.length || label === "prod").map(([, r]) => r);
  if (scaling.length >= 2) {
    console.log("\ncost per added service (least squares over prod and the synthetic catalogs):");
    for (const name of [...trees.map((t) => t.name), "lower bound"]) {
      const w = fit(scaling.map((r) => [r.services, median(r.runs[name].map((x) => x.wallS))]));
      const c = fit(scaling.map((r) => [r.services, median(r.runs[name].map((x) => x.cpuS))]));
      console.log(`  ${name.padEnd(12)} ${(w.slope * 1000).toFixed(0).padStart(5)} ms wall (intercept ${w.intercept.toFixed(2)} s), ${(c.slope * 1000).toFixed(0).padStart(5)} ms CPU`);
    }
  }
  console.log(`\nload average at end: ${loadavg()}`);

  console.log("\nrequests per stack (sidecars counted)     CPU        memory");
  for (const stack of opts.stacks) {
    const out = path.join(work, "footprint", stack);
    const r = childProcess.spawnSync("npm", ["run", "--silent", "plan", "--", "--stack", stack, "--out", out, "--quiet"], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`plan ${stack} failed: ${r.stderr}`);
    const f = stackFootprint(readPlanFile(path.join(out, "plan.json")), loadStackConfig(stack));
    const within = f.cpuMillis <= LOCAL_BUDGET.cpuMillis && f.memoryMiB <= LOCAL_BUDGET.memoryMiB;
    const budget = stack === "local" ? `  (budget 4 vCPU / 8 GiB: ${within ? "within" : "EXCEEDED"})` : "";
    console.log(`${stack.padEnd(9)}                           ${(f.cpuMillis / 1000).toFixed(2).padStart(6)} vCPU ${(f.memoryMiB / 1024).toFixed(2).padStart(7)} GiB${budget}`);
    if (stack === "local") {
      for (const i of f.items.slice(0, 12)) console.log(`    ${i.source.padEnd(58)} ${i.cpuMillis.toFixed(0).padStart(6)} m ${i.memoryMiB.toFixed(0).padStart(6)} MiB`);
      if (f.chartsWithoutRequests.length) console.log(`    charts with no requests in their values: ${f.chartsWithoutRequests.join(", ")}`);
    }
  }
  fs.rmSync(work, { recursive: true, force: true });
}

if (require.main === module) main();

/**
 * Benchmark of the offline plan. Prints:
 * - wall time per stack (after a warm-up run), median and min of several runs;
 * - wall time for synthetic catalogs of 10, 50 and 100 services (prod), and the cost per service;
 * - each stack's total CPU and memory requests from the plan (sidecars counted), against the
 *   local budget of 4 vCPU / 8 GiB.
 * Run: `npm run bench`. Targets: prod plan < 2 s after warm-up; cost per service flat.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { DEFAULT_CATALOG } from "../infra/catalog/load";
import { stackFootprint } from "../infra/plan/footprint";
import { loadStackConfig, runPlan } from "../infra/plan/run";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const STACKS = ["local", "staging", "prod"] as const;
const LOCAL_BUDGET = { cpuMillis: 4000, memoryMiB: 8192 };

type Doc = { services: Array<Record<string, unknown>> } & Record<string, unknown>;

/** A catalog of `n` services: the shipped seven, then copies with their own names and paths. */
export function syntheticCatalog(n: number): string {
  const doc = yaml.load(fs.readFileSync(DEFAULT_CATALOG, "utf8")) as Doc;
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
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tm-bench-")), `catalog-${n}.yaml`);
  fs.writeFileSync(file, yaml.dump(doc));
  return file;
}

async function time(fn: () => Promise<unknown>, runs = RUNS): Promise<{ median: number; min: number }> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], min: ms[0] };
}

const fmt = (n: number) => n.toFixed(0).padStart(6);

async function main() {
  console.log(`Offline plan benchmark (node ${process.version}, ${os.cpus().length} cores, ${RUNS} runs each after warm-up)\n`);
  await runPlan({ stack: "local" });

  console.log("stack      resources   median ms   min ms");
  for (const stack of STACKS) {
    const plan = await runPlan({ stack });
    const t = await time(() => runPlan({ stack }));
    console.log(`${stack.padEnd(9)} ${String(plan.summary.total).padStart(10)}   ${fmt(t.median)}     ${fmt(t.min)}`);
  }

  console.log("\nsynthetic catalog (prod)   resources   median ms   ms/service");
  for (const n of [10, 50, 100]) {
    const file = syntheticCatalog(n);
    const plan = await runPlan({ stack: "prod", catalogFile: file });
    const t = await time(() => runPlan({ stack: "prod", catalogFile: file }), Math.max(2, Math.floor(RUNS / 2)));
    console.log(`${String(n).padStart(4)} services            ${String(plan.summary.total).padStart(10)}   ${fmt(t.median)}     ${(t.median / n).toFixed(1).padStart(8)}`);
  }

  console.log("\nrequests per stack (sidecars counted)     CPU        memory");
  for (const stack of STACKS) {
    const plan = await runPlan({ stack });
    const config = loadStackConfig(stack);
    const f = stackFootprint(plan, config);
    const budget = stack === "local" ? `  (budget 4 vCPU / 8 GiB: ${f.cpuMillis <= LOCAL_BUDGET.cpuMillis && f.memoryMiB <= LOCAL_BUDGET.memoryMiB ? "within" : "EXCEEDED"})` : "";
    console.log(`${stack.padEnd(9)}                           ${(f.cpuMillis / 1000).toFixed(2).padStart(6)} vCPU ${(f.memoryMiB / 1024).toFixed(2).padStart(7)} GiB${budget}`);
    if (stack === "local") {
      for (const i of f.items.slice(0, 12)) console.log(`    ${i.source.padEnd(58)} ${fmt(i.cpuMillis)} m ${fmt(i.memoryMiB)} MiB`);
      if (f.chartsWithoutRequests.length) console.log(`    charts with no requests in their values: ${f.chartsWithoutRequests.join(", ")}`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

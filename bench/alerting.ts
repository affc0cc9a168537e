/**
 * Alerting figures:
 * - per stack: alert rules, and the modelled worst-case time to detect (scrape + threshold crossing
 *   + evaluation + `for` + Alertmanager group_wait) of a full outage, a traffic loss and a latency
 *   collapse of a critical service. Target: at most 5 minutes (the seed's MTTD);
 * - the size of the platform-health promtool file for 7, 50 and 200 services (it must grow linearly);
 * - with `--promtool`: wall time of the whole prod promtool suite (generated tests and the
 *   on-call scenarios, in two `promtool test rules` processes, as the test suite runs it);
 * - with `--npm-test`: wall time of the whole `npm test` (vitest run), one run.
 * Run: `npx tsx bench/alerting.ts [--promtool] [--npm-test]` (also part of `npm run bench`).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadCatalog } from "../infra/catalog/load";
import { PAGE_GROUP_WAIT_SECONDS } from "../infra/observability/alertmanager";
import { observabilityArtifacts } from "../infra/observability/artifacts";
import { criticalLatencyAlerts, trafficLossTimeToDetect, worstCaseTimeToDetect, type DetectionBreakdown } from "../infra/observability/detection";
import { platformHealthTestFile } from "../infra/observability/self-alerts";
import { catalogAlerts, ruleOptions } from "../infra/observability/slo";
import { loadStackConfig } from "../infra/plan/run";
import type { Catalog } from "../infra/catalog/schema";

const ROOT = path.join(__dirname, "..");

/** The shipped catalog grown to `n` services by renamed copies (in memory: only names matter here). */
function grownCatalog(n: number): Catalog {
  const c = loadCatalog();
  const base = c.services;
  return { ...c, services: Array.from({ length: n }, (_, i) => (i < base.length ? base[i] : { ...base[i % base.length], name: `${base[i % base.length].name}-${i}` })) };
}

function show(b: DetectionBreakdown): string {
  return `${b.totalSeconds} s (scrape ${b.scrapeSeconds} + crossing ${b.thresholdCrossingSeconds} + evaluation ${b.evaluationSeconds} + for ${b.forSeconds} + group_wait ${b.groupWaitSeconds})${b.totalSeconds <= 300 ? "" : "  EXCEEDS 5 min"}`;
}

/** Runs a command (argument array, no shell); resolves with its exit code and wall seconds. */
function timed(command: string, args: string[], cwd: string): Promise<{ code: number; wallS: number }> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, stdio: "ignore", shell: false });
    child.on("exit", (code) => resolve({ code: code ?? 1, wallS: Number(process.hrtime.bigint() - start) / 1e9 }));
  });
}

async function promtoolSuite(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-alert-bench-"));
  for (const [rel, text] of Object.entries(observabilityArtifacts({ config: loadStackConfig("prod"), catalog: loadCatalog() }))) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const oncallSrc = path.join(ROOT, "test", "observability", "promtool");
  fs.mkdirSync(path.join(dir, "oncall"));
  for (const f of fs.readdirSync(oncallSrc)) fs.copyFileSync(path.join(oncallSrc, f), path.join(dir, "oncall", f));
  const files = [...fs.readdirSync(path.join(dir, "promtool")).map((f) => `promtool/${f}`), ...fs.readdirSync(path.join(dir, "oncall")).map((f) => `oncall/${f}`)];
  const buckets: string[][] = [[], []];
  const sizes = [0, 0];
  for (const f of [...files].sort((a, b) => fs.statSync(path.join(dir, b)).size - fs.statSync(path.join(dir, a)).size)) {
    const i = sizes[0] <= sizes[1] ? 0 : 1;
    buckets[i].push(f);
    sizes[i] += fs.statSync(path.join(dir, f)).size;
  }
  const start = process.hrtime.bigint();
  const runs = await Promise.all(buckets.map((b) => timed("promtool", ["test", "rules", ...b], dir)));
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `\npromtool suite (prod, ${files.length} files in 2 processes): ${wall.toFixed(1)} s wall; per process ${runs.map((r) => `${r.wallS.toFixed(1)} s`).join(", ")}; exit ${runs.map((r) => r.code).join(", ")}; load average ${os.loadavg()[0].toFixed(1)}`,
  );
}

async function npmTest(): Promise<void> {
  const r = await timed("npx", ["vitest", "run"], ROOT);
  console.log(`\nnpm test (vitest run): ${r.wallS.toFixed(1)} s wall, exit ${r.code}; load average ${os.loadavg()[0].toFixed(1)}`);
}

async function main(): Promise<void> {
  const catalog = loadCatalog();
  console.log("stack      SLO alert rules   worst-case time to detect (critical service)");
  for (const stack of ["local", "staging", "prod"]) {
    const config = loadStackConfig(stack);
    const opts = ruleOptions(config);
    const alerts = catalogAlerts(catalog, opts);
    const outage = worstCaseTimeToDetect(alerts, opts, PAGE_GROUP_WAIT_SECONDS);
    const latency = worstCaseTimeToDetect(alerts, opts, PAGE_GROUP_WAIT_SECONDS, criticalLatencyAlerts);
    console.log(`${stack.padEnd(9)} ${String(alerts.length).padStart(15)}   full outage ${show(outage.breakdown)} [${outage.service}]`);
    console.log(`${"".padEnd(27)}traffic loss ${show(trafficLossTimeToDetect(opts, PAGE_GROUP_WAIT_SECONDS))}`);
    console.log(`${"".padEnd(27)}latency collapse ${show(latency.breakdown)} [${latency.service}]`);
  }
  console.log("\nplatform-health promtool file (prod)");
  const config = loadStackConfig("prod");
  for (const n of [7, 50, 200]) {
    const text = platformHealthTestFile(grownCatalog(n), config);
    console.log(`${String(n).padStart(4)} services: ${(Buffer.byteLength(text) / 1024).toFixed(1)} KB (${(Buffer.byteLength(text) / 1024 / n).toFixed(2)} KB/service)`);
  }
  if (process.argv.includes("--promtool")) await promtoolSuite();
  if (process.argv.includes("--npm-test")) await npmTest();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

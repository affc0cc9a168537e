/**
 * Runs the real promtool, amtool and Alertmanager on the generated artifacts and on the
 * hand-written on-call scenarios (test/observability/promtool/*.oncall.test.yaml). promtool
 * unit tests run in as few `promtool test rules` invocations as there are cores (2) per test.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLACEHOLDERS } from "../../infra/observability/alertmanager";
import { observabilityArtifacts } from "../../infra/observability/artifacts";
import { runTool, runToolChecked } from "../../infra/io/spawn";
import { contextFor, STACKS } from "./helpers";
import { startAlertmanager, type RunningAlertmanager } from "./alertmanager-server";

const ONCALL_DIR = path.join(__dirname, "promtool");
const TIMEOUT_MS = 115_000;

function writeArtifacts(stack: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `obs-${stack}-`));
  for (const [rel, text] of Object.entries(observabilityArtifacts(contextFor(stack)))) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** `promtool test rules <files>` without a shell; resolves with the exit code and output. */
function promtoolTest(files: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("promtool", ["test", "rules", ...files], { cwd, timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** Splits files into `n` buckets of about equal size (a proxy for promtool's work). */
function balance(files: string[], n: number): string[][] {
  const buckets = Array.from({ length: n }, () => ({ size: 0, files: [] as string[] }));
  for (const f of [...files].sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)) {
    const lightest = buckets.reduce((m, b) => (b.size < m.size ? b : m));
    lightest.files.push(f);
    lightest.size += fs.statSync(f).size;
  }
  return buckets.map((b) => b.files).filter((b) => b.length);
}

// ---------------------------------------------------------------------------------------------
// Independent truth for the clock: New York wall time from the tz database (Intl), and NYSE's
// published closures and early closes written out here, not read from the calendar module.

/** UTC epoch seconds of a New York wall time ("2026-11-27 13:00"). */
function newYork(local: string): number {
  const [d, t] = local.split(" ");
  const [y, mo, da] = d.split("-").map(Number);
  const [h, mi] = t.split(":").map(Number);
  for (const offsetHours of [4, 5]) {
    const utc = Date.UTC(y, mo - 1, da, h + offsetHours, mi);
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", hour: "2-digit", minute: "2-digit", day: "2-digit", hourCycle: "h23" })
        .formatToParts(new Date(utc))
        .map((p) => [p.type, p.value]),
    );
    if (Number(parts.hour) === h && Number(parts.minute) === mi && Number(parts.day) === da) return utc / 1000;
  }
  throw new Error(`not a New York wall time: ${local}`);
}

/** Regular session by the tz database: Mon-Fri 09:30-16:00 New York time. */
function regularSession(utcSeconds: number): boolean {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(utcSeconds * 1000))
      .map((p) => [p.type, p.value]),
  );
  const minutes = Number(parts.hour) * 60 + Number(parts.minute);
  return !["Sat", "Sun"].includes(parts.weekday) && minutes >= 570 && minutes < 960;
}

/** NYSE days as an on-call engineer checks them (EST and EDT), New York time → open? */
const NYSE_CHECKS: Array<[string, 0 | 1, string]> = [
  ["2026-12-02 10:00", 1, "an ordinary Wednesday (EST)"],
  ["2026-11-26 10:00", 0, "Thanksgiving (EST)"],
  ["2026-11-27 10:00", 1, "day after Thanksgiving, before the early close (EST)"],
  ["2026-11-27 12:59", 1, "day after Thanksgiving, last minute (EST)"],
  ["2026-11-27 13:00", 0, "day after Thanksgiving closes at 13:00 (EST)"],
  ["2026-11-27 15:00", 0, "day after Thanksgiving, afternoon (EST)"],
  ["2026-12-24 12:30", 1, "Christmas Eve morning (EST)"],
  ["2026-12-24 13:30", 0, "Christmas Eve after the 13:00 close (EST)"],
  ["2026-12-25 10:00", 0, "Christmas (EST)"],
  ["2027-01-01 10:00", 0, "New Year's Day (EST)"],
  ["2026-01-19 10:00", 0, "Martin Luther King Jr. Day (EST)"],
  ["2026-02-16 10:00", 0, "Washington's Birthday (EST)"],
  ["2026-04-03 10:00", 0, "Good Friday (EDT)"],
  ["2026-05-25 10:00", 0, "Memorial Day (EDT)"],
  ["2026-06-19 10:00", 0, "Juneteenth (EDT)"],
  ["2026-07-02 15:59", 1, "Thursday before Independence Day observed: full session (EDT)"],
  ["2026-07-03 10:00", 0, "Independence Day observed on Friday (EDT)"],
  ["2026-07-06 10:00", 1, "Monday after Independence Day (EDT)"],
  ["2026-09-07 10:00", 0, "Labor Day (EDT)"],
  ["2026-03-06 09:29", 0, "pre-market, last EST Friday before the switch"],
  ["2026-03-06 09:30", 1, "the open, EST"],
  ["2026-03-09 09:29", 0, "pre-market, first EDT Monday"],
  ["2026-03-09 09:30", 1, "the open, EDT"],
  ["2026-10-30 15:59", 1, "last minute of the session, EDT"],
  ["2026-10-30 16:00", 0, "the close, EDT"],
  ["2026-11-02 09:30", 1, "the open, first EST Monday"],
  ["2027-03-26 10:00", 0, "Good Friday 2027 (EDT)"],
  ["2027-06-18 10:00", 0, "Juneteenth observed on Friday 2027 (EDT)"],
  ["2027-07-05 10:00", 0, "Independence Day observed on Monday 2027 (EDT)"],
  ["2027-11-25 10:00", 0, "Thanksgiving 2027 (EST)"],
  ["2027-11-26 12:00", 1, "day after Thanksgiving 2027, morning (EST)"],
  ["2027-11-26 13:00", 0, "day after Thanksgiving 2027 closes at 13:00 (EST)"],
  ["2027-12-24 10:00", 0, "Christmas observed on Friday 2027 (EST)"],
  ["2027-12-31 10:00", 1, "no New Year holiday observed for Saturday 2028-01-01 (EST)"],
];

/** The expression of `record` in a rule file with the recorded series it reads inlined. */
function inlineRecorded(ruleFile: string, record: string): string {
  const doc = yaml.load(fs.readFileSync(ruleFile, "utf8")) as { groups: Array<{ rules: Array<{ record?: string; expr: string }> }> };
  const rules = doc.groups.flatMap((g) => g.rules).filter((r): r is { record: string; expr: string } => !!r.record);
  const at = rules.findIndex((r) => r.record === record);
  expect(at, `${record} in ${ruleFile}`).toBeGreaterThanOrEqual(0);
  let expr = rules[at].expr;
  for (let i = at - 1; i >= 0; i--) expr = expr.split(rules[i].record).join(`(${rules[i].expr})`);
  return expr;
}

/** promql_expr_test cases of the clock at real dates (no rules evaluated: a one-year tick). */
function clockTestFile(dir: string): { file: string; checks: number } {
  const expr = inlineRecorded(path.join(dir, "prometheus", "market-clock.rules.yaml"), "trademaster:market_open");
  const cases: Array<{ t: number; open: 0 | 1 }> = NYSE_CHECKS.map(([local, open]) => ({ t: newYork(local), open }));
  // Every 30 minutes over each DST switch's Friday-to-Tuesday (no NYSE holiday falls in them), this
  // year and next, between 12:00 and 22:00 UTC: the open and the close in both EST and EDT. Each
  // case inlines the whole clock expression, so more dates cost minutes of promtool time.
  const thisYear = new Date().getUTCFullYear();
  for (let year = thisYear; year <= thisYear + 1; year++) {
    for (const month of [2, 10]) {
      const from = month === 2 ? 6 : 0;
      for (let t = Date.UTC(year, month, from); t < Date.UTC(year, month, from + 9); t += 30 * 60_000) {
        const hour = new Date(t).getUTCHours();
        if (hour >= 12 && hour < 22) cases.push({ t: t / 1000, open: regularSession(t / 1000) ? 1 : 0 });
      }
    }
  }
  const file = path.join(dir, "oncall", "market-clock.dates.test.yaml");
  const tests = cases.map(({ t, open }) => ({ expr, eval_time: `${t}s`, exp_samples: [{ labels: "{}", value: open }] }));
  fs.writeFileSync(file, yaml.dump({ rule_files: [], evaluation_interval: "8760h", tests: [{ interval: "8760h", input_series: [], promql_expr_test: tests }] }, { lineWidth: -1 }));
  return { file, checks: cases.length };
}

// ---------------------------------------------------------------------------------------------

const prodDir = writeArtifacts("prod");
fs.mkdirSync(path.join(prodDir, "oncall"), { recursive: true });
const oncall = fs.readdirSync(ONCALL_DIR).filter((f) => f.endsWith(".oncall.test.yaml"));
for (const f of oncall) fs.copyFileSync(path.join(ONCALL_DIR, f), path.join(prodDir, "oncall", f));
const clock = clockTestFile(prodDir);
const generated = fs.readdirSync(path.join(prodDir, "promtool")).map((f) => path.join(prodDir, "promtool", f));

/** Per test file: SUCCESS or its failure report (promtool prints one block per file). */
function reports(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const block of out.split(/^Unit Testing:\s+/m).slice(1)) {
    const name = block.split("\n")[0].trim();
    m.set(path.basename(name), block.includes("SUCCESS") && !block.includes("FAILED") ? "SUCCESS" : block.slice(0, 3000));
  }
  return m;
}

/** Runs `files` in two `promtool test rules` processes (one per core); every file must pass. */
async function expectPromtoolSuccess(files: string[]): Promise<void> {
  const runs = await Promise.all(balance(files, 2).map((bucket) => promtoolTest(bucket, prodDir)));
  const all = new Map<string, string>();
  for (const r of runs) for (const [k, v] of reports(r.out)) all.set(k, v);
  const failed = files.map((f) => path.basename(f)).filter((n) => all.get(n) !== "SUCCESS").map((n) => `${n}: ${all.get(n) ?? "not run"}`);
  expect(failed).toEqual([]);
  expect(runs.map((r) => r.code)).toEqual(runs.map(() => 0));
}

describe("prod alert rules under promtool (two processes per test)", () => {
  it("on-call scenarios (traffic loss, latency and delivery collapse, the open, one SLO per signal, missing buckets) and the clock at real dates", async () => {
    expect(oncall.length).toBeGreaterThanOrEqual(5);
    expect(clock.checks).toBeGreaterThan(NYSE_CHECKS.length + 600);
    await expectPromtoolSuccess([...oncall.map((f) => path.join(prodDir, "oncall", f)), clock.file]);
  }, TIMEOUT_MS + 5000);
  it("generated tests: every alert fires on outage and sustained burn, silent on healthy, low traffic, out of hours", async () => {
    const alerts = new Set<string>();
    for (const f of generated) for (const g of (yaml.load(fs.readFileSync(f, "utf8")) as { tests: Array<{ alert_rule_test: Array<{ alertname: string }> }> }).tests) for (const c of g.alert_rule_test) alerts.add(c.alertname);
    // 11 burn-rate alerts (6 SLI kinds x page/ticket, circuit breaker tickets only), traffic loss, 6 self-alerts,
    // and 4 Kafka health alerts (offline partitions, under-replicated partitions, broker disk, consumer lag).
    expect(alerts.size).toBe(22);
    await expectPromtoolSuccess(generated);
  }, TIMEOUT_MS + 5000);
});

for (const stack of STACKS) {
  describe(`${stack}: generated artifacts pass the real tools`, () => {
    const dir = stack === "prod" ? prodDir : writeArtifacts(stack);
    const am = path.join(dir, "alertmanager", "alertmanager.yaml");
    const cfg = contextFor(stack).config;

    it("promtool check rules", () => {
      const files = fs.readdirSync(path.join(dir, "prometheus")).map((f) => path.join(dir, "prometheus", f));
      const out = runToolChecked("promtool", ["check", "rules", ...files]).stdout;
      expect(out.match(/SUCCESS/g)?.length).toBe(files.length);
    });

    it("amtool check-config, and the artifact holds placeholders, not secrets", () => {
      expect(runToolChecked("amtool", ["check-config", am]).stdout).toContain("SUCCESS");
      const text = fs.readFileSync(am, "utf8");
      if (cfg.slackWebhookUrl) expect(text).toContain(PLACEHOLDERS.slackWebhookUrl);
      if (cfg.heartbeatUrl) expect(text).toContain(PLACEHOLDERS.heartbeatUrl);
      if (cfg.pagerdutyRoutingKey) expect(text).not.toContain(cfg.pagerdutyRoutingKey);
    });

    it("routes pages and tickets to the owning team, Watchdog to the heartbeat", () => {
      const route = (...labels: string[]) => runToolChecked("amtool", ["config", "routes", "test", `--config.file=${am}`, ...labels]).stdout.trim();
      expect(route("severity=critical", "team=trading", "service=trading")).toBe("trading-page");
      expect(route("severity=warning", "team=analytics", "service=analytics")).toBe("analytics-ticket");
      expect(route("severity=critical", "team=unknown")).toBe("platform-page");
      // AWS stacks must have the heartbeat secret (the plan masks it); local has no heartbeat service.
      expect(route("alertname=Watchdog", "severity=none")).toBe(cfg.onAws ? "heartbeat" : "null");
    });
  });
}

describe("prod Alertmanager config in a real Alertmanager: inhibition and page groups", () => {
  let server: RunningAlertmanager | undefined;
  const available = runTool("prometheus-alertmanager", ["--version"]).status === 0;
  beforeAll(async () => {
    if (available) server = await startAlertmanager(path.join(prodDir, "alertmanager", "alertmanager.yaml"));
  }, 30_000);
  afterAll(() => server?.stop());

  const teams = new Map(contextFor("prod").catalog.services.map((x) => [x.name, x.team]));
  const svc = (alertname: string, service: string, namespace: string, severity = "critical") => ({
    alertname,
    service,
    namespace,
    severity,
    scope: "service",
    team: teams.get(service) ?? "platform",
  });

  it("the binary is installed (CI installs prometheus-alertmanager)", () => {
    expect(available).toBe(true);
  });

  it("a namespace outage mutes the per-service pages of that namespace only; nothing mutes alerts without a service", async () => {
    const s = server!;
    await s.post([
      { alertname: "CriticalNamespaceDown", namespace: "tm-trading", scope: "namespace", severity: "critical", team: "platform" },
      svc("SLOAvailabilityBudgetBurnFast", "trading", "tm-trading"),
      svc("SLOTrafficLoss", "portfolio", "tm-trading"),
      svc("SLOAvailabilityBudgetBurnFast", "notification", "tm-services"),
      { alertname: "MetricsExporterDown", exporter: "kafka", severity: "critical", team: "platform" },
      { alertname: "MetricsExporterTargetDown", exporter: "redis", severity: "warning", team: "platform" },
    ]);
    const state = await s.inhibitionState();
    expect(state.get("SLOAvailabilityBudgetBurnFast/trading")).toBe(true);
    expect(state.get("SLOTrafficLoss/portfolio")).toBe(true);
    expect(state.get("SLOAvailabilityBudgetBurnFast/notification")).toBe(false);
    expect(state.get("CriticalNamespaceDown/")).toBe(false);
    // A critical without a service (exporter) does not mute an unrelated warning without one.
    expect(state.get("MetricsExporterTargetDown/")).toBe(false);
  });

  it("a cluster outage mutes every per-service and per-namespace alert, not the platform's own", async () => {
    const s = server!;
    await s.post([{ alertname: "CriticalPathDown", scope: "cluster", severity: "critical", team: "platform" }]);
    const state = await s.inhibitionState();
    expect(state.get("SLOAvailabilityBudgetBurnFast/notification")).toBe(true);
    expect(state.get("CriticalNamespaceDown/")).toBe(true);
    expect(state.get("MetricsExporterDown/")).toBe(false);
    expect(state.get("CriticalPathDown/")).toBe(false);
  });

  it("one incident of a service is one page group, whatever the number of its alerts", async () => {
    const s = server!;
    await s.post([
      svc("SLOAvailabilityBudgetBurnFast", "analytics", "tm-services"),
      svc("SLOTrafficLoss", "analytics", "tm-services"),
      svc("SLOLatencyBudgetBurnFast", "analytics", "tm-services"),
    ]);
    // After the cluster-down test every tm-* alert is muted; grouping does not depend on it.
    const groups = (await s.groups()).filter((g) => g.alerts.some((a) => a.labels.service === "analytics"));
    expect(groups).toHaveLength(1);
    expect(groups[0].alerts).toHaveLength(3);
    expect(groups[0].receiver).toBe("analytics-page");
  });
});

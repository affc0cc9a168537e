/** Runs the real promtool and amtool on the generated artifacts. */
import { execFileSync, execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { PLACEHOLDERS } from "../../infra/observability/alertmanager";
import { observabilityArtifacts } from "../../infra/observability/artifacts";
import { marketOpenExpr } from "../../infra/observability/market-hours";
import { contextFor, STACKS } from "./helpers";

const run = promisify(execFile);

function writeArtifacts(stack: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `obs-${stack}-`));
  for (const [rel, text] of Object.entries(observabilityArtifacts(contextFor(stack)))) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** Independent truth: is the NYSE session open at `utc` (Intl's tz database, not our PromQL)? */
function nyseOpen(utc: Date): boolean {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(utc)
      .map((p) => [p.type, p.value]),
  );
  const minutes = Number(parts.hour) * 60 + Number(parts.minute);
  return !["Sat", "Sun"].includes(parts.weekday) && minutes >= 570 && minutes < 960;
}

describe("market clock against real DST transitions (promtool)", () => {
  it("agrees with the tz database around every US DST switch 2024-2030", () => {
    const hours = contextFor("prod").catalog.marketHours;
    const expr = marketOpenExpr(hours);
    const tests: Array<Record<string, unknown>> = [];
    for (let year = 2024; year <= 2030; year++) {
      for (const month of [2, 10]) {
        // Every 30 minutes over the switch's Friday-to-Tuesday (2nd Sunday of March is 8-14, 1st of November 1-7).
        const from = month === 2 ? 6 : 0;
        for (let t = Date.UTC(year, month, from); t < Date.UTC(year, month, from + 9); t += 30 * 60_000) {
          tests.push({ expr, eval_time: `${t / 1000}s`, exp_samples: [{ labels: "{}", value: nyseOpen(new Date(t)) ? 1 : 0 }] });
        }
      }
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clock-"));
    const file = path.join(dir, "clock.test.yaml");
    fs.writeFileSync(file, yaml.dump({ rule_files: [], evaluation_interval: "24h", tests: [{ interval: "24h", input_series: [], promql_expr_test: tests }] }, { lineWidth: -1 }));
    expect(tests.filter((t) => (t.exp_samples as Array<{ value: number }>)[0].value === 1).length).toBeGreaterThan(100);
    const out = execFileSync("promtool", ["test", "rules", file], { encoding: "utf8" });
    expect(out).toContain("SUCCESS");
  }, 600_000);
});

for (const stack of STACKS) {
  describe(`${stack}: generated artifacts pass the real tools`, () => {
    const dir = writeArtifacts(stack);
    const am = path.join(dir, "alertmanager", "alertmanager.yaml");

    it("promtool check rules", () => {
      const files = fs.readdirSync(path.join(dir, "prometheus")).map((f) => path.join(dir, "prometheus", f));
      const out = execFileSync("promtool", ["check", "rules", ...files], { encoding: "utf8" });
      expect(out.match(/SUCCESS/g)?.length).toBe(files.length);
    });

    it("amtool check-config, and the artifact holds placeholders, not secrets", () => {
      const out = execFileSync("amtool", ["check-config", am], { encoding: "utf8" });
      expect(out).toContain("SUCCESS");
      const text = fs.readFileSync(am, "utf8");
      const cfg = contextFor(stack).config;
      if (cfg.slackWebhookUrl) expect(text).toContain(PLACEHOLDERS.slackWebhookUrl);
      if (cfg.pagerdutyRoutingKey) expect(text).not.toContain(cfg.pagerdutyRoutingKey);
    });

    it("routes pages and tickets to the owning team; inhibits warnings under a critical of the same service", () => {
      const route = (...labels: string[]) =>
        execFileSync("amtool", ["config", "routes", "test", `--config.file=${am}`, ...labels], { encoding: "utf8" }).trim();
      expect(route("severity=critical", "team=trading", "service=trading")).toBe("trading-page");
      expect(route("severity=warning", "team=analytics", "service=analytics")).toBe("analytics-ticket");
      expect(route("severity=critical", "team=unknown")).toBe("platform-page");
      expect(route("alertname=Watchdog", "severity=none")).toBe("null");
      const doc = yaml.load(fs.readFileSync(am, "utf8")) as { inhibit_rules: Array<Record<string, unknown>> };
      expect(doc.inhibit_rules).toContainEqual({ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["service"] });
    });

    // Identical rule sets (same intervals) are unit-tested once: local, staging and prod share 30s/30s.
    const ctx = contextFor(stack);
    const first = STACKS.find((s) => {
      const o = contextFor(s).config.observability;
      return o.scrapeIntervalSeconds === ctx.config.observability.scrapeIntervalSeconds && o.evaluationIntervalSeconds === ctx.config.observability.evaluationIntervalSeconds;
    });
    if (first === stack) it("promtool test rules: every alert fires on outage and sustained burn, silent on healthy, low traffic, out of hours, DST", async () => {
      const tests = fs.readdirSync(path.join(dir, "promtool")).map((f) => path.join(dir, "promtool", f));
      const alerts = new Set<string>();
      for (const f of tests) for (const g of (yaml.load(fs.readFileSync(f, "utf8")) as { tests: Array<{ alert_rule_test: Array<{ alertname: string }> }> }).tests) for (const c of g.alert_rule_test) alerts.add(c.alertname);
      // 12 SLO alerts (6 SLI kinds x fast/slow) + 4 platform self-alerts.
      expect(alerts.size).toBe(16);
      const workers = Math.max(1, os.cpus().length);
      const queue = [...tests];
      const failures: string[] = [];
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (let f = queue.shift(); f; f = queue.shift()) {
            try {
              await run("promtool", ["test", "rules", f]);
            } catch (e) {
              failures.push(`${path.basename(f)}: ${String((e as { stdout?: string }).stdout ?? e).slice(0, 2000)}`);
            }
          }
        }),
      );
      expect(failures).toEqual([]);
    }, 900_000);
  });
}

/**
 * The consistency indicator (dead-letter ratio and growth, end-to-end staleness of push delivery):
 * its rules pass `promtool check rules`, and `promtool test rules` shows each alert firing on the
 * scenario it exists for and staying silent otherwise. Every alert has a runbook.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import { runTool } from "../../infra/io/spawn";
import { CONSISTENCY_ALERT_NAMES, consistencyAlerts, consistencyRuleFile, deadLetterBurnThresholds } from "../../infra/observability/consistency";
import { dashboards } from "../../infra/observability/dashboards";
import { runbookFile } from "../../infra/observability/slo";
import { loadStackConfig } from "../../infra/plan/run";

const ROOT = path.join(__dirname, "..", "..");
const catalog = loadCatalog();
const config = loadStackConfig("prod");
const hasPromtool = runTool("promtool", ["--version"], { timeoutMs: 10_000 }).status === 0;

/** `n` one-minute samples growing by `perSecond` records/s from 0 (promtool expanding notation). */
const counter = (perSecond: number, n = 90) => `0+${perSecond * 60}x${n}`;

describe("consistency alerts", () => {
  it("every alert has severity, team, summary, description and an existing runbook", () => {
    const alerts = consistencyAlerts(catalog, config);
    expect([...new Set(alerts.map((a) => a.alert))].sort()).toEqual([...CONSISTENCY_ALERT_NAMES].sort());
    for (const a of alerts) {
      expect(["critical", "warning"]).toContain(a.labels.severity);
      expect(a.labels.team).toBeTruthy();
      expect(a.annotations.summary && a.annotations.description).toBeTruthy();
      expect(fs.existsSync(path.join(ROOT, runbookFile(a.alert))), runbookFile(a.alert)).toBe(true);
    }
  });

  it("pages at the SLO burn factors applied to the 99.99 % budget (28 days: 13.44x over 1h, 5.6x over 6h)", () => {
    expect(deadLetterBurnThresholds()).toEqual([
      { long: "1h", short: "5m", threshold: 0.001344 },
      { long: "6h", short: "30m", threshold: 0.00056 },
    ]);
  });

  it("is on the platform dashboard", () => {
    const platform = dashboards(catalog, config).find((d) => d.name === "platform")!;
    const titles = JSON.stringify(platform.dashboard);
    expect(titles).toContain("Consistency: dead-lettered share of consumed records");
    expect(titles).toContain("consistency:dead_letter_ratio:ratio_rate1h");
    expect(titles).toContain("websocket-gateway produce-to-client staleness");
  });

  describe.runIf(hasPromtool)("with promtool", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-consistency-"));
    const rules = path.join(dir, "consistency.rules.yaml");
    fs.writeFileSync(rules, yaml.dump(consistencyRuleFile(catalog, config), { lineWidth: -1, noRefs: true }));

    it("the rule file passes promtool check rules", () => {
      const r = runTool("promtool", ["check", "rules", rules], { timeoutMs: 60_000 });
      expect(r.stderr + r.stdout).toMatch(/SUCCESS/);
      expect(r.status).toBe(0);
    });

    it("fires on dead-letter burns, growth, stalled and stale delivery, and stays silent otherwise", () => {
      // promtool compares annotations too: those of the rule that fires for that service.
      const annotationsOf = (alert: string, service: string) =>
        consistencyAlerts(catalog, config).find((a) => a.alert === alert && (a.labels.service === service || a.annotations.summary.startsWith(`${service}:`)))!.annotations;
      const trading = { service: "trading", consumergroup: "tm.trading", team: "trading", criticality: "critical" };
      const ws = { service: "websocket-gateway", team: "realtime", criticality: "critical" };
      const groupOffset = (group: string) => `kafka_consumergroup_current_offset{consumergroup="${group}",topic="marketdata.market-data-changed.v1",partition="0"}`;
      const topicOffset = (topic: string) => `kafka_topic_partition_current_offset{topic="${topic}",partition="0"}`;
      const delivery = (suffix: string, extra = "") => `websocket_message_delivery_seconds_${suffix}{namespace="tm-trading",service="websocket-gateway"${extra}}`;
      const test = (name: string, series: Array<{ series: string; values: string }>, checks: Array<{ at: string; alert: string; fired: Array<Record<string, string>> }>) => ({
        name,
        interval: "1m",
        input_series: series,
        alert_rule_test: checks.map((c) => ({ eval_time: c.at, alertname: c.alert, exp_alerts: c.fired.map((l) => ({ exp_labels: l, exp_annotations: annotationsOf(c.alert, l.service) })) })),
      });
      const file = {
        rule_files: [rules],
        evaluation_interval: `${config.observability.evaluationIntervalSeconds}s`,
        tests: [
          // 1 % of consumed records dead-lettered: 74x the 1h threshold.
          test(
            "burn: trading dead-letters 1 % of what it consumes",
            [
              { series: groupOffset("tm.trading"), values: counter(100) },
              { series: topicOffset("dlq.trading.v1"), values: counter(1) },
            ],
            [
              { at: "30m", alert: "ConsumerDeadLetterBudgetBurnFast", fired: [{ severity: "critical", ...trading }] },
              { at: "30m", alert: "ConsumerDeadLetterGrowth", fired: [{ severity: "warning", ...trading }] },
              { at: "30m", alert: "RealtimeDeliveryStalled", fired: [] },
            ],
          ),
          test(
            "healthy: trading consumes 100/s and dead-letters nothing",
            [
              { series: groupOffset("tm.trading"), values: counter(100) },
              { series: topicOffset("dlq.trading.v1"), values: "5+0x90" },
            ],
            [
              { at: "60m", alert: "ConsumerDeadLetterBudgetBurnFast", fired: [] },
              { at: "60m", alert: "ConsumerDeadLetterGrowth", fired: [] },
            ],
          ),
          // 10 % dead-lettered, but 0.1 records/s consumed: below the noise floor for a page.
          test(
            "low traffic: no page, still a ticket for the parked records",
            [
              { series: groupOffset("tm.trading"), values: counter(0.1) },
              { series: topicOffset("dlq.trading.v1"), values: counter(0.01) },
            ],
            [
              { at: "60m", alert: "ConsumerDeadLetterBudgetBurnFast", fired: [] },
              { at: "60m", alert: "ConsumerDeadLetterGrowth", fired: [{ severity: "warning", ...trading }] },
            ],
          ),
          test(
            "stalled: order events keep coming, the gateway delivers nothing",
            [
              { series: topicOffset("trading.order-status-changed.v1"), values: counter(10, 30) },
              { series: delivery("count"), values: "100+0x30" },
            ],
            [{ at: "20m", alert: "RealtimeDeliveryStalled", fired: [{ severity: "critical", ...ws }] }],
          ),
          test(
            "flowing: events produced and delivered",
            [
              { series: topicOffset("trading.order-status-changed.v1"), values: counter(10, 30) },
              { series: delivery("count"), values: counter(10, 30) },
            ],
            [{ at: "20m", alert: "RealtimeDeliveryStalled", fired: [] }],
          ),
          // 16 % of deliveries slower than 1 s: p99 stale for 10 minutes.
          test(
            "stale: p99 produce-to-client age above 1 s",
            [
              { series: delivery("bucket", ',le="0.05"'), values: counter(500, 40) },
              { series: delivery("bucket", ',le="1"'), values: counter(500, 40) },
              { series: delivery("bucket", ',le="5"'), values: counter(600, 40) },
              { series: delivery("bucket", ',le="+Inf"'), values: counter(600, 40) },
              { series: delivery("count"), values: counter(600, 40) },
            ],
            [
              { at: "30m", alert: "RealtimeDeliveryStale", fired: [{ severity: "warning", ...ws }] },
              { at: "30m", alert: "RealtimeDeliveryStalled", fired: [] },
            ],
          ),
          test(
            "fresh: every delivery within 50 ms",
            [
              { series: delivery("bucket", ',le="0.05"'), values: counter(600, 40) },
              { series: delivery("bucket", ',le="1"'), values: counter(600, 40) },
              { series: delivery("bucket", ',le="+Inf"'), values: counter(600, 40) },
            ],
            [{ at: "30m", alert: "RealtimeDeliveryStale", fired: [] }],
          ),
        ],
      };
      const testFile = path.join(dir, "consistency.test.yaml");
      fs.writeFileSync(testFile, yaml.dump(file, { lineWidth: -1, noRefs: true }));
      const r = runTool("promtool", ["test", "rules", testFile], { timeoutMs: 120_000 });
      expect(r.stdout + r.stderr).toMatch(/SUCCESS/);
      expect(r.status).toBe(0);
    });
  });
});

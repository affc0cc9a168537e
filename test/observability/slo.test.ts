import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PAGE_GROUP_WAIT_SECONDS } from "../../infra/observability/alertmanager";
import { criticalLatencyAlerts, trafficLossTimeToDetect, worstCaseTimeToDetect } from "../../infra/observability/detection";
import { dashboards } from "../../infra/observability/dashboards";
import {
  burnFactor,
  CALENDAR_EXPIRING_ALERT,
  catalogAlerts,
  MIN_BAD_EVENTS_TO_PAGE,
  PERCENTILE_KINDS,
  ruleOptions,
  runbookFile,
  SLI_KINDS,
  TRAFFIC_LOSS_ALERT,
  UNMEASURABLE_ALERT,
} from "../../infra/observability/slo";
import { contextFor, STACKS } from "./helpers";

const ROOT = path.join(__dirname, "..", "..");

describe("SLO alerts", () => {
  it("burn factors follow the SRE Workbook for a 30-day period", () => {
    expect(burnFactor({ long: "1h", short: "5m", budgetFraction: 0.02 }, 30)).toBeCloseTo(14.4);
    expect(burnFactor({ long: "6h", short: "30m", budgetFraction: 0.05 }, 30)).toBeCloseTo(6);
    expect(burnFactor({ long: "1d", short: "2h", budgetFraction: 0.1 }, 30)).toBeCloseTo(3);
    expect(burnFactor({ long: "3d", short: "6h", budgetFraction: 0.1 }, 30)).toBeCloseTo(1);
  });

  for (const stack of STACKS) {
    const ctx = contextFor(stack);
    const alerts = catalogAlerts(ctx.catalog, ruleOptions(ctx.config));
    it(`${stack}: every alert has severity, team, summary, description and an existing runbook`, () => {
      expect(alerts.length).toBeGreaterThan(0);
      for (const a of alerts) {
        expect(["critical", "warning"]).toContain(a.rule.labels.severity);
        expect(a.rule.labels.team).toBe(a.sli.service.team);
        expect(a.rule.annotations.summary.length).toBeGreaterThan(10);
        expect(a.rule.annotations.description).toContain(a.sli.service.name);
        const file = runbookFile(a.rule.alert);
        expect(a.rule.annotations.runbook_url.endsWith(file.replace("docs/runbooks/", ""))).toBe(true);
        expect(fs.existsSync(path.join(ROOT, file)), file).toBe(true);
      }
    });
    it(`${stack}: market-hours SLOs gate their alerts on the market clock, others do not`, () => {
      for (const a of alerts) expect(a.rule.expr.includes("trademaster:market_open == 1")).toBe(a.sli.marketHoursOnly);
    });
    it(`${stack}: request-based pages need ${MIN_BAD_EVENTS_TO_PAGE} bad events, tickets the minimum request rate`, () => {
      for (const a of alerts.filter((x) => x.sli.kind !== "consumer-lag")) {
        if (a.speed.severity === "critical") expect(a.rule.expr).toContain(`* 300 >= ${MIN_BAD_EVENTS_TO_PAGE})`);
        else expect(a.rule.expr).toContain(`[5m]) >= ${a.sli.service.slo?.minRequestRate})`);
      }
    });
    it(`${stack}: circuit-breaker SLOs only ticket; percentile SLOs page on a severe breach and ticket on 30m over the objective`, () => {
      expect(alerts.filter((a) => a.sli.kind === "circuit-breaker").map((a) => a.speed.severity)).not.toContain("critical");
      for (const a of alerts.filter((x) => PERCENTILE_KINDS.includes(x.sli.kind))) {
        const budget = 1 - a.sli.objective;
        const expected = a.speed.severity === "critical" ? { long: "5m", threshold: 3 * budget } : { long: "30m", threshold: budget };
        expect(a.pairs.some((p) => p.long === expected.long && Math.abs(p.threshold - expected.threshold) < 1e-9)).toBe(true);
        for (const p of a.pairs) expect(p.threshold).toBeLessThan(1);
      }
    });
    it(`${stack}: every new alert (traffic loss, unmeasurable SLI, calendar) has its runbook`, () => {
      for (const name of [TRAFFIC_LOSS_ALERT, UNMEASURABLE_ALERT, CALENDAR_EXPIRING_ALERT, "CriticalNamespaceDown", "CriticalPathDown"]) {
        expect(fs.existsSync(path.join(ROOT, runbookFile(name))), runbookFile(name)).toBe(true);
      }
      expect(fs.existsSync(path.join(ROOT, "docs/runbooks/watchdog-heartbeat.md"))).toBe(true);
    });
    it(`${stack}: worst-case time to detect a full outage, a traffic loss and a latency collapse of a critical service is <= 5 minutes`, () => {
      const opts = ruleOptions(ctx.config);
      const worst = worstCaseTimeToDetect(alerts, opts, PAGE_GROUP_WAIT_SECONDS);
      expect(worst.breakdown.totalSeconds).toBeLessThanOrEqual(300);
      expect(worst.breakdown.scrapeSeconds).toBe(ctx.config.observability.scrapeIntervalSeconds);
      expect(worstCaseTimeToDetect(alerts, opts, PAGE_GROUP_WAIT_SECONDS, criticalLatencyAlerts).breakdown.totalSeconds).toBeLessThanOrEqual(300);
      expect(trafficLossTimeToDetect(opts, PAGE_GROUP_WAIT_SECONDS).totalSeconds).toBeLessThanOrEqual(300);
    });
    it(`${stack}: every SLO and business metric of the catalog is on a dashboard panel`, () => {
      const text = JSON.stringify(dashboards(ctx.catalog, ctx.config).map((d) => d.dashboard));
      for (const s of ctx.catalog.services) {
        for (const m of s.businessMetrics) expect(text, m.name).toContain(m.name);
        const kinds = alerts.filter((a) => a.sli.service.name === s.name).map((a) => a.sli.kind);
        for (const k of new Set(kinds)) expect(text).toContain(`service=\\"${s.name}\\",slo=\\"${k}\\"`);
      }
    });
  }

  it("the catalog exercises every SLI kind", () => {
    const ctx = contextFor("prod");
    const kinds = new Set(catalogAlerts(ctx.catalog, ruleOptions(ctx.config)).map((a) => a.sli.kind));
    expect([...kinds].sort()).toEqual([...SLI_KINDS].sort());
  });
});

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PAGE_GROUP_WAIT_SECONDS } from "../../infra/observability/alertmanager";
import { worstCaseTimeToDetect } from "../../infra/observability/detection";
import { dashboards } from "../../infra/observability/dashboards";
import { burnFactor, catalogAlerts, ruleOptions, runbookFile, SLI_KINDS } from "../../infra/observability/slo";
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
    it(`${stack}: request-based alerts carry the minimum-traffic guard`, () => {
      for (const a of alerts.filter((x) => x.sli.kind !== "consumer-lag")) {
        expect(a.rule.expr).toContain(`>= ${a.sli.service.slo?.minRequestRate}`);
      }
    });
    it(`${stack}: worst-case time to detect a full outage of a critical service is <= 5 minutes`, () => {
      const worst = worstCaseTimeToDetect(alerts, ruleOptions(ctx.config), PAGE_GROUP_WAIT_SECONDS);
      expect(worst.breakdown.totalSeconds).toBeLessThanOrEqual(300);
      expect(worst.breakdown.scrapeSeconds).toBe(ctx.config.observability.scrapeIntervalSeconds);
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

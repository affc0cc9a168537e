/** The exchange calendar as data: covered years, consistency, and what the clock compiles from it. */
import { describe, expect, it } from "vitest";
import { calendarIssues, dateNumber, NYSE_CALENDAR } from "../../infra/observability/exchange-calendar";
import { MARKET_CLOCK, marketClockRules } from "../../infra/observability/market-hours";
import { contextFor } from "./helpers";

describe("NYSE calendar", () => {
  it("covers the current year and the next (extend it when NYSE publishes the next calendar)", () => {
    const year = new Date().getUTCFullYear();
    expect(NYSE_CALENDAR.years).toContain(year);
    expect(NYSE_CALENDAR.years).toContain(year + 1);
  });
  it("names its source and lists only weekdays of its covered years, each once", () => {
    expect(NYSE_CALENDAR.source).toMatch(/NYSE Group/);
    expect(calendarIssues(NYSE_CALENDAR)).toEqual([]);
    expect(calendarIssues({ ...NYSE_CALENDAR, closed: [...NYSE_CALENDAR.closed, "2026-11-28", "2030-01-01"] })).toEqual([
      "2026-11-28 falls on a weekend",
      "2030-01-01 is outside the covered years 2025, 2026, 2027, 2028",
    ]);
  });
  it("every covered year has its nine regular holidays or more, and a 13:00 close after Thanksgiving", () => {
    for (const y of NYSE_CALENDAR.years) {
      expect(NYSE_CALENDAR.closed.filter((d) => d.startsWith(`${y}-`)).length, String(y)).toBeGreaterThanOrEqual(9);
      expect(NYSE_CALENDAR.earlyCloses.some((d) => d.startsWith(`${y}-11-`)), String(y)).toBe(true);
    }
    expect(NYSE_CALENDAR.earlyClose).toBe("13:00");
  });
  it("is compiled into the market clock: every closed day and early close appears in the rules", () => {
    const rules = marketClockRules(contextFor("prod").catalog.marketHours);
    const closed = rules.find((r) => r.record === MARKET_CLOCK.closedDay)!.expr;
    const early = rules.find((r) => r.record === MARKET_CLOCK.earlyClose)!.expr;
    const listed = (expr: string) => /"date", "([0-9|]+)"\)/.exec(expr)![1].split("|").map(Number);
    expect(listed(closed)).toEqual(NYSE_CALENDAR.closed.map(dateNumber));
    expect(listed(early)).toEqual(NYSE_CALENDAR.earlyCloses.map(dateNumber));
    expect(rules.find((r) => r.record === MARKET_CLOCK.open)!.expr).toContain(`(1 - ${MARKET_CLOCK.closedDay})`);
  });
});

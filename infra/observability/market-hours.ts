/**
 * Market hours as PromQL. Prometheus 2.x has no timezone functions, so the local time is
 * computed from UTC with the zone's standard offset plus its daylight-saving rule, written out
 * with `month()`, `day_of_month()`, `day_of_week()` and `hour()`. Pure.
 *
 * Supported DST rules (the current ones, applied to every year):
 * - `us`: 2nd Sunday of March 02:00 local standard time → 1st Sunday of November 02:00 local
 *   daylight time (Energy Policy Act 2005, in force since 2007);
 * - `eu`: last Sunday of March 01:00 UTC → last Sunday of October 01:00 UTC;
 * - `none`: fixed offset.
 * A zone outside {@link SUPPORTED_TIMEZONES} is refused rather than guessed.
 */
import type { MarketHours, Weekday } from "../catalog/schema";
import { WEEKDAYS } from "../catalog/schema";
import { dateNumber, lastCoveredYear, NYSE_CALENDAR, type ExchangeCalendar } from "./exchange-calendar";

export type DstRule = "us" | "eu" | "none";

export interface ZoneRule {
  /** Standard (winter) offset from UTC in minutes, east positive. */
  standardOffsetMinutes: number;
  dst: DstRule;
}

/** IANA zones whose offset and DST rule are known here. */
export const SUPPORTED_TIMEZONES: Readonly<Record<string, ZoneRule>> = {
  "America/New_York": { standardOffsetMinutes: -300, dst: "us" },
  "America/Toronto": { standardOffsetMinutes: -300, dst: "us" },
  "America/Chicago": { standardOffsetMinutes: -360, dst: "us" },
  "America/Denver": { standardOffsetMinutes: -420, dst: "us" },
  "America/Los_Angeles": { standardOffsetMinutes: -480, dst: "us" },
  "Europe/London": { standardOffsetMinutes: 0, dst: "eu" },
  "Europe/Dublin": { standardOffsetMinutes: 0, dst: "eu" },
  "Europe/Paris": { standardOffsetMinutes: 60, dst: "eu" },
  "Europe/Berlin": { standardOffsetMinutes: 60, dst: "eu" },
  "Europe/Amsterdam": { standardOffsetMinutes: 60, dst: "eu" },
  "Europe/Zurich": { standardOffsetMinutes: 60, dst: "eu" },
  "Asia/Tokyo": { standardOffsetMinutes: 540, dst: "none" },
  "Asia/Hong_Kong": { standardOffsetMinutes: 480, dst: "none" },
  "Asia/Singapore": { standardOffsetMinutes: 480, dst: "none" },
  "Asia/Kolkata": { standardOffsetMinutes: 330, dst: "none" },
};

export function zoneRule(timezone: string): ZoneRule {
  const rule = SUPPORTED_TIMEZONES[timezone];
  if (!rule) {
    throw new Error(
      `catalog marketHours.timezone: expected one of ${Object.keys(SUPPORTED_TIMEZONES).join(", ")} (their DST rule is encoded in PromQL), found "${timezone}"`,
    );
  }
  return rule;
}

/** `vector(time() + seconds)`: a timestamp vector the date functions can read. */
function shiftedClock(seconds: number): string {
  if (seconds === 0) return "vector(time())";
  return seconds > 0 ? `vector(time() + ${seconds})` : `vector(time() - ${-seconds})`;
}

/**
 * 1 while daylight saving is in force, else 0 (a label-less vector). Exactly one of the summed
 * terms can be 1, so the sum is 0 or 1.
 */
export function dstActiveExpr(rule: ZoneRule): string {
  if (rule.dst === "none") return "vector(0)";
  if (rule.dst === "us") {
    // Read the calendar in local *standard* time: the switches happen at 02:00 standard (March)
    // and 01:00 standard (= 02:00 daylight, November).
    const c = shiftedClock(rule.standardOffsetMinutes * 60);
    const m = `month(${c})`;
    const d = `day_of_month(${c})`;
    const w = `day_of_week(${c})`;
    const h = `hour(${c})`;
    // d - w is the date of the latest Sunday on or before today (<= 0: none yet this month).
    const sunday = `(${d} - ${w})`;
    const march =
      `(${m} == bool 3) * ((${sunday} >= bool 15)` +
      ` + (${sunday} >= bool 8) * (${sunday} < bool 15) * clamp_max((${w} > bool 0) + (${h} >= bool 2), 1))`;
    const november = `(${m} == bool 11) * ((${sunday} < bool 1) + (${w} == bool 0) * (${d} <= bool 7) * (${h} < bool 1))`;
    return `((${m} > bool 3) * (${m} < bool 11) + ${march} + ${november})`;
  }
  // EU: switches at 01:00 UTC on the last Sunday (date 25..31) of March and October.
  const c = shiftedClock(0);
  const m = `month(${c})`;
  const d = `day_of_month(${c})`;
  const w = `day_of_week(${c})`;
  const h = `hour(${c})`;
  const sunday = `(${d} - ${w})`;
  const march = `(${m} == bool 3) * (${sunday} >= bool 25) * ((${w} > bool 0) + (${w} == bool 0) * (${h} >= bool 1))`;
  const october = `(${m} == bool 10) * ((${sunday} < bool 25) + (${w} == bool 0) * (${d} >= bool 25) * (${h} < bool 1))`;
  return `((${m} > bool 3) * (${m} < bool 10) + ${march} + ${october})`;
}

/** Recorded series of the market clock, evaluated in order in one group. */
export const MARKET_CLOCK = {
  dstActive: "trademaster:market_clock:dst_active",
  localTime: "trademaster:market_clock:local_time",
  localDate: "trademaster:market_clock:local_date",
  closedDay: "trademaster:market_clock:closed_day",
  earlyClose: "trademaster:market_clock:early_close",
  open: "trademaster:market_open",
  lastCoveredYear: "trademaster:market_calendar:last_covered_year",
} as const;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

/** PromQL `day_of_week()` number (0 = Sunday) of a catalog weekday. */
export function weekdayNumber(day: Weekday): number {
  return (WEEKDAYS.indexOf(day) + 1) % 7;
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

/**
 * 1 when the local date is one of `dates`, else 0 (label-less). One lookup of the date and one
 * anchored regex (label_replace) instead of a comparison per date: the clock runs every
 * evaluation, and a comparison per date costs a series lookup each.
 */
function onDates(dates: readonly string[]): string {
  if (!dates.length) return "vector(0)";
  const listed = dates.map(dateNumber).join("|");
  const date = `count_values without() ("date", ${MARKET_CLOCK.localDate})`;
  return `count(label_replace(${date}, "date", "listed", "date", "${listed}") and on(date) label_replace(vector(1), "date", "listed", "", "")) or vector(0)`;
}

/**
 * The market clock as recording rules (one group, evaluated in order), all label-less:
 * DST flag (0/1) → local wall-clock timestamp → local date (YYYYMMDD) → exchange closure and
 * early-close flags from the calendar → market open (0/1) → last covered calendar year.
 * Closed days are never open; early-close days close at the calendar's early close.
 */
export function marketClockRules(hours: MarketHours, calendar: ExchangeCalendar = NYSE_CALENDAR): RecordingRule[] {
  const rule = zoneRule(hours.timezone);
  const days = [...new Set(hours.weekdays.map(weekdayNumber))].sort((a, b) => a - b);
  const local = MARKET_CLOCK.localTime;
  const dow = `day_of_week(${local})`;
  const onDay = days.length === 7 ? "1" : `clamp_max(${days.map((n) => `(${dow} == bool ${n})`).join(" + ")}, 1)`;
  const minuteOfDay = `(hour(${local}) * 60 + minute(${local}))`;
  const close = minutesOf(hours.close);
  const shortenedBy = close - minutesOf(calendar.earlyClose);
  const closeExpr = shortenedBy > 0 ? `(${close} - ${shortenedBy} * ${MARKET_CLOCK.earlyClose})` : `${close}`;
  return [
    { record: MARKET_CLOCK.dstActive, expr: dstActiveExpr(rule) },
    { record: MARKET_CLOCK.localTime, expr: `${shiftedClock(rule.standardOffsetMinutes * 60)} + 3600 * ${MARKET_CLOCK.dstActive}` },
    { record: MARKET_CLOCK.localDate, expr: `year(${local}) * 10000 + month(${local}) * 100 + day_of_month(${local})` },
    { record: MARKET_CLOCK.closedDay, expr: onDates(calendar.closed) },
    { record: MARKET_CLOCK.earlyClose, expr: onDates(calendar.earlyCloses) },
    {
      record: MARKET_CLOCK.open,
      expr: `${onDay} * (1 - ${MARKET_CLOCK.closedDay}) * (${minuteOfDay} >= bool ${minutesOf(hours.open)}) * (${minuteOfDay} < bool ${closeExpr})`,
    },
    { record: MARKET_CLOCK.lastCoveredYear, expr: `vector(${lastCoveredYear(calendar)})` },
  ];
}

/**
 * The market-open flag as one self-contained expression (the clock rules inlined): used to
 * check the clock against real dates without evaluating rules for decades.
 */
export function marketOpenExpr(hours: MarketHours, calendar: ExchangeCalendar = NYSE_CALENDAR): string {
  return inlineClock(marketClockRules(hours, calendar), MARKET_CLOCK.open);
}

/** The expression of `record` with every clock series it reads replaced by its own expression. */
export function inlineClock(rules: readonly RecordingRule[], record: string): string {
  const at = rules.findIndex((r) => r.record === record);
  if (at < 0) throw new Error(`no clock rule records ${record}`);
  let expr = rules[at].expr;
  for (let i = at - 1; i >= 0; i--) expr = expr.split(rules[i].record).join(`(${rules[i].expr})`);
  return expr;
}

/** Keeps `expr` only while the market is open (uses the recorded flag). */
export function duringMarketHours(expr: string): string {
  return `(${expr}) and on() (${MARKET_CLOCK.open} == 1)`;
}

/**
 * Keeps `expr` only once the market has been open for a whole window `w` (the flag was 1 at
 * every evaluation inside it): rates over `w` then hold no pre-market sample, so an outage that
 * recovered before the open never counts in the session.
 */
export function duringSettledSession(expr: string, w: string): string {
  return `(${expr}) and on() (min_over_time(${MARKET_CLOCK.open}[${w}]) == 1)`;
}


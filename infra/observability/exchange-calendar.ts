/**
 * NYSE trading calendar as data (pure): full-day closures and 13:00 early closes, compiled into
 * the market clock (see market-hours.ts). Regular session 09:30–16:00 America/New_York.
 *
 * Source: NYSE Group press releases "NYSE Group Announces 2025, 2026 and 2027 Holiday and Early
 * Closings Calendar" (2024-11-08) and "... 2026, 2027 and 2028 ..." (2025-12-23), as republished
 * by Mondo Visione; the 2025-01-09 closure (National Day of Mourning for President Carter) was
 * announced by NYSE Group on 2024-12-30 (press coverage: AP, Epoch Times).
 *
 * What could not be confirmed word for word (the footnotes were truncated where read):
 * - the Christmas Eve early closes of 2025-12-24 and 2026-12-24: the releases mark Christmas Day
 *   2025 and 2026 with the early-close footnote, whose text was cut off;
 * - the day-after-Thanksgiving close of 2027-11-26 ("Friday, November 26, 2…") and 2028-11-24
 *   (the 2028 footnote was cut off; Thanksgiving 2028 carries the same marker).
 * No New Year's Day holiday is observed for Saturday 2028-01-01 (release footnote); Christmas
 * 2027 is observed on Friday 2027-12-24 with no early close on the 23rd (no marker).
 *
 * Extend the data when NYSE publishes the next year (every year in November/December); a test
 * fails when the current or the next year is not covered, and the MarketCalendarExpiring alert
 * tickets in the last quarter of the final covered year.
 */

export interface ExchangeCalendar {
  name: string;
  source: string;
  /** Years whose closures and early closes are all listed. */
  years: readonly number[];
  /** Full-day closures, local dates YYYY-MM-DD. */
  closed: readonly string[];
  /** Early closes, local dates YYYY-MM-DD. */
  earlyCloses: readonly string[];
  /** Local close time on early-close days (HH:MM). */
  earlyClose: string;
}

export const NYSE_CALENDAR: ExchangeCalendar = {
  name: "NYSE",
  source: "NYSE Group holiday and early closings calendars (press releases of 2024-11-08 and 2025-12-23; closure of 2025-01-09 announced 2024-12-30)",
  years: [2025, 2026, 2027, 2028],
  closed: [
    // 2025
    "2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26", "2025-06-19", "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25",
    // 2026
    "2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
    // 2027
    "2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18", "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24",
    // 2028 (no New Year's Day holiday: 2028-01-01 is a Saturday)
    "2028-01-17", "2028-02-21", "2028-04-14", "2028-05-29", "2028-06-19", "2028-07-04", "2028-09-04", "2028-11-23", "2028-12-25",
  ],
  earlyCloses: ["2025-07-03", "2025-11-28", "2025-12-24", "2026-11-27", "2026-12-24", "2027-11-26", "2028-07-03", "2028-11-24"],
  earlyClose: "13:00",
};

/** A local date as the number the clock compares: 2026-11-26 → 20261126. */
export function dateNumber(isoDate: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) throw new Error(`exchange calendar: expected a date YYYY-MM-DD, found "${isoDate}"`);
  return Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3]);
}

/** Problems in a calendar's data (dates outside its years, duplicates, weekend dates). */
export function calendarIssues(cal: ExchangeCalendar): string[] {
  const issues: string[] = [];
  const seen = new Set<string>();
  for (const d of [...cal.closed, ...cal.earlyCloses]) {
    if (seen.has(d)) issues.push(`${d} listed twice`);
    seen.add(d);
    const year = Math.floor(dateNumber(d) / 10000);
    if (!cal.years.includes(year)) issues.push(`${d} is outside the covered years ${cal.years.join(", ")}`);
    const weekday = new Date(`${d}T12:00:00Z`).getUTCDay();
    if (weekday === 0 || weekday === 6) issues.push(`${d} falls on a weekend`);
  }
  return issues;
}

/** Last year the calendar covers. */
export function lastCoveredYear(cal: ExchangeCalendar): number {
  return Math.max(...cal.years);
}

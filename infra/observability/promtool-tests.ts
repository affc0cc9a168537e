/**
 * promtool unit tests generated from the catalog (pure): for every alert of every SLI, input
 * series that reproduce a scenario and the alerts expected at given times.
 *
 * Scenarios (Thursday 1970-01-01 is the first day of promtool's clock; the NYSE session is
 * 14:30–21:00 UTC that day):
 * - healthy traffic (10 % of the budget burn): silent;
 * - full outage at 15:00 UTC: the page fires within the computed time to detect, the ticket
 *   within its own; silent before the outage;
 * - sustained burn just above the lowest threshold of each alert: fires;
 * - low traffic (half the minimum rate) with 50 % errors: silent (lag: a one-minute spike);
 * - market-hours SLOs: a night-time outage is silent; other SLOs: it pages;
 * - DST boundary (market-hours availability, separate file, 1-minute samples): an outage at
 *   13:30 UTC pages on Monday 1970-03-09 (09:30 EDT, open) and stays silent at the same UTC time on
 *   Monday 1970-03-02 (08:30 EST, closed).
 * Files reference the rule files by relative path (`../prometheus/<file>`).
 */
import * as yaml from "js-yaml";
import type { Catalog } from "../catalog/schema";
import { consumerGroupId } from "../catalog/derive";
import { timeToDetect } from "./detection";
import {
  baseWindow,
  deliveryHistogram,
  durationSeconds,
  MARKET_CLOCK_GROUP,
  sliDefinitions,
  sloAlerts,
  sloGroupName,
  type SliDefinition,
  type SloAlert,
  type SloRuleOptions,
} from "./slo";

const HOUR = 3600;
const DAY = 86400;
/** 15:00 UTC on Thursday 1970-01-01: inside the New York session. */
export const OUTAGE_START = 15 * HOUR;
/** Check time of the sustained-burn scenarios (15:16 UTC, in session, on a 2-minute tick). */
const STEADY_CHECK = 15 * HOUR + 16 * 60;
/** How far above an alert's lowest threshold the sustained burn runs. */
export const SUSTAINED_BURN_MARGIN = 1.5;
/** Evaluation interval of the scenario files (timing files use the stack's own). */
export const SCENARIO_EVALUATION_INTERVAL_SECONDS = 120;
const NIGHT_OUTAGE_START = 1 * HOUR;
/** Day scenarios have no samples before 13:00 UTC: less to evaluate, same windows in session. */
export const DATA_START = 13 * HOUR;
/** Monday after the US DST switch (2nd Sunday of March 1970 = 8 March) and the Monday before. */
const DST_MONDAY = (31 + 28 + 8) * DAY;
const STD_MONDAY = (31 + 28 + 1) * DAY;
const DST_OPEN_UTC = 13 * HOUR + 30 * 60;

export interface Phase {
  /** Number of samples. */
  samples: number;
  /** Events per second (lag: ignored). */
  rate: number;
  /** Bad share of the events (lag: share of samples above the bound). */
  bad: number;
}

/** Rule file (relative to out/<stack>/prometheus/) of one SLI. */
export function sliRuleFileName(sli: SliDefinition): string {
  return `${sli.service.name}-${sli.kind}.rules.yaml`;
}

export const MARKET_CLOCK_FILE = "market-clock.rules.yaml";

function num(x: number): string {
  return String(Number(x.toFixed(6)));
}

/** A counter's samples: per-phase increments of `perSample(phase)`, in promtool's notation. */
function counterSeries(phases: Phase[], perSample: (p: Phase) => number, leadingGap = 0): string {
  const parts: string[] = leadingGap > 0 ? [`_x${leadingGap}`] : [];
  let value = 0;
  phases.forEach((p, i) => {
    const inc = perSample(p);
    const start = i === 0 ? 0 : value + inc;
    parts.push(`${num(start)}+${num(inc)}x${p.samples - 1}`);
    value = start + inc * (p.samples - 1);
  });
  return parts.join(" ");
}

/** A gauge that is `high` on a `bad` share of samples (spread evenly), else 0. */
function lagSeries(phases: Phase[], high: number): string {
  const values: string[] = [];
  for (const p of phases) {
    if (p.bad === 0 || p.bad === 1) {
      values.push(`${p.bad === 1 ? high : 0}x${p.samples - 1}`);
      continue;
    }
    for (let i = 0; i < p.samples; i++) values.push(Math.floor((i + 1) * p.bad) > Math.floor(i * p.bad) ? String(high) : "0");
  }
  return values.join(" ");
}

interface InputSeries {
  series: string;
  values: string;
}

function selector(metric: string, labels: Record<string, string>): string {
  return `${metric}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}}`;
}

/** Raw input series that make the SLI see `phases`. */
export function inputSeries(sli: SliDefinition, phases: Phase[], intervalSeconds: number, leadingGap = 0): InputSeries[] {
  const s = sli.service;
  const inc = (p: Phase) => p.rate * intervalSeconds;
  const good = (p: Phase) => inc(p) * (1 - p.bad);
  const bad = (p: Phase) => inc(p) * p.bad;
  const c = (f: (p: Phase) => number) => counterSeries(phases, f, leadingGap);
  const callers = { reporter: "source", destination_service_name: s.name, destination_service_namespace: s.namespace };
  switch (sli.kind) {
    case "availability":
    case "circuit-breaker":
      return [
        { series: selector("istio_requests_total", { ...callers, response_code: "200", response_flags: "-" }), values: c(good) },
        // A circuit-breaker rejection: 503 with the upstream-overflow flag.
        { series: selector("istio_requests_total", { ...callers, response_code: "503", response_flags: "UO" }), values: c(bad) },
      ];
    case "error-rate": {
      const server = { reporter: "destination", destination_workload: s.name, destination_workload_namespace: s.namespace };
      return [
        { series: selector("istio_requests_total", { ...server, response_code: "200" }), values: c(good) },
        { series: selector("istio_requests_total", { ...server, response_code: "500" }), values: c(bad) },
      ];
    }
    case "latency": {
      const le = String(s.slo?.latency.thresholdMs);
      return [
        { series: selector("istio_request_duration_milliseconds_count", callers), values: c(inc) },
        { series: selector("istio_request_duration_milliseconds_bucket", { ...callers, le }), values: c(good) },
      ];
    }
    case "delivery-latency": {
      const m = deliveryHistogram(s);
      const app = { namespace: s.namespace, service: s.name };
      const le = String((s.slo?.deliveryLatencyMs ?? 0) / 1000);
      return [
        { series: selector(`${m}_count`, app), values: c(inc) },
        { series: selector(`${m}_bucket`, { ...app, le }), values: c(good) },
      ];
    }
    case "consumer-lag": {
      const high = (s.slo?.maxConsumerLag ?? 1) * 10;
      const gap = leadingGap > 0 ? `_x${leadingGap} ` : "";
      return [{ series: selector("kafka_consumergroup_lag", { consumergroup: consumerGroupId(s), topic: "events", partition: "0" }), values: gap + lagSeries(phases, high) }];
    }
  }
}

interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

function expected(alert: SloAlert): ExpectedAlert[] {
  return [
    {
      exp_labels: { ...alert.rule.labels, service: alert.sli.service.name, slo: alert.sli.kind },
      exp_annotations: alert.rule.annotations,
    },
  ];
}

interface AlertCheck {
  eval_time: string;
  alertname: string;
  exp_alerts: ExpectedAlert[];
}

interface TestGroup {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test: AlertCheck[];
}

function at(seconds: number): string {
  return `${seconds}s`;
}

function floorTo(x: number, step: number): number {
  return Math.floor(x / step) * step;
}

/** Seconds from a full outage until Prometheus fires `alert` (time to detect minus group_wait). */
export function firingBound(alert: SloAlert, opts: SloRuleOptions): number {
  return timeToDetect(alert, opts, 0).totalSeconds;
}

/** Test groups of one SLI (its fast and slow alerts). */
export function sliTestGroups(sli: SliDefinition, opts: SloRuleOptions): TestGroup[] {
  const interval = opts.scrapeIntervalSeconds;
  const evalS = opts.evaluationIntervalSeconds;
  const [fast, slow] = sloAlerts(sli, opts);
  const rate = Math.max(1, 10 * (sli.minRate ?? 0.1));
  const budget = 1 - sli.objective;
  const samples = (seconds: number) => Math.ceil(seconds / interval) + 1;
  const steady = (seconds: number, bad: number, r = rate): Phase[] => [{ samples: samples(seconds), rate: r, bad }];
  const none = (alert: SloAlert, t: number): AlertCheck => ({ eval_time: at(t), alertname: alert.rule.alert, exp_alerts: [] });
  const fires = (alert: SloAlert, t: number): AlertCheck => ({ eval_time: at(t), alertname: alert.rule.alert, exp_alerts: expected(alert) });
  const group = (name: string, phases: Phase[], checks: AlertCheck[], from = DATA_START): TestGroup => ({
    name: `${sli.service.name} ${sli.kind}: ${name}`,
    interval: `${interval}s`,
    input_series: inputSeries(sli, phases, interval, from / interval),
    alert_rule_test: checks,
  });
  // Phases of a day scenario are counted from DATA_START.
  const day = (t: number) => t - DATA_START;

  const fastBound = floorTo(firingBound(fast, opts), evalS);
  // The model assumes a window full of healthy history; the scenarios start at 13:00 UTC, so the
  // ticket fires sooner than its bound: it is checked at the bound or after one hour if earlier.
  const slowBound = floorTo(Math.min(firingBound(slow, opts), HOUR), evalS);
  const outageEnd = OUTAGE_START + Math.max(fastBound, slowBound) + 5 * 60;
  const preOutage = samples(day(OUTAGE_START)) - 1;
  const groups: TestGroup[] = [
    group("healthy traffic stays silent", steady(day(17 * HOUR), budget * 0.1), [
      none(fast, STEADY_CHECK),
      none(slow, STEADY_CHECK),
      none(fast, 16 * HOUR + 30 * 60),
      none(slow, 16 * HOUR + 30 * 60),
    ]),
    group(
      `full outage at 15:00 UTC: page within ${fastBound}s, ticket within ${slowBound}s`,
      [
        { samples: preOutage + 1, rate, bad: 0 },
        { samples: samples(outageEnd - OUTAGE_START) - 1, rate, bad: 1 },
      ],
      [none(fast, OUTAGE_START - 60), none(slow, OUTAGE_START - 60), fires(fast, OUTAGE_START + fastBound), fires(slow, OUTAGE_START + slowBound)],
    ),
    group("sustained burn just above the page threshold", steady(day(STEADY_CHECK + 5 * 60), Math.min(1, SUSTAINED_BURN_MARGIN * Math.min(...fast.thresholds))), [
      fires(fast, STEADY_CHECK),
    ]),
    group("sustained burn just above the ticket threshold", steady(day(STEADY_CHECK + 5 * 60), Math.min(1, SUSTAINED_BURN_MARGIN * Math.min(...slow.thresholds))), [
      fires(slow, STEADY_CHECK),
    ]),
  ];
  if (sli.minRate !== undefined) {
    groups.push(
      group("low-traffic noise stays silent", steady(day(STEADY_CHECK + 5 * 60), 0.5, sli.minRate / 2), [none(fast, STEADY_CHECK), none(slow, STEADY_CHECK)]),
    );
  } else {
    const spikeAt = samples(day(16 * HOUR)) - 1;
    const check = 16 * HOUR + 16 * 60;
    groups.push(
      group(
        "a single-scrape lag spike stays silent",
        [
          { samples: spikeAt, rate, bad: 0 },
          { samples: 1, rate, bad: 1 },
          { samples: samples(20 * 60), rate, bad: 0 },
        ],
        [none(fast, check), none(slow, check)],
      ),
    );
  }
  const night: Phase[] = [
    { samples: samples(NIGHT_OUTAGE_START), rate, bad: 0 },
    { samples: samples(3 * HOUR), rate, bad: 1 },
  ];
  const nightCheck = NIGHT_OUTAGE_START + Math.max(fastBound, slowBound);
  groups.push(
    sli.marketHoursOnly
      ? group("night-time outage (market closed) stays silent", night, [none(fast, nightCheck), none(slow, nightCheck)], 0)
      : group("night-time outage pages (SLO counts around the clock)", night, [fires(fast, NIGHT_OUTAGE_START + fastBound)], 0),
  );
  return groups;
}

/** Groups that check detection timing (outages). */
export function isTimingGroup(g: { name: string }): boolean {
  return g.name.includes("outage");
}

/** DST-boundary groups of a market-hours SLI (1-minute samples, 5-minute evaluations). */
export function dstTestGroups(sli: SliDefinition, opts: SloRuleOptions): TestGroup[] {
  const fast = sloAlerts(sli, opts)[0];
  const interval = 60;
  const rate = Math.max(1, 10 * (sli.minRate ?? 0.1));
  const mk = (monday: number, label: string, fire: boolean): TestGroup => {
    const start = monday + DST_OPEN_UTC - HOUR;
    const gap = start / interval;
    const phases: Phase[] = [
      { samples: 60, rate, bad: 0 },
      { samples: 60, rate, bad: 1 },
    ];
    // Evaluations every 30 minutes: pending at 14:00 UTC, firing at 14:30 UTC.
    const check = monday + DST_OPEN_UTC + (fire ? 60 : 30) * 60;
    return {
      name: `${sli.service.name} ${sli.kind}: DST boundary, ${label}`,
      interval: `${interval}s`,
      input_series: inputSeries(sli, phases, interval, gap),
      alert_rule_test: [{ eval_time: at(check), alertname: fast.rule.alert, exp_alerts: fire ? expected(fast) : [] }],
    };
  };
  return [
    mk(DST_MONDAY, "Mon 1970-03-09 13:30 UTC = 09:30 EDT (open): pages", true),
    mk(STD_MONDAY, "Mon 1970-03-02 13:30 UTC = 08:30 EST (closed): silent at 14:00 UTC", false),
  ];
}

/** Evaluation interval of the DST files (they span ten weeks). */
export const DST_EVALUATION_INTERVAL = "30m";

/** Every promtool test file (relative to out/<stack>/promtool/) → YAML text. */
export function promtoolTestFiles(catalog: Catalog, opts: SloRuleOptions): Record<string, string> {
  const files: Record<string, string> = {};
  const dump = (doc: unknown) => yaml.dump(doc, { lineWidth: -1, noRefs: true });
  const dstService = catalog.services.find((s) => s.slo?.marketHoursOnly && s.criticality === "critical");
  for (const service of catalog.services) {
    for (const sli of sliDefinitions(service, baseWindow(opts))) {
      const ruleFiles = [`../prometheus/${MARKET_CLOCK_FILE}`, `../prometheus/${sliRuleFileName(sli)}`];
      const order = [MARKET_CLOCK_GROUP, sloGroupName(sli)];
      const groups = sliTestGroups(sli, opts);
      // Lag is sampled once per evaluation: a coarse tick would alias the scrape-level pattern.
      const coarse = sli.kind !== "consumer-lag";
      const timing = coarse ? groups.filter(isTimingGroup) : groups;
      // Outage timing runs at the stack's evaluation interval (it checks the time to detect);
      // the other scenarios only check fire/silent and run on a coarser tick to stay fast.
      files[`${service.name}-${sli.kind}.timing.test.yaml`] = dump({
        rule_files: ruleFiles,
        evaluation_interval: `${opts.evaluationIntervalSeconds}s`,
        group_eval_order: order,
        tests: timing,
      });
      if (coarse) {
        files[`${service.name}-${sli.kind}.scenarios.test.yaml`] = dump({
          rule_files: ruleFiles,
          evaluation_interval: `${SCENARIO_EVALUATION_INTERVAL_SECONDS}s`,
          group_eval_order: order,
          tests: groups.filter((g) => !isTimingGroup(g)),
        });
      }
      // One alert-level DST case is enough (the gate is shared); the clock itself is checked
      // against real DST dates by the test suite.
      if (sli.marketHoursOnly && sli.kind === "availability" && service === dstService) {
        files[`${service.name}-${sli.kind}.dst.test.yaml`] = dump({
          rule_files: ruleFiles,
          evaluation_interval: DST_EVALUATION_INTERVAL,
          group_eval_order: order,
          tests: dstTestGroups(sli, opts),
        });
      }
    }
  }
  return files;
}

export { durationSeconds };

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
 * - traffic loss (critical services): requests stop reaching the mesh while pods are up → page.
 * The clock itself (DST, holidays, early closes) is checked at real dates by the test suite, and
 * hand-written on-call scenarios live in test/observability/promtool/.
 * Files reference the rule files by relative path (`../prometheus/<file>`).
 */
import * as yaml from "js-yaml";
import type { Catalog, ServiceSpec } from "../catalog/schema";
import { consumerGroupId } from "../catalog/derive";
import { timeToDetect, trafficLossTimeToDetect } from "./detection";
import {
  baseWindow,
  deliveryHistogram,
  durationSeconds,
  MARKET_CLOCK_GROUP,
  MIN_BAD_EVENTS_TO_PAGE,
  sliDefinitions,
  sloAlerts,
  sloGroupName,
  trafficGroupName,
  trafficRuleGroup,
  type AlertingRule,
  type SliDefinition,
  type SloAlert,
  type SloRuleOptions,
} from "./slo";

const HOUR = 3600;
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
    case "error-rate":
      // The service answers 500 itself: Envoy adds no response flag.
      return [
        { series: selector("istio_requests_total", { ...callers, response_code: "200", response_flags: "-" }), values: c(good) },
        { series: selector("istio_requests_total", { ...callers, response_code: "500", response_flags: "-" }), values: c(bad) },
      ];
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
  const alerts = sloAlerts(sli, opts);
  const fast = alerts.find((a) => a.speed.severity === "critical");
  const slow = alerts.find((a) => a.speed.severity === "warning");
  if (!slow) throw new Error(`${sli.service.name} ${sli.kind}: no ticket alert`);
  const rate = Math.max(1, 10 * (sli.minRate ?? 0.1));
  const minThreshold = (a: SloAlert) => Math.min(...a.pairs.map((p) => p.threshold));
  // Enough traffic that a burn just above the page threshold is more than a handful of failures.
  const pageRate = (a: SloAlert) => Math.max(rate, Math.ceil((2 * MIN_BAD_EVENTS_TO_PAGE) / (300 * Math.min(1, SUSTAINED_BURN_MARGIN * minThreshold(a)))));
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

  const fastBound = fast ? floorTo(firingBound(fast, opts), evalS) : 0;
  // The model assumes a window full of healthy history; the scenarios start at 13:00 UTC, so the
  // ticket fires sooner than its bound: it is checked at the bound or after one hour if earlier.
  const slowBound = floorTo(Math.min(firingBound(slow, opts), HOUR), evalS);
  const outageEnd = OUTAGE_START + Math.max(fastBound, slowBound) + 5 * 60;
  const preOutage = samples(day(OUTAGE_START)) - 1;
  const quiet = (t: number, ...as: Array<SloAlert | undefined>) => as.filter((a): a is SloAlert => !!a).map((a) => none(a, t));
  const sustained = (a: SloAlert) => steady(day(STEADY_CHECK + 5 * 60), Math.min(1, SUSTAINED_BURN_MARGIN * minThreshold(a)), pageRate(a));
  const groups: TestGroup[] = [
    group("healthy traffic stays silent", steady(day(17 * HOUR), budget * 0.1), [...quiet(STEADY_CHECK, fast, slow), ...quiet(16 * HOUR + 30 * 60, fast, slow)]),
    group(
      `full outage at 15:00 UTC: ${fast ? `page within ${fastBound}s, ` : ""}ticket within ${slowBound}s`,
      [
        { samples: preOutage + 1, rate, bad: 0 },
        { samples: samples(outageEnd - OUTAGE_START) - 1, rate, bad: 1 },
      ],
      [...quiet(OUTAGE_START - 60, fast, slow), ...(fast ? [fires(fast, OUTAGE_START + fastBound)] : []), fires(slow, OUTAGE_START + slowBound)],
    ),
    ...(fast ? [group("sustained burn just above the page threshold", sustained(fast), [fires(fast, STEADY_CHECK)])] : []),
    group("sustained burn just above the ticket threshold", sustained(slow), [fires(slow, STEADY_CHECK)]),
  ];
  if (sli.minRate !== undefined) {
    groups.push(group("low-traffic noise stays silent", steady(day(STEADY_CHECK + 5 * 60), 0.5, sli.minRate / 2), quiet(STEADY_CHECK, fast, slow)));
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
        quiet(check, fast, slow),
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
      ? group("night-time outage (market closed) stays silent", night, quiet(nightCheck, fast, slow), 0)
      : group("night-time outage alerts (SLO counts around the clock)", night, [fast ? fires(fast, NIGHT_OUTAGE_START + fastBound) : fires(slow, NIGHT_OUTAGE_START + slowBound)], 0),
  );
  return groups;
}

/** Groups that check detection timing (outages). */
export function isTimingGroup(g: { name: string }): boolean {
  return g.name.includes("outage");
}

/**
 * Traffic-loss groups of a critical service (stack intervals): requests stop reaching the mesh
 * at 15:00 UTC (counters freeze, pods up) → page within the modelled bound; steady traffic and
 * a night without traffic stay silent.
 */
export function trafficTestGroups(service: ServiceSpec, opts: SloRuleOptions): TestGroup[] {
  const group = trafficRuleGroup(service, opts);
  if (!group) return [];
  const alert = group.rules.find((r): r is AlertingRule => "alert" in r);
  if (!alert) return [];
  const interval = opts.scrapeIntervalSeconds;
  const rate = 5;
  const bound = floorTo(trafficLossTimeToDetect(opts, 0).totalSeconds, opts.evaluationIntervalSeconds);
  const series = (values: string) => [
    {
      series: selector("istio_requests_total", { reporter: "source", destination_service_name: service.name, destination_service_namespace: service.namespace, response_code: "200", response_flags: "-" }),
      values,
    },
  ];
  const gap = `_x${DATA_START / interval - 1}`;
  const beforeStop = (OUTAGE_START - DATA_START) / interval;
  const inc = rate * interval;
  const exp = [{ exp_labels: alert.labels, exp_annotations: alert.annotations }];
  const name = (what: string) => `${service.name} traffic: ${what}`;
  return [
    {
      name: name(`requests stop at 15:00 UTC (pods up): page within ${bound}s`),
      interval: `${interval}s`,
      input_series: series(`${gap} 0+${inc}x${beforeStop} ${beforeStop * inc}+0x${(HOUR / interval)}`),
      alert_rule_test: [
        { eval_time: at(OUTAGE_START - 60), alertname: alert.alert, exp_alerts: [] },
        { eval_time: at(OUTAGE_START + bound), alertname: alert.alert, exp_alerts: exp },
      ],
    },
    {
      name: name("steady traffic stays silent"),
      interval: `${interval}s`,
      input_series: series(`${gap} 0+${inc}x${(17 * HOUR - DATA_START) / interval}`),
      alert_rule_test: [{ eval_time: at(16 * HOUR), alertname: alert.alert, exp_alerts: [] }],
    },
  ];
}

/** Every promtool test file (relative to out/<stack>/promtool/) → YAML text. */
export function promtoolTestFiles(catalog: Catalog, opts: SloRuleOptions): Record<string, string> {
  const files: Record<string, string> = {};
  const dump = (doc: unknown) => yaml.dump(doc, { lineWidth: -1, noRefs: true });
  // promtool replays the whole timeline (and the market clock) for every test group, so rules of
  // the same shape are tested once: the outage timing once per SLI kind, market-hours setting and
  // objective (the thresholds), the other scenarios once per kind and market-hours setting. Rule
  // shapes come from one function; selectors per service are checked by the on-call scenarios.
  const timed = new Set<string>();
  const represented = new Set<string>();
  let trafficTested = false;
  for (const service of catalog.services) {
    for (const sli of sliDefinitions(service, baseWindow(opts))) {
      const ruleFiles = [`../prometheus/${MARKET_CLOCK_FILE}`, `../prometheus/${sliRuleFileName(sli)}`];
      const order = [MARKET_CLOCK_GROUP, sloGroupName(sli)];
      const timingShape = `${sli.kind}|${sli.marketHoursOnly}|${sli.objective}|${sli.periodDays}`;
      const shape = `${sli.kind}|${sli.marketHoursOnly}`;
      if (timed.has(timingShape)) continue;
      timed.add(timingShape);
      const representative = !represented.has(shape);
      represented.add(shape);
      // Lag runs at the scrape tick (below): only its outage, spike and night scenarios, the rest is costly.
      const lagKept = (g: TestGroup) => sli.kind !== "consumer-lag" || isTimingGroup(g) || /spike|night/.test(g.name);
      const groups = sliTestGroups(sli, opts).filter((g) => (representative || isTimingGroup(g)) && lagKept(g));
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
      if (coarse && representative) {
        files[`${service.name}-${sli.kind}.scenarios.test.yaml`] = dump({
          rule_files: ruleFiles,
          evaluation_interval: `${SCENARIO_EVALUATION_INTERVAL_SECONDS}s`,
          group_eval_order: order,
          tests: groups.filter((g) => !isTimingGroup(g)),
        });
      }
    }
    const traffic = trafficTested ? [] : trafficTestGroups(service, opts);
    if (traffic.length) {
      trafficTested = true;
      files[`${service.name}-traffic.timing.test.yaml`] = dump({
        rule_files: [`../prometheus/${MARKET_CLOCK_FILE}`, `../prometheus/${service.name}-traffic.rules.yaml`],
        evaluation_interval: `${opts.evaluationIntervalSeconds}s`,
        group_eval_order: [MARKET_CLOCK_GROUP, trafficGroupName(service)],
        tests: traffic,
      });
    }
  }
  return files;
}

export { durationSeconds };

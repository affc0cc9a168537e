/**
 * SLO rule generator (pure): from the catalog's SLOs, recording rules and multi-window,
 * multi-burn-rate alerts (SRE Workbook ch. 5) for every service.
 *
 * Design:
 * - Each SLI is a pair of base series recorded over a short window `b` (4 scrape intervals):
 *   `slo:requests:rate<b>` (events/s) and `slo:errors:rate<b>` (bad events/s), labelled
 *   `service` and `slo`. For market-hours SLOs the base series exist only while the market is
 *   open, so every longer window, computed as `sum_over_time(errors) / sum_over_time(requests)`,
 *   counts market hours only.
 * - Burn-rate factors are budget fractions scaled to the SLO period:
 *   factor = fraction × period / long window (14.4, 6, 3, 1 for 30 days).
 * - Page (critical): 1h/5m at 2 % of budget or 6h/30m at 5 %. Ticket (warning): 1d/2h or 3d/6h
 *   at 10 %. Both windows of a pair must burn (the short one resets the alert quickly).
 * - Guards: a minimum request rate (slo.minRequestRate) and, for market-hours SLOs, the market
 *   must be open, so alerts are silent on low traffic and out of hours.
 */
import type { Catalog, ServiceSpec, SloSpec } from "../catalog/schema";
import { consumerGroupId } from "../catalog/derive";
import type { PlatformConfig } from "../config/schema";
import { duringMarketHours, MARKET_CLOCK, marketClockRules, type RecordingRule } from "./market-hours";

export type { RecordingRule };

export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export interface RuleFile {
  groups: RuleGroup[];
}

export const SLI_KINDS = ["availability", "latency", "error-rate", "delivery-latency", "circuit-breaker", "consumer-lag"] as const;
export type SliKind = (typeof SLI_KINDS)[number];

/** Time-based objective for consumer lag: the group is within its bound this share of the time. */
export const CONSUMER_LAG_OBJECTIVE = 0.99;

/** Where runbooks live in the repository, and the URL alerts link to. */
export const RUNBOOK_DIR = "docs/runbooks";
export const RUNBOOK_BASE_URL = "https://github.com/trademaster/platform/blob/main/docs/runbooks";

export interface BurnWindowPair {
  long: string;
  short: string;
  /** Share of the period's error budget this pair spends before alerting. */
  budgetFraction: number;
}

export interface AlertSpeed {
  name: "Fast" | "Slow";
  severity: "critical" | "warning";
  for: string;
  pairs: BurnWindowPair[];
}

/** The SRE Workbook's recommended windows and budget fractions. */
export const ALERT_SPEEDS: readonly AlertSpeed[] = [
  {
    name: "Fast",
    severity: "critical",
    for: "2m",
    pairs: [
      { long: "1h", short: "5m", budgetFraction: 0.02 },
      { long: "6h", short: "30m", budgetFraction: 0.05 },
    ],
  },
  {
    name: "Slow",
    severity: "warning",
    for: "10m",
    pairs: [
      { long: "1d", short: "2h", budgetFraction: 0.1 },
      { long: "3d", short: "6h", budgetFraction: 0.1 },
    ],
  },
];

export const RECORDED_WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] as const;

/** Seconds of a Prometheus duration like 30s, 5m, 1h, 3d. */
export function durationSeconds(d: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`not a simple Prometheus duration: "${d}"`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
}

/** Shortest Prometheus duration string for a number of seconds. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** Burn-rate factor of a window pair for an SLO period (14.4 for 1h at 2 % of 30 days). */
export function burnFactor(pair: BurnWindowPair, periodDays: number): number {
  return (pair.budgetFraction * periodDays * 24 * 3600) / durationSeconds(pair.long);
}

/**
 * Error-ratio threshold of a pair. When factor × budget is out of reach (low objectives such as
 * a p90 latency SLO), it is capped halfway between the budget and 100 %: a page then still means
 * most requests miss the objective, instead of an alert that can never fire.
 */
export function errorRatioThreshold(factor: number, objective: number): number {
  const budget = 1 - objective;
  const cap = budget + (1 - budget) / 2;
  return round(Math.min(factor * budget, cap));
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}

/** One SLI of one service, with its PromQL over the base window. */
export interface SliDefinition {
  kind: SliKind;
  service: ServiceSpec;
  /** Good share, e.g. 0.9995. */
  objective: number;
  /** Events per second (label-less instant vector). */
  total: string;
  /** Bad events per second (label-less instant vector). */
  bad: string;
  /** Minimum events/s for the alerts to speak; undefined = no traffic guard (time-based SLI). */
  minRate?: number;
  marketHoursOnly: boolean;
  periodDays: number;
  /** Human statement of the objective (annotations, dashboards). */
  statement: string;
}

/** Histogram `le` label value of a bound in seconds, as client libraries print it. */
export function leSeconds(ms: number): string {
  return String(ms / 1000);
}

/** The histogram business metric that measures push delivery (name contains "delivery"). */
export function deliveryHistogram(service: ServiceSpec): string {
  const m = service.businessMetrics.find((b) => b.type === "histogram" && b.name.includes("delivery"));
  if (!m) {
    throw new Error(
      `catalog services.${service.name}: slo.deliveryLatencyMs needs a histogram business metric whose name contains "delivery"`,
    );
  }
  return m.name.replace(/_bucket$/, "");
}

function sel(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}${v.startsWith("~") ? `=~"${v.slice(1)}"` : `="${v}"`}`)
    .join(",")}}`;
}

/** The SLIs a service's SLO defines. */
export function sliDefinitions(service: ServiceSpec, baseWindow: string): SliDefinition[] {
  const slo: SloSpec | undefined = service.slo;
  if (!slo) return [];
  const common = { service, marketHoursOnly: slo.marketHoursOnly, periodDays: slo.periodDays };
  const b = baseWindow;
  // What callers see (source reporter): includes mesh failures such as no healthy upstream.
  const callers = { reporter: "source", destination_service_name: service.name, destination_service_namespace: service.namespace };
  // What the service itself answers (destination reporter).
  const server = { reporter: "destination", destination_workload: service.name, destination_workload_namespace: service.namespace };
  const rate = (metric: string, labels: Record<string, string>) => `sum(rate(${metric}${sel(labels)}[${b}]))`;
  const requests = rate("istio_requests_total", callers);
  const out: SliDefinition[] = [
    {
      ...common,
      kind: "availability",
      objective: slo.availability / 100,
      total: requests,
      bad: rate("istio_requests_total", { ...callers, response_code: "~5.." }),
      minRate: slo.minRequestRate,
      statement: `${slo.availability}% of requests to ${service.name} succeed (no 5xx)`,
    },
    {
      ...common,
      kind: "latency",
      objective: slo.latency.percentile / 100,
      total: rate("istio_request_duration_milliseconds_count", callers),
      bad: `(${rate("istio_request_duration_milliseconds_count", callers)} - ${rate("istio_request_duration_milliseconds_bucket", {
        ...callers,
        le: String(slo.latency.thresholdMs),
      })})`,
      minRate: slo.minRequestRate,
      statement: `${slo.latency.percentile}% of requests to ${service.name} faster than ${slo.latency.thresholdMs} ms`,
    },
  ];
  if (slo.errorRatePercent !== undefined) {
    out.push({
      ...common,
      kind: "error-rate",
      objective: 1 - slo.errorRatePercent / 100,
      total: rate("istio_requests_total", server),
      bad: rate("istio_requests_total", { ...server, response_code: "~5.." }),
      minRate: slo.minRequestRate,
      statement: `fewer than ${slo.errorRatePercent}% of ${service.name} operations fail`,
    });
  }
  if (slo.deliveryLatencyMs !== undefined) {
    const metric = deliveryHistogram(service);
    const app = { namespace: service.namespace, service: service.name };
    out.push({
      ...common,
      kind: "delivery-latency",
      objective: slo.latency.percentile / 100,
      total: rate(`${metric}_count`, app),
      bad: `(${rate(`${metric}_count`, app)} - ${rate(`${metric}_bucket`, { ...app, le: leSeconds(slo.deliveryLatencyMs) })})`,
      minRate: slo.minRequestRate,
      statement: `${slo.latency.percentile}% of ${service.name} messages delivered within ${slo.deliveryLatencyMs} ms`,
    });
  }
  out.push({
    ...common,
    kind: "circuit-breaker",
    objective: 1 - slo.circuitBreakerMaxPercent / 100,
    total: requests,
    // UO: upstream overflow (connection-pool bulkhead / circuit breaker); UH: every host ejected.
    bad: rate("istio_requests_total", { ...callers, response_flags: "~.*(UO|UH).*" }),
    minRate: slo.minRequestRate,
    statement: `fewer than ${slo.circuitBreakerMaxPercent}% of requests to ${service.name} rejected by the circuit breaker`,
  });
  if (slo.maxConsumerLag !== undefined && service.consumes.length > 0) {
    const lag = `sum(kafka_consumergroup_lag${sel({ consumergroup: consumerGroupId(service) })})`;
    out.push({
      ...common,
      kind: "consumer-lag",
      objective: CONSUMER_LAG_OBJECTIVE,
      // Time-based: one sample per evaluation, bad while the lag is above the bound.
      total: `(${lag} * 0 + 1)`,
      bad: `(${lag} > bool ${slo.maxConsumerLag})`,
      statement: `consumer group ${consumerGroupId(service)} within ${slo.maxConsumerLag} messages of the head ${CONSUMER_LAG_OBJECTIVE * 100}% of the time`,
    });
  }
  return out;
}

/** Alert name of an SLI kind and speed, e.g. SLOAvailabilityBudgetBurnFast. */
export function alertName(kind: SliKind, speed: AlertSpeed["name"]): string {
  const pascal = kind
    .split("-")
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
  return `SLO${pascal}BudgetBurn${speed}`;
}

/** Runbook file (relative to the repo) of an alert name. */
export function runbookFile(alert: string): string {
  const slug = alert.replace(/^SLO/, "slo-").replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
  return `${RUNBOOK_DIR}/${slug}.md`;
}

export function runbookUrl(alert: string): string {
  return `${RUNBOOK_BASE_URL}/${runbookFile(alert).slice(RUNBOOK_DIR.length + 1)}`;
}

export interface SloRuleOptions {
  scrapeIntervalSeconds: number;
  evaluationIntervalSeconds: number;
}

export function ruleOptions(config: PlatformConfig): SloRuleOptions {
  return {
    scrapeIntervalSeconds: config.observability.scrapeIntervalSeconds,
    evaluationIntervalSeconds: config.observability.evaluationIntervalSeconds,
  };
}

/** Base rate window: 4 scrape intervals, so every rate sees enough samples. */
export function baseWindow(opts: SloRuleOptions): string {
  return formatDuration(4 * opts.scrapeIntervalSeconds);
}

export const SERIES = {
  requests: (b: string) => `slo:requests:rate${b}`,
  errors: (b: string) => `slo:errors:rate${b}`,
  errorRatio: (w: string) => `slo:error_ratio:ratio_rate${w}`,
  objective: "slo:objective:ratio",
} as const;

/** One alert of an SLI, with the facts its tests and the detection model need. */
export interface SloAlert {
  sli: SliDefinition;
  speed: AlertSpeed;
  rule: AlertingRule;
  /** Error-ratio threshold per pair, in the order of speed.pairs. */
  thresholds: number[];
}

function sliLabels(sli: SliDefinition): Record<string, string> {
  return { service: sli.service.name, slo: sli.kind };
}

/** The alerts of one SLI (fast and slow). */
export function sloAlerts(sli: SliDefinition, opts: SloRuleOptions): SloAlert[] {
  const b = baseWindow(opts);
  const labels = sliLabels(sli);
  const s = sel(labels);
  return ALERT_SPEEDS.map((speed) => {
    const thresholds = speed.pairs.map((p) => errorRatioThreshold(burnFactor(p, sli.periodDays), sli.objective));
    const burning = speed.pairs
      .map((p, i) => `(${SERIES.errorRatio(p.long)}${s} > ${thresholds[i]} and ${SERIES.errorRatio(p.short)}${s} > ${thresholds[i]})`)
      .join(" or ");
    let expr = `(${burning})`;
    if (sli.minRate !== undefined) {
      expr += ` and on(service, slo) (avg_over_time(${SERIES.requests(b)}${s}[5m]) >= ${sli.minRate})`;
    }
    if (sli.marketHoursOnly) expr = duringMarketHours(expr);
    const name = alertName(sli.kind, speed.name);
    const factors = speed.pairs.map((p) => `${round(burnFactor(p, sli.periodDays))}x over ${p.long}/${p.short}`).join(" or ");
    const hours = sli.marketHoursOnly ? " (market hours only)" : "";
    return {
      sli,
      speed,
      thresholds,
      rule: {
        alert: name,
        expr,
        for: speed.for,
        labels: {
          severity: speed.severity,
          team: sli.service.team,
          criticality: sli.service.criticality,
          slo_window: speed.name === "Fast" ? "page" : "ticket",
        },
        annotations: {
          summary: `${sli.service.name}: ${sli.kind} error budget burning ${speed.name === "Fast" ? "fast (page)" : "steadily (ticket)"}`,
          description:
            `SLO: ${sli.statement} over ${sli.periodDays} days${hours}. ` +
            `The error budget is burning at ${factors}; at this pace it is spent early. Team ${sli.service.team}.`,
          runbook_url: runbookUrl(name),
        },
      },
    };
  });
}

/** Recording rules of one SLI: base series, then error ratios per window, then the objective. */
export function sliRecordingRules(sli: SliDefinition, opts: SloRuleOptions): RecordingRule[] {
  const b = baseWindow(opts);
  const labels = sliLabels(sli);
  const s = sel(labels);
  const gate = (e: string) => (sli.marketHoursOnly ? duringMarketHours(e) : e);
  return [
    { record: SERIES.requests(b), expr: gate(sli.total), labels },
    // A service without any failure has no 5xx series: count zero errors while requests exist.
    { record: SERIES.errors(b), expr: gate(`${sli.bad} or (${sli.total} * 0)`), labels },
    ...RECORDED_WINDOWS.map((w) => ({
      record: SERIES.errorRatio(w),
      expr: `sum_over_time(${SERIES.errors(b)}${s}[${w}]) / sum_over_time(${SERIES.requests(b)}${s}[${w}])`,
      labels,
    })),
    { record: SERIES.objective, expr: `vector(${sli.objective})`, labels },
  ];
}

export const MARKET_CLOCK_GROUP = "trademaster-market-clock";

/** Group name of one SLI of one service. */
export function sloGroupName(sli: SliDefinition): string {
  return `slo-${sli.service.name}-${sli.kind}`;
}

/** Rule groups of one service (one group per SLI, recording rules before the alerts). */
export function serviceRuleGroups(service: ServiceSpec, opts: SloRuleOptions): RuleGroup[] {
  const interval = formatDuration(opts.evaluationIntervalSeconds);
  return sliDefinitions(service, baseWindow(opts)).map((sli) => ({
    name: sloGroupName(sli),
    interval,
    rules: [...sliRecordingRules(sli, opts), ...sloAlerts(sli, opts).map((a) => a.rule)],
  }));
}

/** The market clock group (evaluated before the SLO groups, which read its flag). */
export function marketClockGroup(catalog: Catalog, opts: SloRuleOptions): RuleGroup {
  return { name: MARKET_CLOCK_GROUP, interval: formatDuration(opts.evaluationIntervalSeconds), rules: marketClockRules(catalog.marketHours) };
}

/** All rule files of the catalog: `market-clock` plus one per service with an SLO. */
export function sloRuleFiles(catalog: Catalog, opts: SloRuleOptions): Record<string, RuleFile> {
  const files: Record<string, RuleFile> = { "market-clock": { groups: [marketClockGroup(catalog, opts)] } };
  for (const service of catalog.services) {
    const groups = serviceRuleGroups(service, opts);
    if (groups.length) files[service.name] = { groups };
  }
  return files;
}

/** Every alert of the catalog with its facts. */
export function catalogAlerts(catalog: Catalog, opts: SloRuleOptions): SloAlert[] {
  return catalog.services.flatMap((s) => sliDefinitions(s, baseWindow(opts)).flatMap((sli) => sloAlerts(sli, opts)));
}

export { MARKET_CLOCK };

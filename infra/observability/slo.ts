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
 *   at 10 %. Both windows of a pair must burn (the short one resets the alert quickly). A pair
 *   whose threshold is 100 % or more can never fire and is dropped.
 * - Percentile objectives (latency, delivery latency: "90 % under 200 ms") have a budget so large
 *   that burn rates cannot page quickly: a severe breach pages on 5m/base at 3x the budget (most
 *   requests slow), and any 30 minutes over the objective tickets (30m/5m at 1x).
 * - One SLO per signal: with an error-rate SLO, availability counts what the mesh failed to
 *   deliver (5xx with an Envoy response flag: no healthy upstream, reset, overflow, timeout) and
 *   error rate counts the 5xx the service answered (no flag); without one, availability counts
 *   every 5xx. Circuit-breaker rejections are failures callers see (availability pages on them);
 *   the circuit-breaker SLO itself only tickets (capacity).
 * - Guards: a page needs at least {@link MIN_BAD_EVENTS_TO_PAGE} bad events in its short window
 *   (a handful of failures never pages, however low the traffic); a ticket needs the minimum
 *   request rate (slo.minRequestRate). Market-hours SLOs record their base series only once the
 *   session has been open for a whole base window (no pre-market sample in a session rate), and
 *   alert only while the market is open; closed days (exchange calendar) count nowhere.
 * - Per critical service: traffic loss (successful requests below a floor derived from the
 *   service's own market-hours rate, or none at all, or no metrics) pages in market hours; an SLI
 *   that cannot be computed (e.g. the latency bucket of the objective is missing) tickets.
 */
import type { Catalog, ServiceSpec, SloSpec } from "../catalog/schema";
import { consumerGroupId } from "../catalog/derive";
import type { PlatformConfig } from "../config/schema";
import { lastCoveredYear, NYSE_CALENDAR } from "./exchange-calendar";
import { duringMarketHours, duringSettledSession, MARKET_CLOCK, marketClockRules, type RecordingRule } from "./market-hours";

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

/** A window pair of one alert with its error-ratio threshold. */
export interface AlertPair {
  long: string;
  short: string;
  threshold: number;
  /** Why the pair exists (annotation text), e.g. "13.4x burn over 1h/5m". */
  reason: string;
}

/** SLI kinds whose objective is a percentile ("90 % of requests under 200 ms"). */
export const PERCENTILE_KINDS: readonly SliKind[] = ["latency", "delivery-latency"];

/** A severe percentile breach: this multiple of the budget over 5m pages (3x: 30 % slow for p90). */
export const SEVERE_BREACH_BUDGET_MULTIPLE = 3;

/** Kinds that never page: circuit-breaker rejections already page as unavailability. */
export const TICKET_ONLY_KINDS: readonly SliKind[] = ["circuit-breaker"];

/** A page needs at least this many bad events in its short window. */
export const MIN_BAD_EVENTS_TO_PAGE = 10;

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
    for: "1m",
    pairs: [
      { long: "1h", short: "5m", budgetFraction: 0.02 },
      { long: "6h", short: "30m", budgetFraction: 0.05 },
    ],
  },
  {
    name: "Slow",
    severity: "warning",
    for: "5m",
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

/** Error-ratio threshold of a pair: factor × budget (>= 1 means the pair can never fire). */
export function errorRatioThreshold(factor: number, objective: number): number {
  return round(factor * (1 - objective));
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

/** A label selector; a value starting with `~` is a regex, `!` a negation, `!~` a negated regex. */
function sel(labels: Record<string, string>): string {
  const op = (v: string) =>
    v.startsWith("~") ? `=~"${v.slice(1)}"` : v.startsWith("!~") ? `!~"${v.slice(2)}"` : v.startsWith("!") ? `!="${v.slice(1)}"` : `="${v}"`;
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}${op(v)}`)
    .join(",")}}`;
}

/** Envoy's response_flags value when the proxy added no flag (the upstream answered itself). */
const NO_FLAG = "-";

/** The SLIs a service's SLO defines. */
export function sliDefinitions(service: ServiceSpec, baseWindow: string): SliDefinition[] {
  const slo: SloSpec | undefined = service.slo;
  if (!slo) return [];
  const common = { service, marketHoursOnly: slo.marketHoursOnly, periodDays: slo.periodDays };
  const b = baseWindow;
  // What callers see (source reporter): includes mesh failures such as no healthy upstream.
  const callers = { reporter: "source", destination_service_name: service.name, destination_service_namespace: service.namespace };
  const rate = (metric: string, labels: Record<string, string>) => `sum(rate(${metric}${sel(labels)}[${b}]))`;
  const requests = rate("istio_requests_total", callers);
  const split = slo.errorRatePercent !== undefined;
  const out: SliDefinition[] = [
    {
      ...common,
      kind: "availability",
      objective: slo.availability / 100,
      total: requests,
      // With an error-rate SLO the two split the 5xx: availability takes the mesh's (flagged) ones.
      bad: rate("istio_requests_total", { ...callers, response_code: "~5..", ...(split ? { response_flags: `!${NO_FLAG}` } : {}) }),
      minRate: slo.minRequestRate,
      statement: split
        ? `${slo.availability}% of requests to ${service.name} are delivered (no 5xx from the mesh: no healthy upstream, reset, overflow, timeout)`
        : `${slo.availability}% of requests to ${service.name} succeed (no 5xx)`,
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
      total: requests,
      bad: rate("istio_requests_total", { ...callers, response_code: "~5..", response_flags: NO_FLAG }),
      minRate: slo.minRequestRate,
      statement: `fewer than ${slo.errorRatePercent}% of ${service.name} operations fail (5xx answered by the service)`,
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
  /** Successful requests/s of a critical service, recorded in settled market sessions only. */
  goodRequests: (b: string) => `slo:good_requests:rate${b}`,
  /** Its average over the last week of sessions: the service's normal market-hours rate. */
  normalGoodRequests: "slo:good_requests:avg_rate7d",
} as const;

/** One alert of an SLI, with the facts its tests and the detection model need. */
export interface SloAlert {
  sli: SliDefinition;
  speed: AlertSpeed;
  rule: AlertingRule;
  /** The window pairs with their thresholds; the alert fires when any pair burns. */
  pairs: AlertPair[];
}

/** Labels every per-service alert carries (inhibition scopes by namespace, grouping by service). */
export function serviceAlertLabels(service: ServiceSpec): Record<string, string> {
  return { team: service.team, criticality: service.criticality, namespace: service.namespace, scope: "service" };
}

function sliLabels(sli: SliDefinition): Record<string, string> {
  return { service: sli.service.name, slo: sli.kind };
}

/** The window pairs of one alert speed of an SLI (empty: that speed has no alert). */
export function alertPairs(sli: SliDefinition, speed: AlertSpeed, opts: SloRuleOptions): AlertPair[] {
  if (speed.severity === "critical" && TICKET_ONLY_KINDS.includes(sli.kind)) return [];
  const budget = 1 - sli.objective;
  const pairs: AlertPair[] = speed.pairs
    .map((p) => {
      const factor = burnFactor(p, sli.periodDays);
      return { long: p.long, short: p.short, threshold: errorRatioThreshold(factor, sli.objective), reason: `${round(factor)}x burn over ${p.long}/${p.short}` };
    })
    .filter((p) => p.threshold < 1);
  if (PERCENTILE_KINDS.includes(sli.kind)) {
    pairs.push(
      speed.severity === "critical"
        ? { long: "5m", short: baseWindow(opts), threshold: round(SEVERE_BREACH_BUDGET_MULTIPLE * budget), reason: `a severe breach (${round(SEVERE_BREACH_BUDGET_MULTIPLE * budget * 100)}% of events over the objective for 5m)` }
        : { long: "30m", short: "5m", threshold: round(budget), reason: "the objective missed over 30m" },
    );
  }
  return pairs;
}

/** The alerts of one SLI (page and ticket; a speed without pairs has none). */
export function sloAlerts(sli: SliDefinition, opts: SloRuleOptions): SloAlert[] {
  const b = baseWindow(opts);
  const labels = sliLabels(sli);
  const s = sel(labels);
  const out: SloAlert[] = [];
  for (const speed of ALERT_SPEEDS) {
    const pairs = alertPairs(sli, speed, opts);
    if (!pairs.length) continue;
    const burning = pairs.map((p) => `(${SERIES.errorRatio(p.long)}${s} > ${p.threshold} and ${SERIES.errorRatio(p.short)}${s} > ${p.threshold})`).join(" or ");
    let expr = `(${burning})`;
    if (sli.minRate !== undefined) {
      expr +=
        speed.severity === "critical"
          ? // Enough failures to mean something, whatever the traffic (a rate guard would hide a low-traffic outage).
            ` and on(service, slo) (avg_over_time(${SERIES.errors(b)}${s}[5m]) * 300 >= ${MIN_BAD_EVENTS_TO_PAGE})`
          : ` and on(service, slo) (avg_over_time(${SERIES.requests(b)}${s}[5m]) >= ${sli.minRate})`;
    }
    if (sli.marketHoursOnly) expr = duringMarketHours(expr);
    const name = alertName(sli.kind, speed.name);
    const hours = sli.marketHoursOnly ? " (market hours only)" : "";
    out.push({
      sli,
      speed,
      pairs,
      rule: {
        alert: name,
        expr,
        for: speed.for,
        labels: { severity: speed.severity, ...serviceAlertLabels(sli.service), slo_window: speed.name === "Fast" ? "page" : "ticket" },
        annotations: {
          summary: `${sli.service.name}: ${sli.kind} error budget burning ${speed.name === "Fast" ? "fast (page)" : "steadily (ticket)"}`,
          description:
            `SLO: ${sli.statement} over ${sli.periodDays} days${hours}. ` +
            `Fires on ${pairs.map((p) => p.reason).join(" or ")}. Team ${sli.service.team}.`,
          runbook_url: runbookUrl(name),
        },
      },
    });
  }
  return out;
}

export const UNMEASURABLE_ALERT = "SLOUnmeasurable";

/**
 * A percentile SLI whose bad events cannot be computed (the histogram has no bucket at the
 * objective's bound) while its events flow: tickets instead of showing a green SLO.
 */
export function unmeasurableAlert(sli: SliDefinition, opts: SloRuleOptions): AlertingRule | undefined {
  if (!PERCENTILE_KINDS.includes(sli.kind)) return undefined;
  const b = baseWindow(opts);
  const s = sel(sliLabels(sli));
  let expr = `absent(${SERIES.errors(b)}${s}) and on() (sum(${SERIES.requests(b)}${s}) > 0)`;
  if (sli.marketHoursOnly) expr = duringMarketHours(expr);
  return {
    alert: UNMEASURABLE_ALERT,
    expr,
    for: "5m",
    labels: { severity: "warning", ...serviceAlertLabels(sli.service), service: sli.service.name, slo: sli.kind },
    annotations: {
      summary: `${sli.service.name}: ${sli.kind} SLI cannot be measured`,
      description: `Events of ${sli.service.name} flow but the bad events of "${sli.statement}" cannot be computed (the histogram has no bucket at the objective's bound, or it is dropped): the SLO would look green while it is blind. Team ${sli.service.team}.`,
      runbook_url: runbookUrl(UNMEASURABLE_ALERT),
    },
  };
}

/** Recording rules of one SLI: base series, then error ratios per window, then the objective. */
export function sliRecordingRules(sli: SliDefinition, opts: SloRuleOptions): RecordingRule[] {
  const b = baseWindow(opts);
  const labels = sliLabels(sli);
  const s = sel(labels);
  const gate = (e: string) => (sli.marketHoursOnly ? duringSettledSession(e, b) : e);
  // No 5xx series means zero errors while requests exist; a percentile SLI without its bucket
  // has no bad events at all (absent, so SLOUnmeasurable fires instead of a green SLO).
  const bad = PERCENTILE_KINDS.includes(sli.kind) ? sli.bad : `${sli.bad} or (${sli.total} * 0)`;
  return [
    { record: SERIES.requests(b), expr: gate(sli.total), labels },
    { record: SERIES.errors(b), expr: gate(bad), labels },
    { record: SERIES.errorRatio(b), expr: `${SERIES.errors(b)}${s} / ${SERIES.requests(b)}${s}`, labels },
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

export const TRAFFIC_LOSS_ALERT = "SLOTrafficLoss";
/** Traffic loss: successful requests below this share of the service's normal rate. */
export const TRAFFIC_FLOOR_FRACTION = 0.1;
/**
 * Below this normal rate (req/s) a 10 % floor over the base window is not distinguishable from a
 * lull (fewer than ~24 requests expected per 2 minutes): no traffic-loss alert.
 */
export const MIN_NORMAL_RATE_FOR_TRAFFIC_LOSS = 0.2;
export const TRAFFIC_LOSS_FOR = "1m";

export function trafficGroupName(service: ServiceSpec): string {
  return `slo-${service.name}-traffic`;
}

/**
 * Traffic-loss group of a critical service: successful requests/s (settled market sessions),
 * their average over a week of sessions, and a page when the successful rate falls below
 * {@link TRAFFIC_FLOOR_FRACTION} of that normal rate — including no request metrics at all.
 */
export function trafficRuleGroup(service: ServiceSpec, opts: SloRuleOptions): RuleGroup | undefined {
  if (service.criticality !== "critical" || !service.slo) return undefined;
  const b = baseWindow(opts);
  const labels = { service: service.name, slo: "traffic" };
  const s = sel(labels);
  const callers = { reporter: "source", destination_service_name: service.name, destination_service_namespace: service.namespace, response_code: "!~5.." };
  const good = `sum(rate(istio_requests_total${sel(callers)}[${b}]))`;
  const normal = `sum(${SERIES.normalGoodRequests}${s} >= ${MIN_NORMAL_RATE_FOR_TRAFFIC_LOSS})`;
  const expr = duringSettledSession(`(sum(${SERIES.goodRequests(b)}${s}) or on() vector(0)) < on() (${TRAFFIC_FLOOR_FRACTION} * ${normal})`, b);
  return {
    name: trafficGroupName(service),
    interval: formatDuration(opts.evaluationIntervalSeconds),
    rules: [
      { record: SERIES.goodRequests(b), expr: duringSettledSession(good, b), labels },
      { record: SERIES.normalGoodRequests, expr: `avg_over_time(${SERIES.goodRequests(b)}${s}[7d])`, labels },
      {
        alert: TRAFFIC_LOSS_ALERT,
        expr,
        for: TRAFFIC_LOSS_FOR,
        labels: { severity: "critical", ...serviceAlertLabels(service), service: service.name, slo: "traffic", slo_window: "page" },
        annotations: {
          summary: `${service.name}: traffic loss (successful requests below ${TRAFFIC_FLOOR_FRACTION * 100}% of normal)`,
          description:
            `During market hours ${service.name} serves fewer than ${TRAFFIC_FLOOR_FRACTION * 100}% of its normal successful requests (average of the last week of sessions), ` +
            `or none, or its request metrics are gone. Requests may not reach the mesh (gateway, DNS, routing) while pods look healthy. Team ${service.team}.`,
          runbook_url: runbookUrl(TRAFFIC_LOSS_ALERT),
        },
      },
    ],
  };
}

/** Rule groups of one service: one per SLI (recording rules before the alerts), then traffic. */
export function serviceRuleGroups(service: ServiceSpec, opts: SloRuleOptions): RuleGroup[] {
  const interval = formatDuration(opts.evaluationIntervalSeconds);
  const groups: RuleGroup[] = sliDefinitions(service, baseWindow(opts)).map((sli) => {
    const unmeasurable = unmeasurableAlert(sli, opts);
    return {
      name: sloGroupName(sli),
      interval,
      rules: [...sliRecordingRules(sli, opts), ...sloAlerts(sli, opts).map((a) => a.rule), ...(unmeasurable ? [unmeasurable] : [])],
    };
  });
  const traffic = trafficRuleGroup(service, opts);
  return traffic ? [...groups, traffic] : groups;
}

export const CALENDAR_EXPIRING_ALERT = "MarketCalendarExpiring";

/** The market clock group (evaluated before the SLO groups, which read its flag). */
export function marketClockGroup(catalog: Catalog, opts: SloRuleOptions): RuleGroup {
  const local = MARKET_CLOCK.localTime;
  const last = lastCoveredYear(NYSE_CALENDAR);
  return {
    name: MARKET_CLOCK_GROUP,
    interval: formatDuration(opts.evaluationIntervalSeconds),
    rules: [
      ...marketClockRules(catalog.marketHours, NYSE_CALENDAR),
      {
        alert: CALENDAR_EXPIRING_ALERT,
        // From October of the last covered year: past it, holidays would page as trading days.
        expr: `(year(${local}) * 100 + month(${local})) >= on() (${MARKET_CLOCK.lastCoveredYear} * 100 + 10)`,
        for: "1h",
        labels: { severity: "warning", team: "platform" },
        annotations: {
          summary: `The ${NYSE_CALENDAR.name} calendar of the market clock ends with ${last}`,
          description: `infra/observability/exchange-calendar.ts lists closures and early closes up to ${last}. Add the next year from the exchange's published calendar before it starts, or closed days will page and count against SLO budgets.`,
          runbook_url: runbookUrl(CALENDAR_EXPIRING_ALERT),
        },
      },
    ],
  };
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

/** Every burn-rate alert of the catalog with its facts. */
export function catalogAlerts(catalog: Catalog, opts: SloRuleOptions): SloAlert[] {
  return catalog.services.flatMap((s) => sliDefinitions(s, baseWindow(opts)).flatMap((sli) => sloAlerts(sli, opts)));
}

export { MARKET_CLOCK };

/**
 * The consistency indicator of the seed ("99.99 % data consistency across services"), as rules
 * (pure), beside the lag SLO that infra/observability/slo.ts already derives:
 * - dead-letter ratio per consumer group: records its service parks in its dead-letter topic per
 *   record it consumes (kafka_exporter offsets). Objective 99.99 % of consumed records applied;
 *   multi-window burn-rate page with the same windows and factors as every SLO (slo.ts);
 * - dead-letter growth: any record parked is a divergence someone must replay (ticket);
 * - end-to-end staleness of push delivery (produce → client, the fan-out service's delivery
 *   histogram): p99 above {@link STALENESS_P99_SECONDS} while events flow (ticket), and events
 *   produced for the fan-out service while nothing is delivered (page).
 */
import type { Catalog, ServiceSpec } from "../catalog/schema";
import { consumerGroupId, deadLetterTopicName, topicsByName } from "../catalog/derive";
import type { PlatformConfig } from "../config/schema";
import { consumers } from "../data/topics";
import {
  ALERT_SPEEDS,
  burnFactor,
  deliveryHistogram,
  errorRatioThreshold,
  formatDuration,
  ruleOptions,
  runbookUrl,
  type AlertingRule,
  type RecordingRule,
  type RuleFile,
} from "./slo";

/** Share of consumed records that must be applied, not dead-lettered (the seed's 99.99 %). */
export const CONSISTENCY_OBJECTIVE = 0.9999;
/** SLO period of the dead-letter budget (days), as the catalog's default SLO period. */
export const CONSISTENCY_PERIOD_DAYS = 28;
/** Below this consumption (records/s) the ratio is noise: the burn alert stays silent. */
export const MIN_CONSUMED_RATE = 0.5;
/** p99 produce-to-client age above which pushed data is stale (the SLO is p90 < 50 ms). */
export const STALENESS_P99_SECONDS = 1;
export const CONSISTENCY_RULE_FILE = "consistency.rules.yaml";
export const CONSISTENCY_GROUP = "trademaster-consistency";
export const RATIO_WINDOWS = ["5m", "30m", "1h", "6h"] as const;

export const CONSISTENCY_SERIES = {
  consumed: (b: string) => `consistency:consumed_records:rate${b}`,
  deadLettered: (b: string) => `consistency:dead_lettered_records:rate${b}`,
  ratio: (w: string) => `consistency:dead_letter_ratio:ratio_rate${w}`,
} as const;

export const CONSISTENCY_ALERT_NAMES = ["ConsumerDeadLetterBudgetBurnFast", "ConsumerDeadLetterGrowth", "RealtimeDeliveryStalled", "RealtimeDeliveryStale"] as const;

function baseWindow(config: PlatformConfig): string {
  return formatDuration(4 * ruleOptions(config).scrapeIntervalSeconds);
}

function labels(service: ServiceSpec): Record<string, string> {
  return { service: service.name, consumergroup: consumerGroupId(service) };
}

function sel(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}}`;
}

/** Recording rules: consumed and dead-lettered records/s per group, then ratios per window. */
export function consistencyRecordingRules(catalog: Catalog, config: PlatformConfig): RecordingRule[] {
  const b = baseWindow(config);
  return consumers(catalog).flatMap((s) => {
    const l = labels(s);
    const consumed = `sum(rate(kafka_consumergroup_current_offset{consumergroup="${consumerGroupId(s)}"}[${b}]))`;
    const parked = `sum(rate(kafka_topic_partition_current_offset{topic="${deadLetterTopicName(s)}"}[${b}]))`;
    return [
      { record: CONSISTENCY_SERIES.consumed(b), expr: consumed, labels: l },
      // An empty dead-letter topic may have no series yet: zero while the group consumes.
      { record: CONSISTENCY_SERIES.deadLettered(b), expr: `${parked} or (${consumed} * 0)`, labels: l },
      ...RATIO_WINDOWS.map((w) => ({
        record: CONSISTENCY_SERIES.ratio(w),
        expr: `sum_over_time(${CONSISTENCY_SERIES.deadLettered(b)}${sel(l)}[${w}]) / sum_over_time(${CONSISTENCY_SERIES.consumed(b)}${sel(l)}[${w}])`,
        labels: l,
      })),
    ];
  });
}

/** Page thresholds of the dead-letter budget per window pair (the SLOs' fast speed). */
export function deadLetterBurnThresholds(): Array<{ long: string; short: string; threshold: number }> {
  const fast = ALERT_SPEEDS.find((s) => s.name === "Fast")!;
  return fast.pairs.map((p) => ({ long: p.long, short: p.short, threshold: errorRatioThreshold(burnFactor(p, CONSISTENCY_PERIOD_DAYS), CONSISTENCY_OBJECTIVE) }));
}

/** The consistency alerts of the catalog. */
export function consistencyAlerts(catalog: Catalog, config: PlatformConfig): AlertingRule[] {
  const b = baseWindow(config);
  const alerts: AlertingRule[] = [];
  const fast = ALERT_SPEEDS.find((s) => s.name === "Fast")!;
  for (const s of consumers(catalog)) {
    const l = labels(s);
    const burning = deadLetterBurnThresholds()
      .map((p) => `(${CONSISTENCY_SERIES.ratio(p.long)}${sel(l)} > ${p.threshold} and ${CONSISTENCY_SERIES.ratio(p.short)}${sel(l)} > ${p.threshold})`)
      .join(" or ");
    alerts.push({
      alert: "ConsumerDeadLetterBudgetBurnFast",
      expr: `(${burning}) and on(service, consumergroup) (avg_over_time(${CONSISTENCY_SERIES.consumed(b)}${sel(l)}[5m]) >= ${MIN_CONSUMED_RATE})`,
      for: fast.for,
      labels: { severity: "critical", team: s.team, criticality: s.criticality },
      annotations: {
        summary: `${s.name}: records dead-lettered faster than the ${CONSISTENCY_OBJECTIVE * 100}% consistency budget allows (page)`,
        description:
          `Consumer group ${consumerGroupId(s)} parks records in ${deadLetterTopicName(s)} at a rate that spends ` +
          `the ${CONSISTENCY_PERIOD_DAYS}-day budget of ${((1 - CONSISTENCY_OBJECTIVE) * 100).toFixed(2)}% early: the state of ${s.name} diverges from the event log. Team ${s.team}.`,
        runbook_url: runbookUrl("ConsumerDeadLetterBudgetBurnFast"),
      },
    });
    alerts.push({
      alert: "ConsumerDeadLetterGrowth",
      expr: `sum(increase(kafka_topic_partition_current_offset{topic="${deadLetterTopicName(s)}"}[15m])) > 0`,
      for: "0m",
      labels: { severity: "warning", team: s.team, criticality: s.criticality, service: s.name, consumergroup: consumerGroupId(s) },
      annotations: {
        summary: `${s.name}: new records in its dead-letter topic ${deadLetterTopicName(s)}`,
        description: `Every dead-lettered record is an event ${s.name} has not applied. Inspect, fix and replay them. Team ${s.team}.`,
        runbook_url: runbookUrl("ConsumerDeadLetterGrowth"),
      },
    });
  }
  const topics = topicsByName(catalog);
  for (const s of catalog.services.filter((x) => x.slo?.deliveryLatencyMs !== undefined && x.consumes.length > 0)) {
    const metric = deliveryHistogram(s);
    const app = `{namespace="${s.namespace}",service="${s.name}"}`;
    const consumed = s.consumes.map((ref) => topics.get(ref)!.topicName).join("|");
    alerts.push({
      alert: "RealtimeDeliveryStalled",
      expr: `(sum(rate(kafka_topic_partition_current_offset{topic=~"${consumed}"}[5m])) > 0) and on() (sum(rate(${metric}_count${app}[5m])) or vector(0)) == 0`,
      for: "3m",
      labels: { severity: "critical", team: s.team, criticality: s.criticality, service: s.name },
      annotations: {
        summary: `${s.name}: events are produced but none is delivered to clients`,
        description: `Topics ${consumed} grow while ${s.name} pushes nothing: every connected client shows stale data. Team ${s.team}.`,
        runbook_url: runbookUrl("RealtimeDeliveryStalled"),
      },
    });
    alerts.push({
      alert: "RealtimeDeliveryStale",
      expr: `histogram_quantile(0.99, sum by (le) (rate(${metric}_bucket${app}[5m]))) > ${STALENESS_P99_SECONDS}`,
      for: "10m",
      labels: { severity: "warning", team: s.team, criticality: s.criticality, service: s.name },
      annotations: {
        summary: `${s.name}: 1% of pushed events are older than ${STALENESS_P99_SECONDS}s when they reach the client`,
        description: `End-to-end staleness (produce to client) p99 is above ${STALENESS_P99_SECONDS}s for 10 minutes: check consumer lag, the Redis fan-out and pod CPU. Team ${s.team}.`,
        runbook_url: runbookUrl("RealtimeDeliveryStale"),
      },
    });
  }
  return alerts;
}

/** The rule file (one group, recording rules first) the cluster and promtool get. */
export function consistencyRuleFile(catalog: Catalog, config: PlatformConfig): RuleFile {
  return {
    groups: [
      {
        name: CONSISTENCY_GROUP,
        interval: formatDuration(ruleOptions(config).evaluationIntervalSeconds),
        rules: [...consistencyRecordingRules(catalog, config), ...consistencyAlerts(catalog, config)],
      },
    ],
  };
}

/** Dashboard queries of the indicator (title, PromQL, unit), for the platform dashboard. */
export function consistencyPanelQueries(catalog: Catalog): Array<{ title: string; exprs: string[]; unit: string }> {
  const ws = catalog.services.filter((x) => x.slo?.deliveryLatencyMs !== undefined && x.consumes.length > 0);
  const dlqs = consumers(catalog).map(deadLetterTopicName).join("|");
  return [
    { title: "Consistency: dead-lettered share of consumed records (1h) vs budget", exprs: [CONSISTENCY_SERIES.ratio("1h"), `vector(${Number((1 - CONSISTENCY_OBJECTIVE).toPrecision(6))})`], unit: "percentunit" },
    { title: "Consistency: records dead-lettered per topic (/s)", exprs: [`sum by (topic) (rate(kafka_topic_partition_current_offset{topic=~"${dlqs}"}[5m]))`], unit: "short" },
    ...ws.map((s) => ({
      title: `Consistency: ${s.name} produce-to-client staleness p50/p99`,
      exprs: [0.5, 0.99].map((q) => `histogram_quantile(${q}, sum by (le) (rate(${deliveryHistogram(s)}_bucket{namespace="${s.namespace}",service="${s.name}"}[5m])))`),
      unit: "s",
    })),
  ];
}

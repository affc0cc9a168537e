/**
 * Platform self-alerts (pure): the monitoring pipeline watching itself on the critical path.
 * - CriticalPathMetricsMissing (page): no scrape target of a critical service, or of the gateway's
 *   sidecars (which report every external call), is up, or none exists. Without them the SLO
 *   alerts of that service are blind, so this pages like an outage.
 * - CriticalPathScrapeTargetDown (ticket): some pod of such a job cannot be scraped.
 * - MetricsExporterDown: an exporter cannot be scraped (or is gone). Critical for the Kafka
 *   exporter when a consumer-lag SLO reads it, warning otherwise.
 * - MetricsExporterTargetDown (ticket): the exporter runs but cannot reach its store.
 * Each rule carries severity, team (platform), service or exporter, summary, description and a
 * runbook; promtool tests are generated here too (fires on the failure within the bound, silent
 * when healthy or partially degraded where that must not page).
 */
import * as yaml from "js-yaml";
import type { Catalog } from "../catalog/schema";
import type { PlatformConfig } from "../config/schema";
import { PAGE_GROUP_WAIT_SECONDS, DEFAULT_GROUP_WAIT_SECONDS, PLATFORM_TEAM } from "./alertmanager";
import { EXPORTER_JOBS, exporterKinds, type ExporterKind } from "./exporters";
import { GATEWAY_SIDECARS_JOB, serviceJob } from "./monitors";
import { durationSeconds, formatDuration, ruleOptions, runbookUrl, type AlertingRule, type RuleFile, type SloRuleOptions } from "./slo";

export const PLATFORM_HEALTH_GROUP = "trademaster-platform-health";
export const PLATFORM_HEALTH_RULE_FILE = "platform-health.rules.yaml";

export const SELF_ALERT_NAMES = ["CriticalPathMetricsMissing", "CriticalPathScrapeTargetDown", "MetricsExporterDown", "MetricsExporterTargetDown"] as const;
export type SelfAlertName = (typeof SELF_ALERT_NAMES)[number];

/** The metric each exporter sets to 0 (or drops to 0) when it cannot reach its store. */
export const EXPORTER_TARGET_UP: Record<ExporterKind, string> = {
  kafka: "kafka_brokers",
  redis: "redis_up",
  postgres: "pg_up",
  elasticsearch: "elasticsearch_cluster_health_up",
};

export interface SelfAlert {
  name: SelfAlertName;
  job: string;
  rule: AlertingRule;
  /** How the promtool test provokes it. */
  metric: string;
}

const FOR: Record<SelfAlertName, string> = {
  CriticalPathMetricsMissing: "2m",
  CriticalPathScrapeTargetDown: "5m",
  MetricsExporterDown: "5m",
  MetricsExporterTargetDown: "5m",
};

/** Scrape jobs on the critical path: critical services and the gateway's sidecars. */
export function criticalPathJobs(catalog: Catalog): Array<{ job: string; service: string }> {
  return [
    ...catalog.services.filter((s) => s.criticality === "critical").map((s) => ({ job: serviceJob(s), service: s.name })),
    { job: GATEWAY_SIDECARS_JOB, service: "gateway" },
  ];
}

function alert(name: SelfAlertName, job: string, metric: string, expr: string, labels: Record<string, string>, summary: string, description: string): SelfAlert {
  return {
    name,
    job,
    metric,
    rule: { alert: name, expr, for: FOR[name], labels: { team: PLATFORM_TEAM, ...labels }, annotations: { summary, description, runbook_url: runbookUrl(name) } },
  };
}

export function platformHealthAlerts(catalog: Catalog, config: PlatformConfig): SelfAlert[] {
  const out: SelfAlert[] = [];
  for (const { job, service } of criticalPathJobs(catalog)) {
    const sel = `{job="${job}"}`;
    out.push(
      alert(
        "CriticalPathMetricsMissing",
        job,
        "up",
        `(sum by (job) (up${sel}) == 0) or absent(up${sel})`,
        { severity: "critical", service, criticality: "critical" },
        `${service}: no metrics scraped (job ${job})`,
        `Prometheus scrapes no target of job ${job}: the SLO alerts of ${service} cannot see an outage. Check the pods' sidecars (:15020) and the PodMonitor.`,
      ),
      alert(
        "CriticalPathScrapeTargetDown",
        job,
        "up",
        `count by (job) (up${sel} == 0) > 0`,
        { severity: "warning", service, criticality: "critical" },
        `${service}: a scrape target is down (job ${job})`,
        `At least one pod of job ${job} has not been scraped for ${FOR.CriticalPathScrapeTargetDown}; its requests are missing from the SLIs of ${service}.`,
      ),
    );
  }
  const lagSlo = catalog.services.some((s) => s.slo?.maxConsumerLag !== undefined && s.consumes.length > 0);
  for (const kind of exporterKinds(config)) {
    const job = EXPORTER_JOBS[kind];
    const sel = `{job="${job}"}`;
    out.push(
      alert(
        "MetricsExporterDown",
        job,
        "up",
        `(sum by (job) (up${sel}) == 0) or absent(up${sel})`,
        { severity: kind === "kafka" && lagSlo ? "critical" : "warning", exporter: kind },
        `${kind} exporter down (job ${job})`,
        `Prometheus cannot scrape the ${kind} exporter${kind === "kafka" && lagSlo ? ": consumer-lag SLOs are blind" : ""}. Check its pod, its target Secret and its credentials.`,
      ),
      alert(
        "MetricsExporterTargetDown",
        job,
        EXPORTER_TARGET_UP[kind],
        `max by (job) (${EXPORTER_TARGET_UP[kind]}${sel}) == 0`,
        { severity: "warning", exporter: kind },
        `${kind} exporter cannot reach its store (job ${job})`,
        `The ${kind} exporter runs but reports its store unreachable: network, TLS or credentials (least-privilege exporter user) — or the store itself is down.`,
      ),
    );
  }
  return out;
}

export function platformHealthRuleFile(catalog: Catalog, config: PlatformConfig): RuleFile {
  return {
    groups: [{ name: PLATFORM_HEALTH_GROUP, interval: formatDuration(config.observability.evaluationIntervalSeconds), rules: platformHealthAlerts(catalog, config).map((a) => a.rule) }],
  };
}

/** Worst case from a target failing to the first notification: scrape, evaluation, `for`, group_wait. */
export function selfAlertTimeToDetect(a: SelfAlert, opts: SloRuleOptions): number {
  const evalS = opts.evaluationIntervalSeconds;
  const forS = Math.ceil(durationSeconds(a.rule.for) / evalS) * evalS;
  const groupWait = a.rule.labels.severity === "critical" ? PAGE_GROUP_WAIT_SECONDS : DEFAULT_GROUP_WAIT_SECONDS;
  return opts.scrapeIntervalSeconds + evalS + forS + groupWait;
}

/** promtool unit tests of the self-alerts (relative to out/<stack>/promtool/). */
export function platformHealthTestFile(catalog: Catalog, config: PlatformConfig): string {
  const opts = ruleOptions(config);
  const step = opts.scrapeIntervalSeconds;
  const healthySamples = 10;
  const failAt = healthySamples * step; // first failed sample
  const total = 60;
  const tests: Array<Record<string, unknown>> = [];
  const exp = (a: SelfAlert) => [{ exp_labels: { job: a.job, ...a.rule.labels }, exp_annotations: a.rule.annotations }];
  const check = (a: SelfAlert, t: number, fires: boolean) => ({ eval_time: `${t}s`, alertname: a.name, exp_alerts: fires ? exp(a) : [] });
  const series = (metric: string, job: string, pod: string, values: string) => ({ series: `${metric}{job="${job}",instance="${pod}:15020",pod="${pod}"}`, values });
  const up = (v: number) => `${v}x${total}`;
  const failing = (healthy: number) => `${healthy}x${healthySamples - 1} 0x${total - healthySamples}`;
  const interval = `${step}s`;
  const alerts = platformHealthAlerts(catalog, config);
  const healthyValue = (metric: string) => (metric === "kafka_brokers" ? 3 : 1);
  // Every job healthy (two pods each): a scenario changes only the series of the job under test,
  // so the other rules with the same alert name stay silent.
  const healthyWorld = new Map<string, { metric: string; job: string; pod: string }>();
  for (const a of alerts) for (const pod of ["a", "b"]) for (const metric of new Set(["up", a.metric])) healthyWorld.set(`${metric}|${a.job}|${pod}`, { metric, job: a.job, pod });
  const world = (overrides: Record<string, string | null>) =>
    [...healthyWorld.entries()].flatMap(([key, s]) => {
      const v = key in overrides ? overrides[key] : up(healthyValue(s.metric));
      return v === null ? [] : [series(s.metric, s.job, s.pod, v)];
    });
  for (const a of alerts) {
    // Fires no later than the failure plus the modelled delay (without group_wait).
    const groupWait = a.rule.labels.severity === "critical" ? PAGE_GROUP_WAIT_SECONDS : DEFAULT_GROUP_WAIT_SECONDS;
    const bound = failAt - step + selfAlertTimeToDetect(a, opts) - groupWait;
    const late = failAt + 2 * durationSeconds(a.rule.for) + opts.evaluationIntervalSeconds;
    const gone = durationSeconds(a.rule.for) + opts.evaluationIntervalSeconds;
    const name = `${a.name} ${a.job}`;
    const k = (metric: string, pod: string) => `${metric}|${a.job}|${pod}`;
    const down = failing(healthyValue(a.metric));
    tests.push({ name: `${name}: healthy stays silent`, interval, input_series: world({}), alert_rule_test: [check(a, late, false)] });
    switch (a.name) {
      case "CriticalPathMetricsMissing":
        tests.push(
          { name: `${name}: every target down fires within ${bound - failAt + step}s`, interval, input_series: world({ [k("up", "a")]: down, [k("up", "b")]: down }), alert_rule_test: [check(a, failAt - step, false), check(a, bound, true)] },
          { name: `${name}: one of two targets down does not page`, interval, input_series: world({ [k("up", "a")]: down }), alert_rule_test: [check(a, late, false)] },
          { name: `${name}: no target at all fires`, interval, input_series: world({ [k("up", "a")]: null, [k("up", "b")]: null }), alert_rule_test: [check(a, gone, true)] },
        );
        break;
      case "CriticalPathScrapeTargetDown":
        tests.push({ name: `${name}: one target down fires`, interval, input_series: world({ [k("up", "a")]: down }), alert_rule_test: [check(a, failAt - step, false), check(a, bound, true)] });
        break;
      case "MetricsExporterDown":
        tests.push(
          { name: `${name}: exporter down fires`, interval, input_series: world({ [k("up", "a")]: down, [k("up", "b")]: down }), alert_rule_test: [check(a, failAt - step, false), check(a, bound, true)] },
          { name: `${name}: exporter gone fires`, interval, input_series: world({ [k("up", "a")]: null, [k("up", "b")]: null }), alert_rule_test: [check(a, gone, true)] },
        );
        break;
      case "MetricsExporterTargetDown":
        tests.push({ name: `${name}: store unreachable fires`, interval, input_series: world({ [k(a.metric, "a")]: down, [k(a.metric, "b")]: down }), alert_rule_test: [check(a, failAt - step, false), check(a, bound, true)] });
        break;
    }
  }
  return yaml.dump(
    { rule_files: [`../prometheus/${PLATFORM_HEALTH_RULE_FILE}`], evaluation_interval: `${opts.evaluationIntervalSeconds}s`, tests },
    { lineWidth: -1, noRefs: true },
  );
}

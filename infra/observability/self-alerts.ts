/**
 * Platform self-alerts (pure): the monitoring pipeline watching itself on the critical path.
 * - CriticalPathMetricsMissing (page): no scrape target of a critical service, or of the gateway's
 *   sidecars (which report every external call), is up, or none exists. Without them the SLO
 *   alerts of that service are blind, so this pages like an outage.
 * - CriticalPathScrapeTargetDown (ticket): some pod of such a job cannot be scraped.
 * - MetricsExporterDown: an exporter cannot be scraped (or is gone). Critical for the Kafka
 *   exporter when a consumer-lag SLO reads it, warning otherwise.
 * - MetricsExporterTargetDown (ticket): the exporter runs but cannot reach its store.
 * - CriticalNamespaceDown (page): no scrape target of the critical services of a namespace is
 *   up; it inhibits those services' own pages (one page, not one per team).
 * - CriticalPathDown (page): no critical-path target at all is up (a cluster-level outage seen
 *   from Prometheus); it inhibits every per-service and per-namespace alert.
 * Each rule carries severity, team (platform), service or exporter, summary, description and a
 * runbook; promtool tests are generated here too (fires on the failure within the bound, silent
 * when healthy or partially degraded where that must not page). The test file grows linearly
 * with the catalog: each scenario is one test group in which every job is in the same state.
 */
import * as yaml from "js-yaml";
import type { Catalog } from "../catalog/schema";
import type { PlatformConfig } from "../config/schema";
import { CLUSTER_DOWN_ALERT, DEFAULT_GROUP_WAIT_SECONDS, NAMESPACE_DOWN_ALERT, PAGE_GROUP_WAIT_SECONDS, PLATFORM_TEAM } from "./alertmanager";
import { EXPORTER_JOBS, exporterKinds, type ExporterKind } from "./exporters";
import { GATEWAY_SIDECARS_JOB, serviceJob } from "./monitors";
import { durationSeconds, formatDuration, ruleOptions, runbookUrl, type AlertingRule, type RuleFile, type SloRuleOptions } from "./slo";

export const PLATFORM_HEALTH_GROUP = "trademaster-platform-health";
export const PLATFORM_HEALTH_RULE_FILE = "platform-health.rules.yaml";

export const SELF_ALERT_NAMES = [
  "CriticalPathMetricsMissing",
  "CriticalPathScrapeTargetDown",
  "MetricsExporterDown",
  "MetricsExporterTargetDown",
  NAMESPACE_DOWN_ALERT,
  CLUSTER_DOWN_ALERT,
] as const;
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
  // Shorter than the per-service alerts they inhibit, so they are firing first.
  CriticalNamespaceDown: "1m",
  CriticalPathDown: "1m",
};

/** Scrape jobs on the critical path: critical services and the gateway's sidecars. */
export function criticalPathJobs(catalog: Catalog): Array<{ job: string; service: string; namespace?: string }> {
  return [
    ...catalog.services.filter((s) => s.criticality === "critical").map((s) => ({ job: serviceJob(s), service: s.name, namespace: s.namespace })),
    { job: GATEWAY_SIDECARS_JOB, service: "gateway" },
  ];
}

/** Namespaces of critical services → their scrape jobs. */
export function criticalNamespaces(catalog: Catalog): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const j of criticalPathJobs(catalog)) if (j.namespace) out.set(j.namespace, [...(out.get(j.namespace) ?? []), j.job]);
  return out;
}

/** An alternation of job names (catalog names and namespace/name: no regex metacharacters). */
function jobRegex(jobs: string[]): string {
  const bad = jobs.find((j) => !/^[a-z0-9][a-z0-9/-]*$/.test(j));
  if (bad) throw new Error(`self-alerts: job "${bad}" is not a plain name`);
  return jobs.join("|");
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
  for (const { job, service, namespace } of criticalPathJobs(catalog)) {
    const sel = `{job="${job}"}`;
    // A service's own job: inhibited by its namespace or the cluster being down.
    const scope: Record<string, string> = namespace ? { namespace, scope: "service" } : { scope: "service" };
    out.push(
      alert(
        "CriticalPathMetricsMissing",
        job,
        "up",
        `(sum by (job) (up${sel}) == 0) or absent(up${sel})`,
        { severity: "critical", service, criticality: "critical", ...scope },
        `${service}: no metrics scraped (job ${job})`,
        `Prometheus scrapes no target of job ${job}: the SLO alerts of ${service} cannot see an outage. Check the pods' sidecars (:15020) and the PodMonitor.`,
      ),
      alert(
        "CriticalPathScrapeTargetDown",
        job,
        "up",
        `count by (job) (up${sel} == 0) > 0`,
        { severity: "warning", service, criticality: "critical", ...scope },
        `${service}: a scrape target is down (job ${job})`,
        `At least one pod of job ${job} has not been scraped for ${FOR.CriticalPathScrapeTargetDown}; its requests are missing from the SLIs of ${service}.`,
      ),
    );
  }
  for (const [namespace, jobs] of criticalNamespaces(catalog)) {
    const sel = `{job=~"${jobRegex(jobs)}",namespace="${namespace}"}`;
    out.push(
      alert(
        NAMESPACE_DOWN_ALERT,
        jobs.join(", "),
        "up",
        `(sum(up${sel}) == 0) or absent(up${sel})`,
        { severity: "critical", criticality: "critical", namespace, scope: "namespace" },
        `namespace ${namespace}: no critical service is scraped (${jobs.join(", ")})`,
        `No scrape target of ${jobs.join(", ")} in ${namespace} is up: the namespace is down (nodes, quota, network policy, mesh) or unreachable. Their own pages are inhibited by this one.`,
      ),
    );
  }
  const allJobs = criticalPathJobs(catalog).map((j) => j.job);
  const everySel = `{job=~"${jobRegex(allJobs)}"}`;
  out.push(
    alert(
      CLUSTER_DOWN_ALERT,
      allJobs.join(", "),
      "up",
      `(sum(up${everySel}) == 0) or absent(up${everySel})`,
      { severity: "critical", criticality: "critical", scope: "cluster" },
      `cluster: no critical-path target is scraped (${allJobs.join(", ")})`,
      `Prometheus scrapes none of ${allJobs.join(", ")}: nodes, the network or the mesh are down cluster-wide. Per-service and per-namespace pages are inhibited by this one.`,
    ),
  );
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

/** Self-alerts that watch a set of jobs (their alerts carry no `job` label). */
function watchesManyJobs(a: SelfAlert): boolean {
  return a.name === NAMESPACE_DOWN_ALERT || a.name === CLUSTER_DOWN_ALERT;
}

/**
 * promtool unit tests of the self-alerts (relative to out/<stack>/promtool/). One test group
 * per scenario, every job in the same state, so the file grows linearly with the catalog:
 * healthy; every target down; one of two targets down; no target at all; every store unreachable.
 */
export function platformHealthTestFile(catalog: Catalog, config: PlatformConfig): string {
  const opts = ruleOptions(config);
  const step = opts.scrapeIntervalSeconds;
  const healthySamples = 10;
  const failAt = healthySamples * step; // first failed sample
  const total = 60;
  const alerts = platformHealthAlerts(catalog, config);
  const names = [...new Set(alerts.map((a) => a.name))];
  const exp = (a: SelfAlert) => ({ exp_labels: watchesManyJobs(a) ? a.rule.labels : { job: a.job, ...a.rule.labels }, exp_annotations: a.rule.annotations });
  const check = (name: SelfAlertName, t: number, firing: SelfAlert[]) => ({ eval_time: `${t}s`, alertname: name, exp_alerts: firing.filter((a) => a.name === name).map(exp) });
  const healthyValue = (metric: string) => (metric === "kafka_brokers" ? 3 : 1);
  const failing = (metric: string) => `${healthyValue(metric)}x${healthySamples - 1} 0x${total - healthySamples}`;
  const steady = (metric: string) => `${healthyValue(metric)}x${total}`;
  const series = (metric: string, job: string, pod: string, values: string) => {
    const namespace = criticalPathJobs(catalog).find((j) => j.job === job)?.namespace;
    return { series: `${metric}{job="${job}",instance="${pod}:15020",pod="${pod}"${namespace ? `,namespace="${namespace}"` : ""}}`, values };
  };
  // Every (metric, job) pair once: `up` of every job, the store metric of every exporter.
  const perJob = alerts.filter((a) => !watchesManyJobs(a));
  const pairs = [...new Map(perJob.flatMap((a) => [["up", a.job], [a.metric, a.job]] as const).map(([m, j]) => [`${m}|${j}`, { metric: m, job: j }])).values()];
  const world = (value: (metric: string, pod: string) => string | null) =>
    pairs.flatMap(({ metric, job }) => ["a", "b"].flatMap((pod) => {
      const v = value(metric, pod);
      return v === null ? [] : [series(metric, job, pod, v)];
    }));
  const isStore = (metric: string) => metric !== "up";
  const forOf = (name: SelfAlertName) => durationSeconds(FOR[name]);
  // Fires no later than the failure plus the modelled delay (without group_wait).
  const bound = (name: SelfAlertName) => {
    const a = alerts.find((x) => x.name === name)!;
    const groupWait = a.rule.labels.severity === "critical" ? PAGE_GROUP_WAIT_SECONDS : DEFAULT_GROUP_WAIT_SECONDS;
    return failAt - step + selfAlertTimeToDetect(a, opts) - groupWait;
  };
  const late = failAt + 2 * Math.max(...names.map(forOf)) + opts.evaluationIntervalSeconds;
  const gone = Math.max(...names.map(forOf)) + opts.evaluationIntervalSeconds;
  const interval = `${step}s`;
  const scenario = (name: string, input: ReturnType<typeof world>, firing: SelfAlert[], at: (n: SelfAlertName) => number[]) => ({
    name,
    interval,
    input_series: input,
    alert_rule_test: names.flatMap((n) => at(n).map((t) => check(n, t, t < failAt && at(n).length > 1 ? [] : firing))),
  });
  const tests = [
    scenario("healthy: every target up and every store reachable: silent", world(steady), [], () => [late]),
    scenario(
      "every target of every job down: each job's page, its namespace's and the cluster's fire within their bounds",
      world((m) => (isStore(m) ? steady(m) : failing(m))),
      alerts.filter((a) => a.name !== "MetricsExporterTargetDown"),
      (n) => (n === "MetricsExporterTargetDown" ? [late] : [failAt - step, bound(n)]),
    ),
    scenario(
      "one of two targets down in every job: tickets, no page",
      world((m, pod) => (!isStore(m) && pod === "a" ? failing(m) : steady(m))),
      alerts.filter((a) => a.name === "CriticalPathScrapeTargetDown"),
      (n) => (n === "CriticalPathScrapeTargetDown" ? [failAt - step, bound(n)] : [late]),
    ),
    scenario(
      "no target at all (every series gone): the pages fire",
      world((m) => (isStore(m) ? steady(m) : null)),
      alerts.filter((a) => ["CriticalPathMetricsMissing", "MetricsExporterDown", NAMESPACE_DOWN_ALERT, CLUSTER_DOWN_ALERT].includes(a.name)),
      () => [gone],
    ),
    scenario(
      "every store unreachable (exporters up): target-down tickets",
      world((m) => (isStore(m) ? failing(m) : steady(m))),
      alerts.filter((a) => a.name === "MetricsExporterTargetDown"),
      (n) => (n === "MetricsExporterTargetDown" ? [failAt - step, bound(n)] : [late]),
    ),
  ];
  return yaml.dump(
    { rule_files: [`../prometheus/${PLATFORM_HEALTH_RULE_FILE}`], evaluation_interval: `${opts.evaluationIntervalSeconds}s`, tests },
    { lineWidth: -1, noRefs: true },
  );
}

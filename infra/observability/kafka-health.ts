/**
 * Kafka broker health alerts (pure), for the MSK stacks: the brokers' open-monitoring exporters
 * (JMX on 11001, node on 11002, scraped by the ScrapeConfigs of infra/data/kafka.ts) and the
 * consumer-group lag of the kafka exporter.
 * - KafkaOfflinePartitions (page): a partition has no leader; its producers and consumers stop.
 * - KafkaUnderReplicatedPartitions (ticket): followers out of sync for 10 minutes; one more broker
 *   loss would take writes below min ISR.
 * - KafkaBrokerDiskLow (ticket): a broker volume under 15 % free for 10 minutes (MSK stops a broker
 *   whose disk fills; grow `kafka.brokerVolumeGb` or lower retention).
 * - KafkaConsumerGroupLagHigh (ticket): a group more than {@link CONSUMER_LAG_BACKSTOP} records
 *   behind for 15 minutes, a backstop beside the per-service consumer-lag SLOs.
 * Metric names follow MSK's JMX exporter (`kafka_<domain>_<type>_Value{name=...}`) and the Prometheus
 * node exporter; `promtool test` files are generated here too.
 */
import * as yaml from "js-yaml";
import type { PlatformConfig } from "../config/schema";
import { PLATFORM_TEAM } from "./alertmanager";
import { ruleOptions, runbookUrl, type AlertingRule, type RuleFile } from "./slo";

export const KAFKA_HEALTH_RULE_FILE = "kafka-health.rules.yaml";
export const KAFKA_HEALTH_TEST_FILE = "kafka-health.test.yaml";
/** Scrape jobs of the brokers' exporters (ScrapeConfig `jobName`). */
export const MSK_JOBS = { jmx: "msk-jmx", node: "msk-node" } as const;
/** Records behind above which any consumer group raises a ticket. */
export const CONSUMER_LAG_BACKSTOP = 100000;
/** Free share of a broker volume under which a ticket is raised. */
export const BROKER_DISK_FREE_MIN = 0.15;

const volume = `job="${MSK_JOBS.node}",fstype!~"tmpfs|rootfs|overlay"`;

export function kafkaHealthRules(): AlertingRule[] {
  const rule = (alert: string, expr: string, forDuration: string, severity: "critical" | "warning", summary: string, description: string): AlertingRule => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity, team: PLATFORM_TEAM, service: "kafka" },
    annotations: { summary, description, runbook_url: runbookUrl(alert) },
  });
  return [
    rule(
      "KafkaOfflinePartitions",
      `sum(kafka_controller_KafkaController_Value{job="${MSK_JOBS.jmx}",name="OfflinePartitionsCount"}) > 0`,
      "1m",
      "critical",
      "Kafka: {{ $value }} partition(s) offline",
      "At least one partition has no leader: its producers and consumers are stopped. Check the brokers in the MSK console and the broker logs.",
    ),
    rule(
      "KafkaUnderReplicatedPartitions",
      `sum by (instance) (kafka_server_ReplicaManager_Value{job="${MSK_JOBS.jmx}",name="UnderReplicatedPartitions"}) > 0`,
      "10m",
      "warning",
      "Kafka: {{ $value }} under-replicated partition(s) on {{ $labels.instance }}",
      "Followers have been out of sync for 10 minutes; losing one more broker would take writes below min.insync.replicas.",
    ),
    rule(
      "KafkaBrokerDiskLow",
      `min by (instance) (node_filesystem_avail_bytes{${volume}} / node_filesystem_size_bytes{${volume}}) < ${BROKER_DISK_FREE_MIN}`,
      "10m",
      "warning",
      "Kafka: broker {{ $labels.instance }} has under 15% disk free",
      "A broker volume is filling up. Grow kafka.brokerVolumeGb (MSK storage can only grow) or shorten retention before the broker stops.",
    ),
    rule(
      "KafkaConsumerGroupLagHigh",
      `sum by (consumergroup) (kafka_consumergroup_lag) > ${CONSUMER_LAG_BACKSTOP}`,
      "15m",
      "warning",
      "Kafka: group {{ $labels.consumergroup }} is {{ $value }} records behind",
      "A consumer group has been far behind for 15 minutes. Check its pods, their errors and the partition count against its replicas.",
    ),
  ];
}

export function kafkaHealthRuleFile(config: PlatformConfig): RuleFile {
  return { groups: [{ name: "trademaster-kafka-health", interval: `${ruleOptions(config).evaluationIntervalSeconds}s`, rules: kafkaHealthRules() }] };
}

/** promtool unit tests: each alert fires on its failure after its `for`, and stays silent when healthy. */
export function kafkaHealthTestFile(config: PlatformConfig): string {
  const { scrapeIntervalSeconds: step, evaluationIntervalSeconds } = ruleOptions(config);
  const interval = `${step}s`;
  const samples = Math.ceil(3600 / step);
  const at = (minutes: number) => `${minutes}m`;
  const rules = new Map(kafkaHealthRules().map((r) => [r.alert, r]));
  const exp = (name: string, labels: Record<string, string>, value: string, summaryLabels: Record<string, string> = {}) => {
    const r = rules.get(name)!;
    const fill = (s: string) => s.replace("{{ $value }}", value).replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, k: string) => summaryLabels[k] ?? labels[k] ?? "");
    return [{ exp_labels: { ...r.labels, ...labels }, exp_annotations: { ...r.annotations, summary: fill(r.annotations.summary) } }];
  };
  const jmx = (name: string, instance: string) => `kafka_controller_KafkaController_Value{job="${MSK_JOBS.jmx}",name="${name}",instance="${instance}"}`;
  const urp = (instance: string) => `kafka_server_ReplicaManager_Value{job="${MSK_JOBS.jmx}",name="UnderReplicatedPartitions",instance="${instance}"}`;
  const fs = (metric: string, instance: string) => `${metric}{job="${MSK_JOBS.node}",fstype="ext4",mountpoint="/kafka/datalogs",instance="${instance}"}`;
  const lag = (group: string, partition: string) => `kafka_consumergroup_lag{consumergroup="${group}",topic="events",partition="${partition}"}`;
  const b1 = "b-1:11001";
  const n1 = "b-1:11002";
  const tests = [
    {
      name: "KafkaOfflinePartitions: fires one minute after a partition goes offline, silent when all have leaders",
      interval,
      input_series: [{ series: jmx("OfflinePartitionsCount", b1), values: `0x${Math.ceil(600 / step)} 2x${samples}` }],
      alert_rule_test: [
        { eval_time: at(9), alertname: "KafkaOfflinePartitions", exp_alerts: [] },
        { eval_time: at(13), alertname: "KafkaOfflinePartitions", exp_alerts: exp("KafkaOfflinePartitions", {}, "2") },
      ],
    },
    {
      name: "KafkaUnderReplicatedPartitions: a short resync is silent, 10 minutes out of sync fires",
      interval,
      input_series: [{ series: urp(b1), values: `0x${Math.ceil(600 / step)} 3x${Math.ceil(180 / step)} 0x${Math.ceil(600 / step)} 3x${samples}` }],
      alert_rule_test: [
        { eval_time: at(15), alertname: "KafkaUnderReplicatedPartitions", exp_alerts: [] },
        { eval_time: at(35), alertname: "KafkaUnderReplicatedPartitions", exp_alerts: exp("KafkaUnderReplicatedPartitions", { instance: b1 }, "3") },
      ],
    },
    {
      name: "KafkaBrokerDiskLow: 50% free is silent, 10% free for 10 minutes fires",
      interval,
      input_series: [
        { series: fs("node_filesystem_size_bytes", n1), values: `1000x${samples}` },
        { series: fs("node_filesystem_avail_bytes", n1), values: `500x${Math.ceil(600 / step)} 100x${samples}` },
      ],
      alert_rule_test: [
        { eval_time: at(9), alertname: "KafkaBrokerDiskLow", exp_alerts: [] },
        { eval_time: at(25), alertname: "KafkaBrokerDiskLow", exp_alerts: exp("KafkaBrokerDiskLow", { instance: n1 }, "0.1") },
      ],
    },
    {
      name: "KafkaConsumerGroupLagHigh: lag summed over partitions, fires after 15 minutes above the backstop",
      interval,
      input_series: [
        { series: lag("svc-portfolio", "0"), values: `10x${Math.ceil(600 / step)} ${CONSUMER_LAG_BACKSTOP}x${samples}` },
        { series: lag("svc-portfolio", "1"), values: `10x${Math.ceil(600 / step)} 1x${samples}` },
      ],
      alert_rule_test: [
        { eval_time: at(9), alertname: "KafkaConsumerGroupLagHigh", exp_alerts: [] },
        { eval_time: at(30), alertname: "KafkaConsumerGroupLagHigh", exp_alerts: exp("KafkaConsumerGroupLagHigh", { consumergroup: "svc-portfolio" }, String(CONSUMER_LAG_BACKSTOP + 1)) },
      ],
    },
  ];
  return yaml.dump({ rule_files: [`../prometheus/${KAFKA_HEALTH_RULE_FILE}`], evaluation_interval: `${evaluationIntervalSeconds}s`, tests }, { lineWidth: -1, noRefs: true });
}

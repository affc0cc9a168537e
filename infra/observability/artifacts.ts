/**
 * Plain files the offline plan writes beside plan.json (`out/<stack>/...`), so promtool and
 * amtool can check exactly what the cluster gets. Pure.
 * - prometheus/market-clock.rules.yaml and prometheus/<service>-<sli>.rules.yaml (one group each),
 *   prometheus/platform-health.rules.yaml (self-alerts);
 * - alertmanager/alertmanager.yaml with placeholders instead of the PagerDuty key and Slack URL;
 * - promtool/*.test.yaml unit tests generated from the catalog.
 */
import * as yaml from "js-yaml";
import type { PlatformContext } from "../contracts";
import { alertmanagerYaml, PLACEHOLDERS } from "./alertmanager";
import { CONSISTENCY_RULE_FILE, consistencyRuleFile } from "./consistency";
import { MARKET_CLOCK_FILE, promtoolTestFiles } from "./promtool-tests";
import { KAFKA_HEALTH_RULE_FILE, KAFKA_HEALTH_TEST_FILE, kafkaHealthRuleFile, kafkaHealthTestFile } from "./kafka-health";
import { PLATFORM_HEALTH_RULE_FILE, platformHealthRuleFile, platformHealthTestFile } from "./self-alerts";
import { marketClockGroup, ruleOptions, serviceRuleGroups, type RuleFile } from "./slo";

/** Prometheus rule files by file name (under prometheus/). */
export function prometheusRuleFiles(ctx: PlatformContext): Record<string, RuleFile> {
  const opts = ruleOptions(ctx.config);
  const files: Record<string, RuleFile> = { [MARKET_CLOCK_FILE]: { groups: [marketClockGroup(ctx.catalog, opts)] } };
  for (const service of ctx.catalog.services) {
    // One file per group: slo-<service>-<sli> → <service>-<sli>.rules.yaml (promtool loads only what a test needs).
    for (const group of serviceRuleGroups(service, opts)) files[`${group.name.replace(/^slo-/, "")}.rules.yaml`] = { groups: [group] };
  }
  files[PLATFORM_HEALTH_RULE_FILE] = platformHealthRuleFile(ctx.catalog, ctx.config);
  files[CONSISTENCY_RULE_FILE] = consistencyRuleFile(ctx.catalog, ctx.config);
  // MSK broker health (AWS stacks): declared with the event bus, infra/data/kafka.ts.
  if (ctx.config.onAws) files[KAFKA_HEALTH_RULE_FILE] = kafkaHealthRuleFile(ctx.config);
  return files;
}

/** The Alertmanager config as amtool checks it: same shape, placeholder secrets. */
export function placeholderAlertmanagerYaml(ctx: PlatformContext): string {
  return alertmanagerYaml(ctx.catalog, {
    pagerdutyRoutingKey: ctx.config.pagerdutyRoutingKey ? PLACEHOLDERS.pagerdutyRoutingKey : undefined,
    slackWebhookUrl: ctx.config.slackWebhookUrl ? PLACEHOLDERS.slackWebhookUrl : undefined,
    heartbeatUrl: ctx.config.heartbeatUrl ? PLACEHOLDERS.heartbeatUrl : undefined,
  });
}

/** Relative path under out/<stack>/ → file content. */
export function observabilityArtifacts(ctx: PlatformContext): Record<string, string> {
  const out: Record<string, string> = {};
  const dump = (doc: unknown) => yaml.dump(doc, { lineWidth: -1, noRefs: true });
  for (const [name, file] of Object.entries(prometheusRuleFiles(ctx))) out[`prometheus/${name}`] = dump(file);
  out["alertmanager/alertmanager.yaml"] = placeholderAlertmanagerYaml(ctx);
  for (const [name, text] of Object.entries(promtoolTestFiles(ctx.catalog, ruleOptions(ctx.config)))) out[`promtool/${name}`] = text;
  out["promtool/platform-health.test.yaml"] = platformHealthTestFile(ctx.catalog, ctx.config);
  if (ctx.config.onAws) out[`promtool/${KAFKA_HEALTH_TEST_FILE}`] = kafkaHealthTestFile(ctx.config);
  return out;
}

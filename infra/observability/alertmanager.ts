/**
 * Alertmanager configuration (pure): routes by severity, then by the alert's `team` label.
 * Receivers: PagerDuty for pages, Slack for pages and tickets, and a heartbeat webhook (the
 * dead-man's switch) that receives kube-prometheus-stack's always-firing `Watchdog` every minute:
 * when the pings stop, the external heartbeat service pages (Prometheus, Alertmanager or the
 * cluster is down). Secrets come in as arguments: the component passes the real values (into a
 * Kubernetes Secret only), the plain artifact passes placeholders.
 *
 * Pages are grouped by service: one notification per incident of a service, whatever the number
 * of its alerts (availability, traffic loss, latency). Inhibition, narrowest explanation first:
 * - CriticalPathDown (no critical-path target scraped: a cluster-level outage) mutes the
 *   per-service and per-namespace alerts (`scope` service|namespace), nothing else;
 * - CriticalNamespaceDown mutes the per-service alerts of that namespace only;
 * - a critical alert of a service mutes that service's warnings (never alerts without a service).
 */
import * as yaml from "js-yaml";
import type { Catalog } from "../catalog/schema";

/** group_wait of pages: short, it counts in the time to detect. */
export const PAGE_GROUP_WAIT_SECONDS = 10;
export const DEFAULT_GROUP_WAIT_SECONDS = 30;

/** Team that owns platform alerts and alerts without a team label. */
export const PLATFORM_TEAM = "platform";

export const PLACEHOLDERS = {
  pagerdutyRoutingKey: "PAGERDUTY_ROUTING_KEY_PLACEHOLDER",
  slackWebhookUrl: "https://hooks.slack.com/services/PLACEHOLDER/PLACEHOLDER/PLACEHOLDER",
  heartbeatUrl: "https://heartbeat.invalid/PLACEHOLDER",
} as const;

/** How often the heartbeat receiver is pinged (the heartbeat service's period; set its grace to 5m). */
export const HEARTBEAT_INTERVAL = "1m";

/** Alerts that say the cluster or a namespace is down; they inhibit what they explain. */
export const CLUSTER_DOWN_ALERT = "CriticalPathDown";
export const NAMESPACE_DOWN_ALERT = "CriticalNamespaceDown";

export interface AlertmanagerSecrets {
  /** PagerDuty Events v2 routing key; without it pages go to Slack only. */
  pagerdutyRoutingKey?: string;
  /** Slack incoming-webhook URL; without it no Slack notifications. */
  slackWebhookUrl?: string;
  /** Dead-man's switch URL pinged with Watchdog; without it (local) Watchdog goes nowhere. */
  heartbeatUrl?: string;
}

export const receiverName = {
  page: (team: string) => `${team}-page`,
  ticket: (team: string) => `${team}-ticket`,
  silent: "null",
  heartbeat: "heartbeat",
} as const;

export function slackChannel(team: string): string {
  return `#tm-${team}-alerts`;
}

/** Teams that get their own receivers: the catalog's plus the platform team. */
export function alertTeams(catalog: Catalog): string[] {
  return [...new Set([PLATFORM_TEAM, ...catalog.services.map((s) => s.team)])].sort();
}

function receivers(team: string, secrets: AlertmanagerSecrets): Array<Record<string, unknown>> {
  const slack = (page: boolean) =>
    secrets.slackWebhookUrl
      ? {
          slack_configs: [
            {
              api_url: secrets.slackWebhookUrl,
              channel: slackChannel(team),
              send_resolved: true,
              title: `${page ? "[PAGE] " : ""}{{ .CommonLabels.alertname }} {{ .CommonLabels.service }}`,
              text: "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}",
            },
          ],
        }
      : {};
  return [
    {
      name: receiverName.page(team),
      ...(secrets.pagerdutyRoutingKey
        ? {
            pagerduty_configs: [
              {
                routing_key: secrets.pagerdutyRoutingKey,
                severity: "critical",
                send_resolved: true,
                description: "{{ .CommonLabels.alertname }} {{ .CommonLabels.service }}: {{ .CommonAnnotations.summary }}",
                details: { team, runbook: "{{ .CommonAnnotations.runbook_url }}" },
              },
            ],
          }
        : {}),
      ...slack(true),
    },
    { name: receiverName.ticket(team), ...slack(false) },
  ];
}

/** The whole Alertmanager configuration as data. */
export function alertmanagerConfig(catalog: Catalog, secrets: AlertmanagerSecrets): Record<string, unknown> {
  const teams = alertTeams(catalog);
  const byTeam = (kind: "page" | "ticket") =>
    teams.filter((t) => t !== PLATFORM_TEAM).map((team) => ({ matchers: [`team="${team}"`], receiver: receiverName[kind](team) }));
  return {
    global: { resolve_timeout: "5m" },
    route: {
      receiver: receiverName.ticket(PLATFORM_TEAM),
      group_by: ["alertname", "service", "slo"],
      group_wait: `${DEFAULT_GROUP_WAIT_SECONDS}s`,
      group_interval: "5m",
      repeat_interval: "4h",
      routes: [
        // kube-prometheus-stack's always-firing Watchdog: the dead-man's switch, pinged every minute.
        secrets.heartbeatUrl
          ? {
              matchers: ['alertname="Watchdog"'],
              receiver: receiverName.heartbeat,
              group_by: ["alertname"],
              group_wait: "0s",
              group_interval: HEARTBEAT_INTERVAL,
              repeat_interval: HEARTBEAT_INTERVAL,
            }
          : { matchers: ['alertname="Watchdog"'], receiver: receiverName.silent },
        { matchers: ['alertname="InfoInhibitor"'], receiver: receiverName.silent },
        {
          matchers: ['severity="critical"'],
          receiver: receiverName.page(PLATFORM_TEAM),
          // One page group per incident of a service (platform alerts without a service share one).
          group_by: ["service"],
          group_wait: `${PAGE_GROUP_WAIT_SECONDS}s`,
          group_interval: "1m",
          repeat_interval: "1h",
          routes: byTeam("page"),
        },
        { matchers: ['severity="warning"'], receiver: receiverName.ticket(PLATFORM_TEAM), routes: byTeam("ticket") },
        { matchers: ['severity=~"info|none"'], receiver: receiverName.silent },
      ],
    },
    inhibit_rules: [
      { source_matchers: [`alertname="${CLUSTER_DOWN_ALERT}"`], target_matchers: ['scope=~"service|namespace"'] },
      { source_matchers: [`alertname="${NAMESPACE_DOWN_ALERT}"`], target_matchers: ['scope="service"'], equal: ["namespace"] },
      { source_matchers: ['severity="critical"', 'service=~".+"'], target_matchers: ['severity="warning"', 'service=~".+"'], equal: ["service"] },
    ],
    receivers: [
      { name: receiverName.silent },
      ...(secrets.heartbeatUrl ? [{ name: receiverName.heartbeat, webhook_configs: [{ url: secrets.heartbeatUrl, send_resolved: false }] }] : []),
      ...teams.flatMap((t) => receivers(t, secrets)),
    ],
  };
}

export function alertmanagerYaml(catalog: Catalog, secrets: AlertmanagerSecrets): string {
  return yaml.dump(alertmanagerConfig(catalog, secrets), { lineWidth: -1, noRefs: true });
}

/**
 * Alertmanager configuration (pure): routes by severity, then by the alert's `team` label;
 * inhibits warnings while a critical alert of the same service fires. Receivers: PagerDuty for
 * pages, Slack for pages and tickets. Secrets come in as arguments: the component passes the real
 * values (into a Kubernetes Secret only), the plain artifact passes placeholders.
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
} as const;

export interface AlertmanagerSecrets {
  /** PagerDuty Events v2 routing key; without it pages go to Slack only. */
  pagerdutyRoutingKey?: string;
  /** Slack incoming-webhook URL; without it no Slack notifications. */
  slackWebhookUrl?: string;
}

export const receiverName = {
  page: (team: string) => `${team}-page`,
  ticket: (team: string) => `${team}-ticket`,
  silent: "null",
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
        // kube-prometheus-stack's always-firing heartbeat and informational alerts.
        { matchers: ['alertname=~"Watchdog|InfoInhibitor"'], receiver: receiverName.silent },
        {
          matchers: ['severity="critical"'],
          receiver: receiverName.page(PLATFORM_TEAM),
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
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["service"] },
    ],
    receivers: [{ name: receiverName.silent }, ...teams.flatMap((t) => receivers(t, secrets))],
  };
}

export function alertmanagerYaml(catalog: Catalog, secrets: AlertmanagerSecrets): string {
  return yaml.dump(alertmanagerConfig(catalog, secrets), { lineWidth: -1, noRefs: true });
}

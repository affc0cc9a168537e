/**
 * Observability: kube-prometheus-stack with selectors, ServiceMonitors/PodMonitor, SLO rules,
 * Alertmanager (secrets in a Secret only), dashboards, exporters, tracing (OTel Collector with
 * tail sampling + Jaeger v2) and logs (ECK + Fluent Bit, when observability.logging.enabled).
 *
 * Secure defaults: receivers' PagerDuty key and Slack URL only ever inside a Kubernetes Secret
 * (Pulumi secret); Elasticsearch keeps TLS on; every chart is pinned under charts/.
 */
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import type { PlatformContext } from "../contracts";
import { pinnedChart } from "../charts/pinned";
import { declareKubeObject, declareKubeObjects, standardLabels } from "../kube/object";
import { alertmanagerYaml } from "./alertmanager";
import { dashboardConfigMaps } from "./dashboards";
import { ES_URL, fluentBitValues, loggingObjects } from "./logging";
import { MONITORING_SELECTOR, monitoringObjects } from "./monitors";
import { collectorValues, jaegerValues } from "./tracing";

export type ObservabilityArgs = PlatformContext;

/** Secret holding the full Alertmanager config (referenced by alertmanagerSpec.configSecret). */
export const ALERTMANAGER_CONFIG_SECRET = "alertmanager-trademaster";

/** Chart values the program sets on kube-prometheus-stack (pure). */
export function kubePrometheusStackValues(ctx: PlatformContext): Record<string, unknown> {
  const o = ctx.config.observability;
  const selector = { matchLabels: { ...MONITORING_SELECTOR } };
  return {
    commonLabels: { ...MONITORING_SELECTOR },
    prometheus: {
      prometheusSpec: {
        scrapeInterval: `${o.scrapeIntervalSeconds}s`,
        evaluationInterval: `${o.evaluationIntervalSeconds}s`,
        retention: o.prometheusRetention,
        ruleSelector: selector,
        serviceMonitorSelector: selector,
        podMonitorSelector: selector,
      },
    },
    alertmanager: { alertmanagerSpec: { configSecret: ALERTMANAGER_CONFIG_SECRET } },
    grafana: { replicas: o.grafanaReplicas },
  };
}

export class Observability extends pulumi.ComponentResource {
  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:observability:Observability", name, {}, opts);
    const { config, catalog } = args;
    const child = { parent: this };
    const stack = config.stack;

    const secretValue = (v: string | undefined) => (v ? pulumi.secret(v) : pulumi.output(undefined));
    const amConfig = pulumi
      .all([secretValue(config.pagerdutyRoutingKey), secretValue(config.slackWebhookUrl)])
      .apply(([pagerdutyRoutingKey, slackWebhookUrl]) => alertmanagerYaml(catalog, { pagerdutyRoutingKey, slackWebhookUrl }));
    const amSecret = declareKubeObject(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: ALERTMANAGER_CONFIG_SECRET, namespace: PLATFORM_NAMESPACES.monitoring, labels: standardLabels("alertmanager", "config") },
        type: "Opaque",
        stringData: { "alertmanager.yaml": pulumi.secret(amConfig) },
      },
      child,
    );

    const kps = pinnedChart("kube-prometheus-stack", { chart: "kube-prometheus-stack", stack, values: kubePrometheusStackValues(args) }, { ...child, dependsOn: [amSecret] });
    const afterCrds = { ...child, dependsOn: [kps] };
    declareKubeObjects([...monitoringObjects(catalog, config), ...dashboardConfigMaps(catalog, config)], afterCrds);

    const exporters = ["prometheus-kafka-exporter", "prometheus-redis-exporter", "prometheus-postgres-exporter"];
    if (config.observability.logging.enabled) exporters.push("prometheus-elasticsearch-exporter");
    for (const e of exporters) pinnedChart(e, { chart: e, stack, values: { serviceMonitor: { enabled: true, labels: { ...MONITORING_SELECTOR } } } }, afterCrds);

    let esUrl: string | undefined;
    if (config.observability.logging.enabled) {
      const eck = pinnedChart("eck-operator", { chart: "eck-operator", stack }, child);
      // The log store holds the audit trail: protected from deletion with the data in prod.
      for (const o of loggingObjects(config)) {
        declareKubeObject(o, { ...child, dependsOn: [eck], protect: config.protectData && o.kind === "Elasticsearch" });
      }
      pinnedChart("fluent-bit", { chart: "fluent-bit", stack, values: fluentBitValues() }, { ...child, dependsOn: [eck] });
      esUrl = ES_URL;
    }
    const jaeger = pinnedChart("jaeger", { chart: "jaeger", stack, values: jaegerValues(config, esUrl) }, child);
    pinnedChart("opentelemetry-collector", { chart: "opentelemetry-collector", stack, values: collectorValues(config) }, { ...child, dependsOn: [jaeger] });

    this.registerOutputs({ alertmanagerConfigSecret: ALERTMANAGER_CONFIG_SECRET });
  }
}

/**
 * Observability: kube-prometheus-stack with selectors, PodMonitors on Istio's merged metrics, SLO
 * and platform self-alert rules,
 * Alertmanager (secrets in a Secret only), dashboards, exporters with their targets, tracing (OTel Collector with
 * tail sampling + Jaeger v2) and logs (ECK + Fluent Bit, when observability.logging.enabled).
 *
 * Secure defaults: receivers' PagerDuty key, Slack URL and heartbeat URL only ever inside a Kubernetes Secret
 * (Pulumi secret); Elasticsearch keeps TLS on; every chart is pinned under charts/.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import type { PlatformContext } from "../contracts";
import { pinnedChart } from "../charts/pinned";
import { declareKubeObject, declareKubeObjects, standardLabels } from "../kube/object";
import type { ExporterTargets } from "../data/exporter-access";
import { alertmanagerYaml } from "./alertmanager";
import { exporterCharts, exporterSecrets } from "./exporters";
import { dashboardConfigMaps } from "./dashboards";
import { elasticsearchHttpDnsNames, ES_URL, fluentBitValues, loggingObjects } from "./logging";
import { MONITORING_SELECTOR, monitoringObjects } from "./monitors";
import { collectorValues, JAEGER_INDEX_PREFIX, jaegerValues } from "./tracing";
import { traceStorageSecrets } from "./trace-storage";
import { serverCertificate } from "../kube/tls";

export interface ObservabilityArgs extends PlatformContext {
  /**
   * Endpoints and least-privilege credentials of the exporters' stores (from DataStores).
   * Without them no exporter is installed (an exporter without a target only fails).
   */
  exporterTargets?: ExporterTargets;
}

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
        // ScrapeConfigs (e.g. the MSK brokers' open monitoring) are selected like the monitors.
        scrapeConfigSelector: selector,
        scrapeConfigNamespaceSelector: {},
      },
    },
    alertmanager: { alertmanagerSpec: { configSecret: ALERTMANAGER_CONFIG_SECRET } },
    // Subcharts' ServiceMonitors are not reached by commonLabels: each takes the label under its own key.
    grafana: { replicas: o.grafanaReplicas, serviceMonitor: { labels: { ...MONITORING_SELECTOR } } },
    "kube-state-metrics": { prometheus: { monitor: { additionalLabels: { ...MONITORING_SELECTOR } } } },
    "prometheus-node-exporter": { prometheus: { monitor: { additionalLabels: { ...MONITORING_SELECTOR } } } },
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
      .all([secretValue(config.pagerdutyRoutingKey), secretValue(config.slackWebhookUrl), secretValue(config.heartbeatUrl)])
      .apply(([pagerdutyRoutingKey, slackWebhookUrl, heartbeatUrl]) => alertmanagerYaml(catalog, { pagerdutyRoutingKey, slackWebhookUrl, heartbeatUrl }));
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

    let esUrl: string | undefined;
    let logStore: pulumi.Resource[] = [];
    if (config.observability.logging.enabled) {
      const eck = pinnedChart("eck-operator", { chart: "eck-operator", stack }, child);
      // Jaeger's user, its role and the HTTP certificate exist before the cluster that reads them.
      const esCert = serverCertificate("elasticsearch-http", { caCommonName: "TradeMaster Elasticsearch CA", dnsNames: elasticsearchHttpDnsNames() }, this);
      const jaegerPassword = new random.RandomPassword("jaeger-es", { length: 32, special: false }, child).result;
      const storageSecrets = Object.values(
        declareKubeObjects(traceStorageSecrets({ password: jaegerPassword, ...esCert }, JAEGER_INDEX_PREFIX), child),
      );
      // The log store holds the audit trail: protected from deletion with the data in prod.
      const objs = loggingObjects(config);
      const declared = new Map<string, pulumi.Resource>();
      for (const o of objs.filter((x) => x.kind !== "Job")) {
        declared.set(o.kind, declareKubeObject(o, { ...child, dependsOn: [eck, ...storageSecrets], protect: config.protectData && o.kind === "Elasticsearch" }));
      }
      // The ILM Job needs the cluster (its CA and elastic user) and its ConfigMap; a Job's
      // template is immutable, so a new policy replaces it.
      for (const job of objs.filter((x) => x.kind === "Job")) {
        declareKubeObject(job, { ...child, dependsOn: [...declared.values()], deleteBeforeReplace: true });
      }
      logStore = [...declared.values()];
      pinnedChart("fluent-bit", { chart: "fluent-bit", stack, values: fluentBitValues() }, { ...child, dependsOn: [eck] });
      esUrl = ES_URL;
    }

    if (args.exporterTargets) {
      const secrets = Object.values(declareKubeObjects(exporterSecrets(args.exporterTargets), child));
      for (const e of exporterCharts(args.exporterTargets, config)) {
        const deps = [kps, ...secrets, ...(e.kind === "elasticsearch" ? logStore : [])];
        pinnedChart(e.chart, { chart: e.chart, stack, namespace: e.namespace, values: e.values }, { ...child, dependsOn: deps });
      }
    }
    const jaeger = pinnedChart("jaeger", { chart: "jaeger", stack, values: jaegerValues(config, esUrl) }, child);
    pinnedChart("opentelemetry-collector", { chart: "opentelemetry-collector", stack, values: collectorValues(config) }, { ...child, dependsOn: [jaeger] });

    this.registerOutputs({ alertmanagerConfigSecret: ALERTMANAGER_CONFIG_SECRET });
  }
}

/**
 * Pure builders of the Prometheus Operator objects: a ServiceMonitor per catalog service, a
 * PodMonitor for the Istio sidecars (mesh SLIs), and one PrometheusRule per rule file. Every
 * object carries {@link MONITORING_SELECTOR} so the platform's Prometheus picks it up and nothing
 * else's does.
 */
import type { Catalog, ServiceSpec } from "../catalog/schema";
import { MESHED_PLATFORM_NAMESPACES, PLATFORM_NAMESPACES, serviceNamespaces } from "../cluster/namespaces";
import type { PlatformConfig } from "../config/schema";
import { standardLabels, type KubeObject } from "../kube/object";
import { METRICS_PORT_NAME, metricsPath, ruleOptions, sloRuleFiles, type RuleFile } from "./slo";

/** The label Prometheus selects ServiceMonitors, PodMonitors and PrometheusRules by. */
export const MONITORING_SELECTOR = { "trademaster.io/monitoring": "enabled" } as const;

const MONITORING_NS = PLATFORM_NAMESPACES.monitoring;

function labels(app: string, component: string): Record<string, string> {
  return standardLabels(app, component, { ...MONITORING_SELECTOR });
}

export function serviceMonitor(service: ServiceSpec, config: PlatformConfig): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: service.name, namespace: MONITORING_NS, labels: labels(service.name, "service-monitor") },
    spec: {
      namespaceSelector: { matchNames: [service.namespace] },
      selector: { matchLabels: { app: service.name } },
      // Series keep the owning team so dashboards and ad-hoc queries can filter by it.
      podTargetLabels: ["trademaster.io/team"],
      endpoints: [
        {
          port: METRICS_PORT_NAME,
          path: metricsPath(service),
          scheme: "http",
          interval: `${config.observability.scrapeIntervalSeconds}s`,
          scrapeTimeout: `${Math.min(10, config.observability.scrapeIntervalSeconds)}s`,
          honorLabels: false,
        },
      ],
    },
  };
}

/** Envoy sidecars of every meshed namespace: istio_requests_total and circuit-breaker stats. */
export function meshPodMonitor(catalog: Catalog, config: PlatformConfig): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: "istio-sidecars", namespace: MONITORING_NS, labels: labels("istio-sidecars", "pod-monitor") },
    spec: {
      namespaceSelector: { matchNames: [...new Set([...serviceNamespaces(catalog), ...MESHED_PLATFORM_NAMESPACES])].sort() },
      selector: { matchExpressions: [{ key: "security.istio.io/tlsMode", operator: "Exists" }] },
      podMetricsEndpoints: [
        {
          // The sidecar's own Prometheus port; outside the mTLS data path.
          port: "http-envoy-prom",
          path: "/stats/prometheus",
          interval: `${config.observability.scrapeIntervalSeconds}s`,
          relabelings: [
            { sourceLabels: ["__meta_kubernetes_pod_label_app"], targetLabel: "app", action: "replace" },
          ],
        },
      ],
    },
  };
}

export function prometheusRule(name: string, file: RuleFile): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: `trademaster-${name}`, namespace: MONITORING_NS, labels: labels(name, "slo-rules") },
    spec: { groups: file.groups },
  };
}

/** Every monitoring object of the catalog. */
export function monitoringObjects(catalog: Catalog, config: PlatformConfig): KubeObject[] {
  const rules = sloRuleFiles(catalog, ruleOptions(config));
  return [
    ...catalog.services.map((s) => serviceMonitor(s, config)),
    meshPodMonitor(catalog, config),
    ...Object.entries(rules).map(([name, file]) => prometheusRule(name, file)),
  ];
}

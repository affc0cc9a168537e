/**
 * Pure builders of the Prometheus Operator objects: one PodMonitor per catalog service and one
 * for the gateway's sidecars, all on Istio's merged metrics endpoint, and one PrometheusRule per
 * rule file. Every object carries {@link MONITORING_SELECTOR} so the platform's Prometheus picks
 * it up and nothing else's does.
 *
 * Why the merged endpoint: the mesh enforces STRICT mTLS on every port, so Prometheus (outside
 * the mesh) cannot reach a service's own metrics port. With `enablePrometheusMerge` the sidecar
 * agent reads the app's metrics over localhost (from the pod's `prometheus.io/*` annotations) and
 * serves them together with Envoy's on :15020 `/stats/prometheus`, a port Envoy does not
 * intercept. One scrape per pod therefore yields the app's business metrics and the mesh SLIs
 * (istio_requests_total, ...): scraping :15090 as well would count every Envoy series twice.
 *
 * Why not `portNumber: 15020`: the operator keeps only targets whose pod declares that container
 * port, and the injected istio-proxy container declares only :15090 (`http-envoy-prom`). So the
 * endpoint selects that declared port (one target per pod) and rewrites the address to :15020.
 */
import type { Catalog, ServiceSpec } from "../catalog/schema";
import { MESHED_PLATFORM_NAMESPACES, PLATFORM_NAMESPACES } from "../cluster/namespaces";
import type { PlatformConfig } from "../config/schema";
import { standardLabels, type KubeObject } from "../kube/object";
import { consistencyRuleFile } from "./consistency";
import { platformHealthRuleFile } from "./self-alerts";
import { ruleOptions, sloRuleFiles, type RuleFile } from "./slo";

/** The label Prometheus selects ServiceMonitors, PodMonitors and PrometheusRules by. */
export const MONITORING_SELECTOR = { "trademaster.io/monitoring": "enabled" } as const;

/** Istio's merged (app + Envoy + agent) metrics endpoint on every injected pod. */
export const MERGED_METRICS = { port: 15020, path: "/stats/prometheus" } as const;
/** The only port the injected istio-proxy container declares: used to pick one target per pod. */
export const SIDECAR_DECLARED_PORT = "http-envoy-prom";

/** `job` label of the gateway's sidecars (the default `<namespace>/<PodMonitor name>`). */
export const GATEWAY_SIDECARS_MONITOR = "gateway-sidecars";
export const GATEWAY_SIDECARS_JOB = `${PLATFORM_NAMESPACES.monitoring}/${GATEWAY_SIDECARS_MONITOR}`;

const MONITORING_NS = PLATFORM_NAMESPACES.monitoring;

function labels(app: string, component: string): Record<string, string> {
  return standardLabels(app, component, { ...MONITORING_SELECTOR });
}

/**
 * Relabelings of a merged-metrics endpoint: address → pod IP :15020 (IPv6 in brackets), and the
 * `app` and `service` labels from the pod's `app` label. Business-metric queries and the
 * delivery-latency SLI select `{namespace, service}`; a ServiceMonitor used to add `service`
 * (the Kubernetes Service name), a PodMonitor has to set it.
 */
export function mergedMetricsRelabelings(): Array<Record<string, unknown>> {
  const port = MERGED_METRICS.port;
  return [
    { sourceLabels: ["__meta_kubernetes_pod_ip"], regex: "(.+:.+)", replacement: `[$1]:${port}`, targetLabel: "__address__", action: "replace" },
    { sourceLabels: ["__meta_kubernetes_pod_ip"], regex: "([^:]+)", replacement: `$1:${port}`, targetLabel: "__address__", action: "replace" },
    { sourceLabels: ["__meta_kubernetes_pod_label_app"], targetLabel: "app", action: "replace" },
    { sourceLabels: ["__meta_kubernetes_pod_label_app"], targetLabel: "service", action: "replace" },
  ];
}

function mergedEndpoint(config: PlatformConfig): Record<string, unknown> {
  const interval = config.observability.scrapeIntervalSeconds;
  return {
    port: SIDECAR_DECLARED_PORT,
    path: MERGED_METRICS.path,
    scheme: "http",
    interval: `${interval}s`,
    scrapeTimeout: `${Math.min(10, interval)}s`,
    honorLabels: false,
    relabelings: mergedMetricsRelabelings(),
  };
}

/** `job` label of a service's metrics (the PodMonitor takes it from the pod's `app` label). */
export function serviceJob(service: Pick<ServiceSpec, "name">): string {
  return service.name;
}

/** A service's pods: app and Envoy metrics from the merged endpoint, one scrape per pod. */
export function servicePodMonitor(service: ServiceSpec, config: PlatformConfig): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: service.name, namespace: MONITORING_NS, labels: labels(service.name, "pod-monitor") },
    spec: {
      namespaceSelector: { matchNames: [service.namespace] },
      selector: { matchLabels: { app: service.name } },
      // job = the pod's app label = the service name (alerts and dashboards select by it).
      jobLabel: "app",
      // Series keep the owning team so dashboards and ad-hoc queries can filter by it.
      podTargetLabels: ["trademaster.io/team"],
      podMetricsEndpoints: [mergedEndpoint(config)],
    },
  };
}

/**
 * The gateway's sidecars (meshed platform namespaces): their Envoy reports every external call
 * with `reporter="source"`, which the availability, latency and circuit-breaker SLIs read.
 */
export function gatewaySidecarsPodMonitor(config: PlatformConfig): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: GATEWAY_SIDECARS_MONITOR, namespace: MONITORING_NS, labels: labels(GATEWAY_SIDECARS_MONITOR, "pod-monitor") },
    spec: {
      namespaceSelector: { matchNames: [...MESHED_PLATFORM_NAMESPACES].sort() },
      selector: { matchExpressions: [{ key: "security.istio.io/tlsMode", operator: "Exists" }] },
      podMetricsEndpoints: [mergedEndpoint(config)],
    },
  };
}

export function prometheusRule(name: string, file: RuleFile): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: `trademaster-${name}`, namespace: MONITORING_NS, labels: labels(name, "rules") },
    spec: { groups: file.groups },
  };
}

/** Every monitoring object of the catalog. */
export function monitoringObjects(catalog: Catalog, config: PlatformConfig): KubeObject[] {
  const rules = sloRuleFiles(catalog, ruleOptions(config));
  return [
    ...catalog.services.map((s) => servicePodMonitor(s, config)),
    gatewaySidecarsPodMonitor(config),
    ...Object.entries(rules).map(([name, file]) => prometheusRule(name, file)),
    prometheusRule("platform-health", platformHealthRuleFile(catalog, config)),
    prometheusRule("consistency", consistencyRuleFile(catalog, config)),
  ];
}

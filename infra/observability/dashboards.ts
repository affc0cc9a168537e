/**
 * Grafana dashboards (pure) built with @grafana/grafana-foundation-sdk and delivered as
 * ConfigMaps for the Grafana sidecar (label grafana_dashboard, folder annotation grafana_folder):
 * per service RED + SLO + error budget, platform (Kafka lag, Redis, Postgres, mesh), business.
 */
import { DashboardBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import type { Catalog, ServiceSpec } from "../catalog/schema";
import { consumerGroupId } from "../catalog/derive";
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import type { PlatformConfig } from "../config/schema";
import { standardLabels, type KubeObject } from "../kube/object";
import { consistencyPanelQueries } from "./consistency";
import { baseWindow, ruleOptions, SERIES, sliDefinitions } from "./slo";

type Dashboard = ReturnType<DashboardBuilder["build"]>;

function panel(title: string, exprs: string[], unit = "short") {
  const p = new TimeseriesBuilder().title(title).unit(unit).height(8).span(12);
  for (const e of exprs) p.withTarget(new DataqueryBuilder().expr(e));
  return p;
}

export function serviceDashboard(service: ServiceSpec, config: PlatformConfig): Dashboard {
  const b = baseWindow(ruleOptions(config));
  const sel = `destination_service_name="${service.name}",destination_service_namespace="${service.namespace}",reporter="source"`;
  const d = new DashboardBuilder(`${service.name}: RED and SLOs`).uid(`tm-svc-${service.name}`).tags(["trademaster", service.team]).refresh("30s");
  d.withRow(new RowBuilder("RED"));
  d.withPanel(panel("Requests/s", [`sum(rate(istio_requests_total{${sel}}[5m]))`], "reqps"));
  d.withPanel(panel("Errors (5xx share)", [`sum(rate(istio_requests_total{${sel},response_code=~"5.."}[5m])) / sum(rate(istio_requests_total{${sel}}[5m]))`], "percentunit"));
  d.withPanel(panel("Duration p50/p90/p99", [0.5, 0.9, 0.99].map((q) => `histogram_quantile(${q}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${sel}}[5m])))`), "ms"));
  d.withRow(new RowBuilder("SLOs and error budget"));
  for (const sli of sliDefinitions(service, b)) {
    const l = `service="${service.name}",slo="${sli.kind}"`;
    d.withPanel(panel(`SLO ${sli.kind}: error ratio vs budget`, [`${SERIES.errorRatio("1h")}{${l}}`, `1 - ${SERIES.objective}{${l}}`], "percentunit"));
    d.withPanel(
      panel(`SLO ${sli.kind}: error budget remaining (${sli.periodDays}d)`, [
        `1 - (sum_over_time(${SERIES.errors(b)}{${l}}[${sli.periodDays}d]) / sum_over_time(${SERIES.requests(b)}{${l}}[${sli.periodDays}d])) / (1 - ${sli.objective})`,
      ], "percentunit"),
    );
  }
  if (service.businessMetrics.length) {
    d.withRow(new RowBuilder("Business metrics"));
    for (const m of service.businessMetrics) d.withPanel(businessPanel(service, m));
  }
  return d.build();
}

function businessPanel(service: ServiceSpec, m: ServiceSpec["businessMetrics"][number]) {
  const sel = `namespace="${service.namespace}",service="${service.name}"`;
  const expr =
    m.type === "counter"
      ? `sum(rate(${m.name}{${sel}}[5m]))`
      : m.type === "gauge"
        ? `sum(${m.name}{${sel}})`
        : `histogram_quantile(0.9, sum by (le) (rate(${m.name}_bucket{${sel}}[5m])))`;
  return panel(`${m.name}: ${m.description}`, [expr], m.unit === "s" ? "s" : "short");
}

export function platformDashboard(catalog: Catalog): Dashboard {
  const d = new DashboardBuilder("Platform: Kafka, Redis, Postgres, mesh").uid("tm-platform").tags(["trademaster", "platform"]);
  const consumers = catalog.services.filter((s) => s.consumes.length).map(consumerGroupId);
  d.withPanel(panel("Kafka consumer lag by group", [`sum by (consumergroup) (kafka_consumergroup_lag{consumergroup=~"${consumers.join("|")}"})`]));
  d.withPanel(panel("Redis: commands/s and memory", ["sum(rate(redis_commands_processed_total[5m]))", "sum(redis_memory_used_bytes)"]));
  d.withPanel(panel("Postgres: connections and deadlocks", ["sum by (datname) (pg_stat_database_numbackends)", "sum(rate(pg_stat_database_deadlocks[5m]))"]));
  d.withPanel(panel("Mesh: outlier ejections and pool overflows", ["sum by (cluster_name) (envoy_cluster_outlier_detection_ejections_active)", "sum by (cluster_name) (rate(envoy_cluster_upstream_rq_pending_overflow[5m]))"]));
  d.withPanel(panel("Elasticsearch cluster health", ["max(elasticsearch_cluster_health_status{color=\"green\"})"]));
  for (const q of consistencyPanelQueries(catalog)) d.withPanel(panel(q.title, q.exprs, q.unit));
  return d.build();
}

export function businessDashboard(catalog: Catalog): Dashboard {
  const d = new DashboardBuilder("Business: trading").uid("tm-business").tags(["trademaster", "business"]);
  for (const s of catalog.services) for (const m of s.businessMetrics) d.withPanel(businessPanel(s, m));
  d.withPanel(
    panel("Circuit-breaker activation rate by service", [
      `sum by (destination_service_name) (rate(istio_requests_total{reporter="source",response_flags=~".*(UO|UH).*"}[5m])) / sum by (destination_service_name) (rate(istio_requests_total{reporter="source"}[5m]))`,
    ], "percentunit"),
  );
  return d.build();
}

/** Dashboards by folder → file name. */
export function dashboards(catalog: Catalog, config: PlatformConfig): Array<{ folder: string; name: string; dashboard: Dashboard }> {
  return [
    ...catalog.services.map((s) => ({ folder: "TradeMaster Services", name: `service-${s.name}`, dashboard: serviceDashboard(s, config) })),
    { folder: "TradeMaster Platform", name: "platform", dashboard: platformDashboard(catalog) },
    { folder: "TradeMaster Business", name: "business", dashboard: businessDashboard(catalog) },
  ];
}

export function dashboardConfigMaps(catalog: Catalog, config: PlatformConfig): KubeObject[] {
  return dashboards(catalog, config).map(({ folder, name, dashboard }) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: `dashboard-${name}`,
      namespace: PLATFORM_NAMESPACES.monitoring,
      labels: standardLabels(name, "dashboard", { grafana_dashboard: "1" }),
      annotations: { grafana_folder: folder },
    },
    data: { [`${name}.json`]: JSON.stringify(dashboard) },
  }));
}

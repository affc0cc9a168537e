import { describe, expect, it } from "vitest";
import { dashboardConfigMaps } from "../../infra/observability/dashboards";
import { loggingObjects, ilmPolicies } from "../../infra/observability/logging";
import { MONITORING_SELECTOR, monitoringObjects } from "../../infra/observability/monitors";
import { collectorValues } from "../../infra/observability/tracing";
import { kubePrometheusStackValues } from "../../infra/observability";
import { contextFor, STACKS } from "./helpers";

describe("observability objects", () => {
  for (const stack of STACKS) {
    const ctx = contextFor(stack);
    it(`${stack}: ServiceMonitors, PodMonitor and PrometheusRules validate against the operator schemas`, async () => {
      const { ServiceMonitor, PodMonitor, PrometheusRule } = await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1");
      const objs = monitoringObjects(ctx.catalog, ctx.config);
      const ctors: Record<string, new (o: never) => { validate(): void }> = { ServiceMonitor, PodMonitor, PrometheusRule } as never;
      for (const o of objs) {
        expect(o.metadata.labels).toMatchObject(MONITORING_SELECTOR);
        expect(() => new ctors[o.kind](o as never).validate()).not.toThrow();
      }
      const monitors = objs.filter((o) => o.kind === "ServiceMonitor");
      expect(monitors.map((m) => m.metadata.name).sort()).toEqual(ctx.catalog.services.map((s) => s.name).sort());
      for (const m of monitors) {
        const ep = (m.spec as { endpoints: Array<{ port: string; path: string }> }).endpoints[0];
        expect(ep.port).toBe("http-metrics");
        const svc = ctx.catalog.services.find((s) => s.name === m.metadata.name);
        expect(ep.path).toBe(svc?.runtime === "jvm" ? "/actuator/prometheus" : "/metrics");
      }
    });
    it(`${stack}: Prometheus selects exactly the monitoring label`, () => {
      const v = kubePrometheusStackValues(ctx) as { prometheus: { prometheusSpec: Record<string, unknown> } };
      for (const k of ["ruleSelector", "serviceMonitorSelector", "podMonitorSelector"]) {
        expect(v.prometheus.prometheusSpec[k]).toEqual({ matchLabels: MONITORING_SELECTOR });
      }
    });
    it(`${stack}: dashboards are sidecar ConfigMaps in folders`, () => {
      for (const cm of dashboardConfigMaps(ctx.catalog, ctx.config)) {
        expect(cm.metadata.labels?.grafana_dashboard).toBe("1");
        expect(cm.metadata.annotations?.grafana_folder).toMatch(/^TradeMaster /);
        const json = JSON.parse(Object.values(cm.data as Record<string, string>)[0]) as { panels: unknown[] };
        expect(json.panels.length).toBeGreaterThan(0);
      }
    });
    it(`${stack}: tail sampling keeps errors and slow traces and samples the rest at the stack's rate`, () => {
      const cfg = collectorValues(ctx.config) as { config: { processors: { tail_sampling: { policies: Array<Record<string, Record<string, unknown>>> } } } };
      const p = cfg.config.processors.tail_sampling.policies;
      expect(p.find((x) => String(x.type) === "status_code")?.status_code).toEqual({ status_codes: ["ERROR"] });
      expect(p.find((x) => String(x.type) === "latency")?.latency).toEqual({ threshold_ms: ctx.config.observability.tailSampling.latencyThresholdMs });
      expect(p.find((x) => String(x.type) === "probabilistic")?.probabilistic).toEqual({ sampling_percentage: ctx.config.observability.tailSampling.baseRatePercent });
    });
    it(`${stack}: logs only when enabled, with TLS and longer audit retention`, () => {
      const objs = loggingObjects(ctx.config);
      expect(objs.length > 0).toBe(ctx.config.observability.logging.enabled);
      const ilm = ilmPolicies(ctx.config) as Record<string, { policy: { phases: { delete: { min_age: string } } } }>;
      expect(ilm["trademaster-logs"].policy.phases.delete.min_age).toBe(`${ctx.config.observability.logging.retentionDays}d`);
      expect(parseInt(ilm["trademaster-audit"].policy.phases.delete.min_age)).toBeGreaterThan(parseInt(ilm["trademaster-logs"].policy.phases.delete.min_age));
      const es = objs.find((o) => o.kind === "Elasticsearch");
      if (es) expect((es.spec as { http: { tls: { selfSignedCertificate: { disabled: boolean } } } }).http.tls.selfSignedCertificate.disabled).toBe(false);
    });
  }
});

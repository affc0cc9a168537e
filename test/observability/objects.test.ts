import { describe, expect, it } from "vitest";
import { dashboardConfigMaps } from "../../infra/observability/dashboards";
import { loggingObjects, ilmPolicies } from "../../infra/observability/logging";
import { mergedMetricsRelabelings, MONITORING_SELECTOR, monitoringObjects } from "../../infra/observability/monitors";
import { collectorValues } from "../../infra/observability/tracing";
import { kubePrometheusStackValues } from "../../infra/observability";
import { formatSchemaIssues, validatePlanObjects } from "../../infra/plan/schemas";
import { contextFor, STACKS } from "./helpers";

describe("observability objects", () => {
  for (const stack of STACKS) {
    const ctx = contextFor(stack);
    it(`${stack}: PodMonitors and PrometheusRules validate against the Prometheus Operator CRDs (kube-prometheus-stack 79.8.1)`, async () => {
      const objs = monitoringObjects(ctx.catalog, ctx.config);
      for (const o of objs) expect(o.metadata.labels).toMatchObject(MONITORING_SELECTOR);
      const report = await validatePlanObjects(objs.map((object) => ({ object })));
      expect(report.issues, formatSchemaIssues(report.issues)).toEqual([]);
      expect(report.custom).toBe(objs.length);
      // No ServiceMonitor on the services' metrics port: STRICT mTLS would refuse the scrape.
      expect(objs.filter((o) => o.kind === "ServiceMonitor")).toEqual([]);
    });
    it(`${stack}: every service and the gateway sidecars are scraped once, on Istio's merged endpoint :15020`, () => {
      type Ep = { port: string; path: string; relabelings: Array<{ sourceLabels?: string[]; regex?: string; replacement?: string; targetLabel: string }> };
      type Pm = { metadata: { name: string }; spec: { namespaceSelector: { matchNames: string[] }; selector: { matchLabels?: Record<string, string> }; jobLabel?: string; podMetricsEndpoints: Ep[] } };
      const monitors = monitoringObjects(ctx.catalog, ctx.config).filter((o) => o.kind === "PodMonitor") as unknown as Pm[];
      expect(monitors.map((m) => m.metadata.name).sort()).toEqual([...ctx.catalog.services.map((s) => s.name), "gateway-sidecars"].sort());
      for (const s of ctx.catalog.services) {
        const m = monitors.find((x) => x.metadata.name === s.name)!;
        expect(m.spec.namespaceSelector.matchNames).toEqual([s.namespace]);
        expect(m.spec.selector.matchLabels).toEqual({ app: s.name });
        expect(m.spec.jobLabel).toBe("app");
      }
      // Service namespaces and the gateway's are disjoint: no pod is scraped by two monitors.
      const gw = monitors.find((m) => m.metadata.name === "gateway-sidecars")!;
      expect(gw.spec.namespaceSelector.matchNames.filter((n) => ctx.catalog.services.some((s) => s.namespace === n))).toEqual([]);
      for (const m of monitors) {
        expect(m.spec.podMetricsEndpoints).toHaveLength(1);
        const ep = m.spec.podMetricsEndpoints[0];
        expect(ep.path).toBe("/stats/prometheus");
        const address = ep.relabelings.filter((r) => r.targetLabel === "__address__");
        expect(address.map((r) => r.replacement)).toEqual(["[$1]:15020", "$1:15020"]);
        // The labels business-metric and delivery-latency queries select by.
        expect(ep.relabelings.find((r) => r.targetLabel === "service")?.sourceLabels).toEqual(["__meta_kubernetes_pod_label_app"]);
      }
    });
    it(`${stack}: the address rewrite yields pod-ip:15020 for IPv4 and IPv6 (relabel regexes are anchored)`, () => {
      const rules = mergedMetricsRelabelings().filter((r) => r.targetLabel === "__address__") as Array<{ regex: string; replacement: string }>;
      const apply = (ip: string) => {
        let address = `${ip}:15090`;
        for (const r of rules) {
          const m = new RegExp(`^(?:${r.regex})$`).exec(ip);
          if (m) address = r.replacement.replace("$1", m[1]);
        }
        return address;
      };
      expect(apply("10.1.2.3")).toBe("10.1.2.3:15020");
      expect(apply("fd00::1")).toBe("[fd00::1]:15020");
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
      if (es) {
        // HTTPS on: ECK serves the certificate of a kubernetes.io/tls Secret (the program issues it, so
        // Jaeger in another namespace can be given its CA), never plain HTTP.
        const tls = (es.spec as { http: { tls: { selfSignedCertificate?: { disabled?: boolean }; certificate?: { secretName?: string } } } }).http.tls;
        expect(tls.selfSignedCertificate?.disabled).not.toBe(true);
        expect(tls.certificate?.secretName).toMatch(/-es-http-tls$/);
      }
      // What the ECK CRD does not enforce: exact stack versions, and data volumes kept when the cluster object is deleted.
      for (const o of objs.filter((x) => x.kind === "Elasticsearch" || x.kind === "Kibana")) expect((o.spec as { version: string }).version).toMatch(/^\d+\.\d+\.\d+$/);
      if (es) expect((es.spec as { volumeClaimDeletePolicy: string }).volumeClaimDeletePolicy).toBe("DeleteOnScaledownOnly");
    });
  }
});

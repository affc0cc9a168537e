/** Integration: the real program's offline plan for each stack. */
import { describe, expect, it } from "vitest";
import { SECRET } from "../../infra/plan/types";
import { planFor, STACKS } from "../helpers/plan";

describe("observability in the offline plan", () => {
  for (const stack of STACKS) {
    it(`${stack}: monitors, rules, dashboards and pinned charts under the Observability component; secrets masked`, async () => {
      const plan = await planFor(stack);
      const mine = plan.resources.filter((r) => r.component === "trademaster:observability:Observability");
      const kinds = (t: string) => mine.filter((r) => r.type === t).length;
      expect(kinds("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")).toBe(0);
      expect(kinds("kubernetes:monitoring.coreos.com/v1:PodMonitor")).toBe(8);
      expect(kinds("kubernetes:monitoring.coreos.com/v1:PrometheusRule")).toBeGreaterThanOrEqual(8);
      const charts = mine.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart").map((r) => r.name);
      expect(charts).toEqual(expect.arrayContaining(["kube-prometheus-stack", "jaeger", "opentelemetry-collector", "prometheus-kafka-exporter"]));
      expect(charts.includes("eck-operator")).toBe(stack !== "local");
      const amSecret = mine.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name.includes("alertmanager-trademaster"));
      expect(amSecret).toBeDefined();
      expect(JSON.stringify(amSecret?.inputs)).toContain(SECRET);
      expect(JSON.stringify(amSecret?.inputs)).not.toContain("hooks.slack.com/services/T");
    }, 120_000);

    it(`${stack}: every exporter has a target; passwords only through Secrets (masked), none in chart values`, async () => {
      const plan = await planFor(stack);
      const charts = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.name.endsWith("-exporter"));
      const logs = stack !== "local";
      expect(charts.map((c) => c.name).sort()).toEqual(
        ["prometheus-kafka-exporter", "prometheus-postgres-exporter", "prometheus-redis-exporter", ...(logs ? ["prometheus-elasticsearch-exporter"] : [])].sort(),
      );
      const values = (n: string) => charts.find((c) => c.name === n)!.inputs.values as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form chart values
      const kafka = values("prometheus-kafka-exporter");
      expect(kafka.sasl.scram).toMatchObject({ enabled: true, mechanism: "scram-sha512", secretName: "kafka-exporter-scram" });
      expect(kafka.tls).toMatchObject({ enabled: true, insecureSkipVerify: false });
      expect(kafka.kafkaServer).toBeDefined();
      // Local brokers present the platform's listener certificate: the exporter trusts its CA.
      if (stack === "local") expect(kafka.tls.secretName).toBe("kafka-listener-ca");
      expect(values("prometheus-redis-exporter").auth).toMatchObject({ enabled: true, redisUser: "tm-redis-exporter", secret: { name: "redis-exporter-auth", key: "password" } });
      expect(values("prometheus-redis-exporter").redisTlsConfig.enabled).toBe(stack !== "local");
      const pg = values("prometheus-postgres-exporter").config.datasource;
      expect(pg).toMatchObject({ user: "tm_metrics_exporter", passwordSecret: { name: "postgres-exporter-auth", key: "password" } });
      expect(["require", "verify-full"]).toContain(pg.sslmode);
      for (const c of charts) {
        const text = JSON.stringify(c.inputs.values);
        expect(text, c.name).not.toMatch(/"(password|redisPassword)"\s*:\s*"(?!\[)/);
        expect(text).not.toContain(SECRET);
      }
      // The Secrets the charts reference exist in the plan with masked content.
      const secrets = plan.resources.filter((r) => r.inputs.kind === "Secret" && /exporter/.test(String((r.inputs.metadata as { name: string }).name)));
      const names = secrets.map((r) => (r.inputs.metadata as { name: string }).name);
      expect(names).toEqual(expect.arrayContaining(["redis-exporter-auth", "postgres-exporter-auth", "kafka-exporter-scram"]));
      for (const s of secrets) expect(JSON.stringify(s.inputs.stringData)).toContain(SECRET);
    }, 120_000);

    it(`${stack}: the ILM Job runs after the log store and its ConfigMap (logs on) and nowhere else`, async () => {
      const plan = await planFor(stack);
      const job = plan.resources.find((r) => r.inputs.kind === "Job" && (r.inputs.metadata as { name: string }).name === "ilm-apply");
      expect(job !== undefined).toBe(stack !== "local");
      if (job) {
        expect(job.dependencies.some((d) => d.endsWith("Elasticsearch::elasticsearch-logging-logs"))).toBe(true);
        expect(job.dependencies.some((d) => d.endsWith("ConfigMap::configmap-logging-ilm-policies"))).toBe(true);
      }
    }, 120_000);
  }
});

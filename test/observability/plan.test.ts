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
      expect(kinds("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")).toBe(7);
      expect(kinds("kubernetes:monitoring.coreos.com/v1:PodMonitor")).toBe(1);
      expect(kinds("kubernetes:monitoring.coreos.com/v1:PrometheusRule")).toBeGreaterThanOrEqual(8);
      const charts = mine.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart").map((r) => r.name);
      expect(charts).toEqual(expect.arrayContaining(["kube-prometheus-stack", "jaeger", "opentelemetry-collector", "prometheus-kafka-exporter"]));
      expect(charts.includes("eck-operator")).toBe(stack !== "local");
      const amSecret = mine.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name.includes("alertmanager-trademaster"));
      expect(amSecret).toBeDefined();
      expect(JSON.stringify(amSecret?.inputs)).toContain(SECRET);
      expect(JSON.stringify(amSecret?.inputs)).not.toContain("hooks.slack.com/services/T");
    }, 120_000);
  }
});

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { observabilityArtifacts } from "../../infra/observability/artifacts";
import { KAFKA_HEALTH_RULE_FILE, KAFKA_HEALTH_TEST_FILE, kafkaHealthRules, MSK_JOBS } from "../../infra/observability/kafka-health";
import { runbookFile } from "../../infra/observability/slo";
import { MSK_OPEN_MONITORING_PORTS } from "../../infra/aws/spec";
import { loadCatalog } from "../../infra/catalog/load";
import { kubeOfKind, planFor } from "../helpers/plan";
import { stackConfig } from "../mesh/stack";

const ROOT = path.join(__dirname, "..", "..");

describe("MSK broker metrics and health alerts", () => {
  it.each(["staging", "prod"] as const)("scrapes the brokers' JMX and node exporters and declares the health rules (%s)", async (stack) => {
    const plan = await planFor(stack);
    const scrapes = kubeOfKind(plan, "ScrapeConfig");
    expect(scrapes.map((s) => (s.inputs.spec as { jobName: string }).jobName).sort()).toEqual([MSK_JOBS.jmx, MSK_JOBS.node]);
    for (const s of scrapes) expect((s.inputs.metadata as { labels?: Record<string, string> }).labels).toMatchObject({ "trademaster.io/monitoring": "enabled" });
    const rule = kubeOfKind(plan, "PrometheusRule").find((r) => r.inputs.metadata.name === "trademaster-kafka-health")!;
    const alerts = (rule.inputs.spec as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts.sort()).toEqual(["KafkaBrokerDiskLow", "KafkaConsumerGroupLagHigh", "KafkaOfflinePartitions", "KafkaUnderReplicatedPartitions"]);
    expect(MSK_OPEN_MONITORING_PORTS).toEqual({ jmx: 11001, node: 11002 });
  });

  it("local (Strimzi) has no MSK scrape jobs", async () => {
    expect(kubeOfKind(await planFor("local"), "ScrapeConfig")).toHaveLength(0);
  });

  it("every alert has severity, team, summary, description and an existing runbook", () => {
    for (const r of kafkaHealthRules()) {
      expect(["critical", "warning"]).toContain(r.labels.severity);
      expect(r.labels.team).toBe("platform");
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.description.length).toBeGreaterThan(20);
      expect(fs.existsSync(path.join(ROOT, runbookFile(r.alert))), runbookFile(r.alert)).toBe(true);
    }
  });

  it("promtool: the rules are valid and each alert fires on its failure and is silent when healthy", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-kafka-health-"));
    const files = observabilityArtifacts({ config: stackConfig("prod"), catalog: loadCatalog() });
    for (const f of [`prometheus/${KAFKA_HEALTH_RULE_FILE}`, `promtool/${KAFKA_HEALTH_TEST_FILE}`]) {
      expect(files[f], f).toBeDefined();
      fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), files[f]);
    }
    expect(execFileSync("promtool", ["check", "rules", path.join(dir, "prometheus", KAFKA_HEALTH_RULE_FILE)], { encoding: "utf8" })).toContain("SUCCESS: 4 rules found");
    expect(execFileSync("promtool", ["test", "rules", path.join(dir, "promtool", KAFKA_HEALTH_TEST_FILE)], { encoding: "utf8" })).toContain("SUCCESS");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/** Self-alerts, exporter identities, ILM Job and Elasticsearch sizing (pure builders). */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { kafkaExporterAcls, postgresExporterSql, REDIS_EXPORTER_RULES, strimziExporterUser } from "../../infra/data/exporter-access";
import { redisAclFile } from "../../infra/data/local";
import { PLATFORM_TEAM } from "../../infra/observability/alertmanager";
import { elasticsearchHeap, ilmApplyScript, ilmConfigData, ilmJob, LOG_FAMILIES, loggingObjects } from "../../infra/observability/logging";
import { criticalPathJobs, platformHealthAlerts, platformHealthTestFile, selfAlertTimeToDetect, SELF_ALERT_NAMES } from "../../infra/observability/self-alerts";
import { ruleOptions, runbookFile } from "../../infra/observability/slo";
import { contextFor, STACKS } from "./helpers";

const ROOT = path.join(__dirname, "..", "..");

describe("platform self-alerts", () => {
  for (const stack of STACKS) {
    const ctx = contextFor(stack);
    const alerts = platformHealthAlerts(ctx.catalog, ctx.config);
    it(`${stack}: every self-alert has severity, platform team, summary, description and an existing runbook`, () => {
      expect(new Set(alerts.map((a) => a.name))).toEqual(new Set(SELF_ALERT_NAMES));
      for (const a of alerts) {
        expect(["critical", "warning"]).toContain(a.rule.labels.severity);
        expect(a.rule.labels.team).toBe(PLATFORM_TEAM);
        expect(a.rule.annotations.summary).toContain(a.job);
        expect(a.rule.annotations.description.length).toBeGreaterThan(30);
        expect(fs.existsSync(path.join(ROOT, runbookFile(a.name))), runbookFile(a.name)).toBe(true);
        expect(a.rule.annotations.runbook_url.endsWith(runbookFile(a.name).replace("docs/runbooks/", ""))).toBe(true);
      }
    });
    it(`${stack}: the critical path (critical services + gateway sidecars) pages within 5 minutes when unscraped`, () => {
      const critical = ctx.catalog.services.filter((s) => s.criticality === "critical").map((s) => s.name);
      const expected = [...critical, "monitoring/gateway-sidecars"];
      expect(criticalPathJobs(ctx.catalog).map((j) => j.job)).toEqual(expected);
      const pages = alerts.filter((a) => a.name === "CriticalPathMetricsMissing");
      expect(pages.map((a) => a.job)).toEqual(expected);
      for (const a of pages) {
        expect(a.rule.labels.severity).toBe("critical");
        // absent() covers a job whose pods are all gone.
        expect(a.rule.expr).toContain(`absent(up{job="${a.job}"})`);
        expect(selfAlertTimeToDetect(a, ruleOptions(ctx.config))).toBeLessThanOrEqual(300);
      }
    });
    it(`${stack}: one exporter-down and one target-down rule per exporter the stack runs`, () => {
      const exporters = alerts.filter((a) => a.name === "MetricsExporterDown").map((a) => a.rule.labels.exporter);
      expect(exporters.sort()).toEqual(ctx.config.observability.logging.enabled ? ["elasticsearch", "kafka", "postgres", "redis"] : ["kafka", "postgres", "redis"]);
      expect(alerts.filter((a) => a.name === "MetricsExporterTargetDown")).toHaveLength(exporters.length);
    });
    it(`${stack}: promtool tests cover every self-alert firing and staying silent`, () => {
      const doc = yaml.load(platformHealthTestFile(ctx.catalog, ctx.config)) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
      const checks = doc.tests.flatMap((t) => t.alert_rule_test);
      for (const name of SELF_ALERT_NAMES) {
        expect(checks.some((c) => c.alertname === name && c.exp_alerts.length > 0), `${name} fires`).toBe(true);
        expect(checks.some((c) => c.alertname === name && c.exp_alerts.length === 0), `${name} silent`).toBe(true);
      }
    });
  }
});

describe("exporter identities (least privilege)", () => {
  it("Kafka: Describe only, never Read or Write", () => {
    expect(new Set(kafkaExporterAcls().map((a) => a.operation))).toEqual(new Set(["Describe"]));
    const [user, secret] = strimziExporterUser("p".repeat(32));
    expect(user.spec.authorization.acls.flatMap((a) => a.operations)).toEqual(["Describe", "Describe", "Describe"]);
    expect(user.spec.authentication.password?.valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
  });
  it("Redis: stats commands, no key pattern, no dangerous or CONFIG command", () => {
    expect(REDIS_EXPORTER_RULES).toMatch(/^resetchannels -@all /);
    expect(REDIS_EXPORTER_RULES).not.toMatch(/~|\+@|config|flush|keys/i);
    const acl = redisAclFile([
      { name: "default", keyPattern: "ratelimit:*", password: "a".repeat(32) },
      { name: "tm-redis-exporter", keyPattern: "", password: "b".repeat(32), rules: REDIS_EXPORTER_RULES },
    ]);
    expect(acl).toContain(`user tm-redis-exporter reset on >${"b".repeat(32)} ${REDIS_EXPORTER_RULES}`);
  });
  it("Postgres: idempotent role in pg_monitor only, no superuser; refuses a weak password", () => {
    const sql = postgresExporterSql("c".repeat(32));
    expect(sql).toContain("WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tm_metrics_exporter')");
    expect(sql).toContain("NOSUPERUSER NOCREATEDB NOCREATEROLE");
    expect(sql).toContain("GRANT pg_monitor TO tm_metrics_exporter;");
    expect(() => postgresExporterSql("short")).toThrow(/16\+/);
  });
});

describe("ILM applied by a Job; Elasticsearch sized per stack", () => {
  for (const stack of STACKS.filter((s) => contextFor(s).config.observability.logging.enabled)) {
    const ctx = contextFor(stack);
    type Container = { image: string; command: string[]; env: Array<{ name: string; value?: string; valueFrom?: unknown }>; securityContext: Record<string, unknown>; resources: { requests: Record<string, string>; limits: Record<string, string> } };
    type PodSpec = { automountServiceAccountToken: boolean; securityContext: Record<string, unknown>; containers: Container[]; volumes: Array<Record<string, unknown>> };
    it(`${stack}: the Job is restricted, pinned, reads the elastic password from ECK's Secret and verifies ECK's CA`, () => {
      const job = ilmJob(ctx.config) as unknown as { spec: { template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } } };
      const pod = job.spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      const c = pod.containers[0];
      expect(c.image).toMatch(/:\d+\.\d+\.\d+$/);
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
      expect(c.env).toEqual([{ name: "ES_PASSWORD", valueFrom: { secretKeyRef: { name: "logs-es-elastic-user", key: "elastic" } } }]);
      expect(pod.volumes).toContainEqual({ name: "es-ca", secret: { secretName: "logs-es-http-certs-public", items: [{ key: "ca.crt", path: "ca.crt" }] } });
      const script = c.command.join(" ");
      expect(script).toContain("--cacert /es-ca/ca.crt");
      expect(script).not.toMatch(/-k\b|--insecure/);
      // The password never appears on a curl command line.
      expect(script).not.toMatch(/-u\s|--user/);
    });
    it(`${stack}: PUTs (create-or-replace) each policy and its template; templates bind <family>-* to the policy`, () => {
      const script = ilmApplyScript();
      const data = ilmConfigData(ctx.config);
      for (const f of LOG_FAMILIES) {
        expect(script).toContain(`put _ilm/policy/${f} ilm-${f}.json`);
        expect(script).toContain(`put _index_template/${f} template-${f}.json`);
        const t = JSON.parse(data[`template-${f}.json`]) as { index_patterns: string[]; data_stream: unknown; template: { settings: Record<string, unknown> } };
        expect(t.index_patterns).toEqual([`${f}-*`]);
        expect(t.data_stream).toEqual({});
        expect(t.template.settings["index.lifecycle.name"]).toBe(f);
        expect(JSON.parse(data[`ilm-${f}.json`])).toHaveProperty("policy.phases.delete");
      }
      expect(script).not.toMatch(/-X (POST|DELETE)/);
    });
    it(`${stack}: a policy change changes the Job's template (so the Job is replaced and re-runs)`, () => {
      const hash = (cfg: typeof ctx.config) => (ilmJob(cfg) as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations["trademaster.io/config-hash"];
      const longer = structuredClone(ctx.config);
      longer.observability.logging.retentionDays += 1;
      expect(hash(longer)).not.toBe(hash(ctx.config));
      expect(hash(structuredClone(ctx.config))).toBe(hash(ctx.config));
    });
    it(`${stack}: Elasticsearch and Kibana carry requests/limits from the stack, heap = half the memory`, () => {
      const l = ctx.config.observability.logging;
      const objs = loggingObjects(ctx.config) as unknown as Array<{ kind: string; spec: { nodeSets?: Array<{ podTemplate: { spec: PodSpec } }>; podTemplate?: { spec: PodSpec } } }>;
      const es = objs.find((o) => o.kind === "Elasticsearch")!.spec.nodeSets![0].podTemplate.spec.containers[0];
      expect(es.resources.requests).toEqual(l.elasticsearchResources);
      expect(es.resources.limits.memory).toBe(l.elasticsearchResources.memory);
      const gi = Number(l.elasticsearchResources.memory.replace("Gi", ""));
      expect(es.env.find((e) => e.name === "ES_JAVA_OPTS")?.value).toBe(`-Xms${gi * 512}m -Xmx${gi * 512}m`);
      expect(elasticsearchHeap(ctx.config)).toBe(`-Xms${gi * 512}m -Xmx${gi * 512}m`);
      const kb = objs.find((o) => o.kind === "Kibana")!.spec.podTemplate!.spec.containers[0];
      expect(kb.resources.requests).toEqual(l.kibanaResources);
    });
  }
  it("prod runs larger Elasticsearch nodes than staging", () => {
    const mem = (s: string) => Number(contextFor(s).config.observability.logging.elasticsearchResources.memory.replace("Gi", ""));
    expect(mem("prod")).toBeGreaterThan(mem("staging"));
  });
});

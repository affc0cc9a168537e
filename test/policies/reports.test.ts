/**
 * Report formats: SARIF checked against the SARIF 2.1.0 required properties and GitHub code
 * scanning's rules, JUnit XML checked for well-formedness, Markdown for the PR comment content.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import { callEdges } from "../../infra/catalog/derive";
import { renderJunit } from "../../policies/reports/junit";
import { renderMarkdown } from "../../policies/reports/markdown";
import { renderSarif } from "../../policies/reports/sarif";
import { buildReport, componentLocation, REPO_ROOT } from "../../policies/reports/model";
import { evaluate } from "../../policies/harness";
import { packConfigFor, pulumiPolicies } from "../../policies/pack";
import { noPublicExposure } from "../../policies/rules/exposure";
import { workloadHardening } from "../../policies/rules/workloads";
import { runPolicies } from "../../policies/runner";
import { deployment, kube, res } from "./fixtures";

const SARIF_LEVELS = ["none", "note", "warning", "error"];
const LOGICAL_KINDS = ["function", "member", "module", "namespace", "parameter", "resource", "returnType", "type", "variable", "object", "array", "property", "value", "element", "text", "attribute", "comment", "declaration", "processingInstruction"];

/** Problems of a SARIF log against the 2.1.0 required properties and GitHub's upload rules. */
function sarifProblems(log: Record<string, unknown>): string[] {
  const p: string[] = [];
  const need = (cond: boolean, what: string) => {
    if (!cond) p.push(what);
  };
  need(log.version === "2.1.0", "version 2.1.0");
  need(typeof log.$schema === "string", "$schema");
  const runs = log.runs as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking untyped JSON
  need(Array.isArray(runs) && runs.length > 0, "runs");
  for (const run of runs ?? []) {
    const driver = run.tool?.driver;
    need(typeof driver?.name === "string", "tool.driver.name");
    const rules: Array<Record<string, any>> = driver?.rules ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any -- untyped JSON
    for (const r of rules) {
      need(typeof r.id === "string", "rule.id");
      need(typeof r.shortDescription?.text === "string", `rule ${r.id} shortDescription.text`);
      need(typeof r.help?.text === "string" && r.help.text.length > 0, `rule ${r.id} help.text`);
      const sev = Number(r.properties?.["security-severity"]);
      need(typeof r.properties?.["security-severity"] === "string" && sev >= 0 && sev <= 10, `rule ${r.id} security-severity`);
      need(SARIF_LEVELS.includes(r.defaultConfiguration?.level), `rule ${r.id} defaultConfiguration.level`);
    }
    for (const res of run.results ?? []) {
      need(typeof res.message?.text === "string", "result.message.text");
      need(SARIF_LEVELS.includes(res.level), "result.level");
      need(rules[res.ruleIndex]?.id === res.ruleId, `result ruleIndex ${res.ruleIndex} names ${res.ruleId}`);
      need(Array.isArray(res.locations) && res.locations.length >= 1 && res.locations.length <= 10, "result.locations (1..10)");
      for (const loc of res.locations ?? []) {
        const uri = loc.physicalLocation?.artifactLocation?.uri;
        need(typeof uri === "string" && !uri.startsWith("/") && !uri.includes(":"), `relative artifact uri (${uri})`);
        need(Number.isInteger(loc.physicalLocation?.region?.startLine) && loc.physicalLocation.region.startLine >= 1, "region.startLine >= 1");
        for (const l of loc.logicalLocations ?? []) need(LOGICAL_KINDS.includes(l.kind), `logicalLocation.kind ${l.kind}`);
      }
    }
  }
  return p;
}

/** Minimal XML 1.0 well-formedness: one root, balanced tags, quoted attributes, escaped text. */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const stack: string[] = [];
  let roots = 0;
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  while ((m = token.exec(body)) !== null) {
    if (m[6]) {
      problems.push(`stray "<" at ${m.index}`);
      continue;
    }
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) problems.push(`unescaped & at ${m.index}`);
      if (stack.length === 0 && m[5].trim()) problems.push("text outside the root");
      continue;
    }
    const [, closing, name, attrs, selfClosing] = m;
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(attrs)) problems.push(`unescaped & in attributes of <${name}>`);
    if (closing) {
      if (stack.pop() !== name) problems.push(`mismatched </${name}>`);
    } else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  if (stack.length) problems.push(`unclosed ${stack.join(",")}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

const catalog = loadCatalog();
const broken = [
  deployment("trading", { replicas: 1, container: { name: "trading", image: "app:latest" } }),
  kube("v1", "ConfigMap", "cfg", { data: { DB_PASSWORD: "a<b&c\"d" } }),
  res("aws:kms/key:Key", "key", {}, { component: "trademaster:aws:AwsFoundation" }),
];

describe("reports", async () => {
  const report = await runPolicies({ stack: "prod", environment: "prod", kind: "plan", file: "fixture.json", resources: broken });

  it("SARIF meets 2.1.0 required properties and GitHub's rules", () => {
    const log = JSON.parse(renderSarif(report)) as Record<string, unknown>;
    expect(sarifProblems(log)).toEqual([]);
    const run = (log.runs as Array<{ results: Array<{ ruleId: string; level: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } }; logicalLocations?: Array<{ fullyQualifiedName: string }> }> }> }>)[0];
    expect(run.results.length).toBe(report.violations.length);
    const keyResult = run.results.find((r) => r.ruleId === "kms-key-rotation")!;
    expect(keyResult.level).toBe("error");
    expect(keyResult.locations[0].physicalLocation.artifactLocation.uri).toBe("infra/aws/index.ts");
    expect(keyResult.locations[0].logicalLocations?.[0].fullyQualifiedName).toBe(broken[2].urn);
  });

  it("the SARIF validator catches a broken log", () => {
    const log = JSON.parse(renderSarif(report)) as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    log.runs[0].results[0].level = "fatal";
    delete log.runs[0].results[0].message;
    expect(sarifProblems(log as unknown as Record<string, unknown>)).toEqual(expect.arrayContaining(["result.level", "result.message.text"]));
  });

  it("JUnit XML is well-formed with one test case per policy and failures for mandatory violations", () => {
    const xml = renderJunit(report);
    expect(xmlProblems(xml)).toEqual([]);
    expect(xmlProblems("<a><b></a>")).not.toEqual([]);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(report.policies.length);
    const failed = report.policies.filter((p) => p.outcome === "fail").map((p) => p.name);
    expect(failed).toEqual(expect.arrayContaining(["workload-hardening", "no-plaintext-secrets", "kms-key-rotation", "replicas-and-disruption-budget"]));
    expect((xml.match(/<failure /g) ?? []).length).toBe(failed.length);
    expect(xml).toContain(`failures="${failed.length}"`);
  });

  it("Markdown has the summary table, the violations and the catalog call graph", () => {
    const md = renderMarkdown(report);
    expect(md).toContain(`❌ ${report.summary.mandatory} mandatory violations`);
    expect(md).toContain("| `workload-hardening` | high | mandatory | ❌ fail |");
    expect(md).toContain("```mermaid\ngraph LR");
    for (const e of callEdges(catalog)) expect(md).toContain(`  ${e.from.replace(/-/g, "_")} --> ${e.to.replace(/-/g, "_")}`);
    expect(md).toContain("**Fix:**");
  });

  it("JSON summary counts what the violations say", () => {
    const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    expect(report.summary).toMatchObject({ mandatory, passed: false, resources: broken.length, policies: report.policies.length });
  });

  it("locates components at their class declaration", () => {
    const loc = componentLocation("trademaster:mesh:ServiceMesh");
    expect(loc.file).toBe("infra/mesh/index.ts");
    expect(loc.line).toBeGreaterThan(1);
    expect(componentLocation(null).file).toBe("infra/platform.ts");
  });
});

/** Attributes the common JUnit schema (Jenkins xunit junit-10.xsd) allows per element, and requires. */
const JUNIT_ATTRIBUTES: Record<string, { allowed: string[]; required: string[] }> = {
  testsuites: { allowed: ["name", "time", "tests", "failures", "errors"], required: [] },
  testsuite: { allowed: ["name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url"], required: ["name", "tests", "failures", "errors"] },
  testcase: { allowed: ["name", "time", "classname", "group"], required: ["name"] },
  failure: { allowed: ["type", "message"], required: [] },
  skipped: { allowed: ["type", "message"], required: [] },
  properties: { allowed: [], required: [] },
  property: { allowed: ["name", "value"], required: ["name", "value"] },
  "system-out": { allowed: [], required: [] },
};
/** junit-10.xsd's SUREFIRE_TIME pattern for time attributes. */
const SUREFIRE_TIME = /^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$/;

function junitSchemaProblems(xml: string): string[] {
  const problems: string[] = [];
  for (const m of xml.matchAll(/<([A-Za-z-]+)((?:\s+[\w-]+="[^"]*")*)\s*\/?>/g)) {
    const [, element, attrs] = m;
    const rules = JUNIT_ATTRIBUTES[element];
    if (!rules) {
      problems.push(`element <${element}> is not in the schema`);
      continue;
    }
    const names = [...attrs.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => ({ name: a[1], value: a[2] }));
    for (const a of names) {
      if (!rules.allowed.includes(a.name)) problems.push(`<${element}> has attribute ${a.name}`);
      if (a.name === "time" && (element === "testsuites" || element === "testsuite") && !SUREFIRE_TIME.test(a.value)) problems.push(`<${element}> time ${a.value}`);
    }
    for (const r of rules.required) if (!names.some((a) => a.name === r)) problems.push(`<${element}> lacks ${r}`);
  }
  return problems;
}

describe("report fidelity", async () => {
  it("JUnit validates against the common JUnit schema's attributes (no skipped on <testsuites>)", async () => {
    const report = await runPolicies({ stack: "prod", environment: "local", kind: "plan", resources: broken });
    const xml = renderJunit(report);
    expect(report.policies.some((p) => p.outcome === "disabled")).toBe(true);
    expect(junitSchemaProblems(xml)).toEqual([]);
    expect(junitSchemaProblems('<testsuites skipped="1"><testsuite name="a" tests="1"></testsuite></testsuites>')).toEqual(["<testsuites> has attribute skipped", "<testsuite> lacks failures", "<testsuite> lacks errors"]);
  });

  it("Markdown shows each control with its framework (CIS AWS 2.2.1 is not PCI DSS 2.2.1)", async () => {
    const md = renderMarkdown(await runPolicies({ stack: "prod", environment: "prod", kind: "plan", resources: broken }));
    expect(md).toMatch(/\| `encryption-at-rest-cmk` \|.*CIS AWS 2\.2\.1/);
    expect(md).toMatch(/\| `workload-hardening` \|.*PCI DSS 2\.2\.1/);
  });

  it("SARIF locates a finding at the line of the violating property in the resource's declaration", async () => {
    const db = res("aws:rds/instance:Instance", "data-postgres-rds", { publiclyAccessible: true }, { component: "trademaster:data:RelationalDatabase" });
    const log = JSON.parse(renderSarif(await runPolicies({ stack: "prod", environment: "prod", kind: "plan", resources: [db] }))) as {
      runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }>;
    };
    const result = log.runs[0].results.find((r) => r.ruleId === "no-public-exposure")!;
    const source = fs.readFileSync(path.join(REPO_ROOT, "infra/data/postgres.ts"), "utf8").split("\n");
    const declaration = source.findIndex((l) => l.includes("new aws.rds.Instance("));
    const property = source.findIndex((l, i) => i > declaration && /\bpubliclyAccessible:/.test(l));
    expect(declaration).toBeGreaterThan(0);
    expect(result.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: "infra/data/postgres.ts", uriBaseId: "%SRCROOT%" }, region: { startLine: property + 1 } });
  });

  it("picks, among several declarations of a type, the one that sets the violating property", async () => {
    const allow = kube("security.istio.io/v1", "AuthorizationPolicy", "trading-allow", { spec: { action: "ALLOW", rules: [{}] } }, "tm-trading", { component: "trademaster:mesh:ServiceMesh" });
    const report = await runPolicies({ stack: "prod", environment: "prod", kind: "plan", resources: [allow] });
    const v = report.violations.find((x) => x.policy === "mesh-authorization" && x.propertyPath === "spec.rules[0].from")!;
    const source = fs.readFileSync(path.join(REPO_ROOT, "infra/mesh/authorization.ts"), "utf8").split("\n");
    const declarations = source.flatMap((l, i) => (l.includes('kind: "AuthorizationPolicy"') ? [i] : []));
    expect(declarations.length).toBeGreaterThan(1);
    // The deny-all declaration has no rules; the allow policy's object literal sets them.
    const rules = source.findIndex((l, i) => i > declarations[1] && /[{,\s]rules:/.test(l));
    expect(v.location).toEqual({ file: "infra/mesh/authorization.ts", line: rules + 1 });
  });

  it("locates a chart-rendered object in its chart's values file", async () => {
    const chart = res("kubernetes:helm.sh/v4:Chart", "mesh-istio-cni", { chart: "cni", version: "1.29.2" }, { component: "trademaster:mesh:ServiceMesh" });
    const ds = kube("apps/v1", "DaemonSet", "istio-cni-node", { spec: { template: { spec: { containers: [{ name: "install-cni", image: "docker.io/istio/install-cni:latest" }] } } } }, "istio-system", { parent: chart.urn });
    const report = await runPolicies({ stack: "prod", environment: "prod", kind: "plan", resources: [chart, ds] }, { policies: [workloadHardening] });
    expect(report.violations.length).toBeGreaterThan(0);
    expect(new Set(report.violations.map((v) => v.location.file))).toEqual(new Set(["charts/istio-cni/values.yaml"]));
  });

  it("fingerprints stay the same when a message is reworded, and differ per property", async () => {
    const resources = [res("aws:rds/instance:Instance", "db", { publiclyAccessible: true }), res("aws:eks/cluster:Cluster", "eks", { vpcConfig: {} })];
    const source = { stack: "prod", environment: "prod", kind: "plan" as const, resources };
    const policies = [noPublicExposure];
    const result = await evaluate(pulumiPolicies(policies), resources, { config: packConfigFor("prod", policies) });
    const reworded = { ...result, diagnostics: result.diagnostics.map((d) => ({ ...d, message: d.message.replace(/ is /, " was found to be ").replace(/:.*$/, ": reworded") })) };
    const a = buildReport(source, policies, result, catalog).violations;
    const b = buildReport(source, policies, reworded, catalog).violations;
    expect(a.map((v) => v.message)).not.toEqual(b.map((v) => v.message));
    expect(b.map((v) => v.fingerprint).sort()).toEqual(a.map((v) => v.fingerprint).sort());
    expect(new Set(a.map((v) => v.fingerprint)).size).toBe(a.length);
    const sarif = JSON.parse(renderSarif(buildReport(source, policies, reworded, catalog))) as { runs: Array<{ results: Array<{ partialFingerprints: Record<string, string> }> }> };
    expect(sarif.runs[0].results.map((r) => r.partialFingerprints["trademasterPolicy/v2"]).sort()).toEqual(a.map((v) => v.fingerprint).sort());
  });
});

/**
 * The offline runner end to end: real plans of the shipped stacks, a deliberately broken prod
 * plan, saved plan and `pulumi stack export` inputs, malformed files and exit codes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { main, parseArgs } from "../../policies/cli";
import { runPolicies, writeReports } from "../../policies/runner";
import { readPlanFile } from "../../infra/plan/read";
import { loadExportFile, SECRET_SIG, SECRET_SIG_KEY } from "../../policies/sources";
import { packConfigFor, PENDING_FIXES } from "../../policies/pack";
import { ValidationError } from "../../infra/validation/schema";
import type { Plan, PlanResource } from "../../infra/plan/types";
import { planFor, STACKS } from "../helpers/plan";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tm-policy-"));
const write = (name: string, content: unknown) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, typeof content === "string" ? content : JSON.stringify(content));
  return f;
};

describe("shipped stacks", () => {
  for (const stack of STACKS) {
    it(`${stack}: reports in four formats and no mandatory violation`, async () => {
      const plan = await planFor(stack);
      const report = await runPolicies({ stack, environment: plan.environment, kind: "program", resources: plan.resources });
      const files = writeReports(report, ["json", "md", "sarif", "junit"], path.join(tmp, stack));
      expect(files.map((f) => path.basename(f))).toEqual(["policy-report.json", "policy-report.md", "policy-report.sarif", "policy-junit.xml"]);
      const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory");
      expect(mandatory.map((v) => `${v.policy}: ${v.urn}: ${v.message}`)).toEqual([]);
      // A policy held at advisory for a pending infrastructure fix still finds it, and the docs say why.
      const docs = fs.readFileSync(path.join(__dirname, "../../docs/policies.md"), "utf8");
      for (const fix of PENDING_FIXES.filter((f) => f.environment === plan.environment)) {
        expect(report.violations.filter((v) => v.policy === fix.policy).length, `${fix.policy} no longer fails ${stack}: remove its pending fix`).toBeGreaterThan(0);
        expect(docs).toMatch(new RegExp(`\\| \`${fix.policy}\` \\| ${fix.environment} \\| .{20,}\\|`));
      }
      expect(report.summary.resources).toBe(plan.resources.length);
      // Levels come from the environment's policy pack config.
      const levels = packConfigFor(plan.environment as "local");
      for (const p of report.policies) expect({ [p.name]: { enforcementLevel: p.enforcementLevel } }).toEqual({ [p.name]: levels[p.name] });
    });
  }
});

/** Applies `mutate` to every resource of `type` in a deep copy of the plan. */
function mutated(plan: Plan, type: string, mutate: (r: PlanResource) => void): Plan {
  const copy = structuredClone(plan);
  copy.resources.filter((r) => r.type === type).forEach(mutate);
  return copy;
}

describe("a deliberately broken prod plan", () => {
  it("produces the expected violations", async () => {
    let plan = await planFor("prod");
    plan = mutated(plan, "kubernetes:apps/v1:Deployment", (r) => {
      const c = (r.inputs as any).spec.template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any -- mutating plan JSON
      c.securityContext.allowPrivilegeEscalation = true;
      c.env = [{ name: "DB_PASSWORD", value: "plaintext" }];
    });
    plan = mutated(plan, "kubernetes:networking.istio.io/v1:VirtualService", (r) => {
      for (const http of (r.inputs as any).spec.http ?? []) delete http.retries; // eslint-disable-line @typescript-eslint/no-explicit-any -- mutating plan JSON
    });
    plan = mutated(plan, "kubernetes:policy/v1:PodDisruptionBudget", (r) => ((r.inputs as any).spec.selector = { matchLabels: { app: "nothing" } })); // eslint-disable-line @typescript-eslint/no-explicit-any -- mutating plan JSON
    for (const t of ["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"]) {
      plan = mutated(plan, t, (r) => {
        r.protect = false;
        r.inputs.deletionProtection = false;
        r.inputs.storageEncrypted = false;
      });
    }
    plan = mutated(plan, "aws:kms/key:Key", (r) => (r.inputs.enableKeyRotation = false));
    const file = write("broken-prod.json", plan);
    const report = await runPolicies({ stack: "prod", environment: "prod", kind: "plan", file, resources: readPlanFile(file).resources });
    const byPolicy = (name: string) => report.violations.filter((v) => v.policy === name && v.enforcementLevel === "mandatory");
    const deployments = plan.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment").length;
    expect(byPolicy("workload-hardening").filter((v) => /allowPrivilegeEscalation/.test(v.message))).toHaveLength(deployments);
    expect(byPolicy("no-plaintext-secrets").filter((v) => /DB_PASSWORD/.test(v.message))).toHaveLength(deployments);
    expect(byPolicy("replicas-and-disruption-budget").filter((v) => /no PodDisruptionBudget/.test(v.message))).toHaveLength(deployments);
    expect(byPolicy("no-retry-non-idempotent").length).toBeGreaterThan(0);
    const rds = plan.resources.filter((r) => r.type === "aws:rds/instance:Instance" || r.type === "aws:rds/cluster:Cluster").length;
    expect(rds).toBeGreaterThan(0);
    expect(byPolicy("data-protection").filter((v) => /not protected/.test(v.message) && /aws:rds/.test(v.resourceType ?? ""))).toHaveLength(rds);
    expect(byPolicy("encryption-at-rest-cmk").filter((v) => /storageEncrypted/.test(v.message))).toHaveLength(rds);
    expect(byPolicy("kms-key-rotation").length).toBe(plan.resources.filter((r) => r.type === "aws:kms/key:Key").length);
    expect(report.summary.passed).toBe(false);
  });
});

describe("inputs", () => {
  it("reads a pulumi stack export: secrets masked, components from the parent chain, environment from the stack", async () => {
    const stackUrn = "urn:pulumi:prod::trademaster-platform::pulumi:pulumi:Stack::trademaster-platform-prod";
    const compUrn = "urn:pulumi:prod::trademaster-platform::trademaster:data:DataStores::data";
    const dbUrn = "urn:pulumi:prod::trademaster-platform::trademaster:data:DataStores$aws:rds/instance:Instance::db";
    const file = write("export.json", {
      version: 3,
      deployment: {
        manifest: {},
        resources: [
          { urn: stackUrn, type: "pulumi:pulumi:Stack", custom: false },
          { urn: compUrn, type: "trademaster:data:DataStores", custom: false, parent: stackUrn },
          {
            urn: dbUrn,
            type: "aws:rds/instance:Instance",
            custom: true,
            parent: compUrn,
            protect: true,
            inputs: { storageEncrypted: true, password: { [SECRET_SIG_KEY]: SECRET_SIG, ciphertext: "v1:abc" }, deletionProtection: true, backupRetentionPeriod: 14, finalSnapshotIdentifier: "final" },
            outputs: {},
          },
        ],
      },
    });
    const exported = loadExportFile(file);
    expect(exported.stack).toBe("prod");
    const db = exported.resources.find((r) => r.urn === dbUrn)!;
    expect(db.inputs.password).toBe("[secret]");
    expect(db.component).toBe("trademaster:data:DataStores");
    expect(db.name).toBe("db");
    const code = await main(["--export", file, "--out", path.join(tmp, "export-out"), "--format", "json,sarif"]);
    const report = JSON.parse(fs.readFileSync(path.join(tmp, "export-out", "policy-report.json"), "utf8"));
    expect(report.source.kind).toBe("export");
    expect(report.violations.filter((v: { urn: string; policy: string }) => v.urn === dbUrn).map((v: { policy: string }) => v.policy)).toEqual(["encryption-at-rest-cmk", "high-availability-data-stores"]);
    // The stack-level policies fail on a stack that has none of the mesh objects: exit code 1.
    expect(code).toBe(1);
  });

  it("names the file, the key path, expected and found for a malformed plan", () => {
    const file = write("bad-plan.json", { version: 1, project: "p", stack: "prod", environment: "prod", resources: [{ urn: "u", type: 3, name: "n" }] });
    let error: unknown;
    try {
      readPlanFile(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const message = (error as Error).message;
    expect(message).toContain("bad-plan.json");
    expect(message).toMatch(/resources\[0\]\.type: expected a string, found 3 \(number\)/);
    expect(message).toMatch(/resources\[0\]\.inputs: expected an object, found nothing \(missing\)/);
  });

  it("rejects invalid JSON and a wrong export version with exit code 2", async () => {
    expect(await main(["--plan", write("garbage.json", "{not json")])).toBe(2);
    expect(() => loadExportFile(write("v2.json", { version: 2, deployment: { resources: [] } }))).toThrow(/version: expected 3 \(pulumi stack export format\), found 2 \(number\)/);
    expect(await main(["--plan", path.join(tmp, "missing.json")])).toBe(2);
  });

  it("validates the command line", () => {
    expect(() => parseArgs(["--stack", "prod", "--plan", "x"])).toThrow(/exactly one source/);
    expect(() => parseArgs(["--stack", "prod", "--format", "pdf"])).toThrow(/--format: expected a comma-separated list/);
    expect(() => parseArgs(["--bogus"])).toThrow(/unknown argument "--bogus"/);
    expect(parseArgs(["--plan=out/prod/plan.json", "--format", "md"])).toMatchObject({ plan: "out/prod/plan.json", formats: ["md"] });
  });

  it("ships policy pack config files equal to the policies' per-environment levels", () => {
    for (const env of ["local", "staging", "prod"] as const) {
      const shipped = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policies", "config", `${env}.json`), "utf8"));
      expect(shipped).toEqual(packConfigFor(env));
    }
  });
});

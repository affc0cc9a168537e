import { describe, expect, it } from "vitest";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../infra/plan/cli";
import { diffPlans, hasChanges, renderDiffMarkdown, renderDiffText } from "../../infra/plan/diff";
import { stableJson } from "../../infra/plan/output";
import { runPlan } from "../../infra/plan/run";
import { SECRET, UNKNOWN } from "../../infra/plan/types";
import { catalogDocument, kubeOfKind, planFor, plannedOutput, STACKS, writeCatalog } from "../helpers/plan";

const ROOT = path.join(__dirname, "..", "..");

/** The plan CLI in-process, through its entry function, with its output captured. */
async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: { write: () => true } });
  return { status, stdout: out.join("\n"), stderr: err.join("\n") };
}

describe("offline plan", () => {
  it.each(STACKS)("plans the %s stack with one root and every resource under a parent", async (stack) => {
    const plan = await planFor(stack);
    const roots = plan.resources.filter((r) => r.parent === null);
    expect(roots.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
    const urns = new Set(plan.resources.map((r) => r.urn));
    for (const r of plan.resources) if (r.parent) expect(urns.has(r.parent), r.urn).toBe(true);
    expect(plan.summary.total).toBe(plan.resources.length);
    expect(plan.offline).toBe(true);
  });

  it("plans in-process exactly what the command wrote (test/plan/output-identity.test.ts compares the files)", async () => {
    const plan = await runPlan({ stack: "prod" });
    expect(stableJson(plan)).toBe(fs.readFileSync(path.join(plannedOutput("prod"), "plan.json"), "utf8"));
  });

  it.each(STACKS)("never holds a raw wire sentinel or plaintext in a Secret (%s)", async (stack) => {
    const plan = await planFor(stack);
    const text = JSON.stringify(plan);
    expect(text).not.toContain("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    expect(text).not.toContain("1b47061264138c4ac30d75fd1eb44270");
    for (const s of kubeOfKind(plan, "Secret")) {
      const values = [s.inputs.stringData, s.inputs.data].filter((v) => v !== undefined);
      // Masked, or not yet known (a generated password in preview): never a literal.
      const hidden = (x: unknown) => x === SECRET || x === UNKNOWN;
      for (const v of values) {
        if (hidden(v)) continue;
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) expect(hidden(x), `${s.name}.${k} = ${String(x)}`).toBe(true);
      }
    }
  });

  it("shows a changed replica count as a property change", async () => {
    const doc = catalogDocument();
    const trading = doc.services.find((s) => s.name === "trading") as { environments: { prod: { replicas: number; maxReplicas: number } } };
    const before = trading.environments.prod.replicas;
    trading.environments.prod.replicas = before + 1;
    const after = await runPlan({ stack: "prod", catalogFile: writeCatalog(doc) });
    const d = diffPlans(await planFor("prod"), after);
    expect(d.added).toHaveLength(0);
    expect(d.removed).toHaveLength(0);
    const deployment = d.changed.find((c) => c.type === "kubernetes:apps/v1:Deployment" && c.name.endsWith("-trading"));
    expect(deployment?.changes).toContainEqual({ path: "spec.replicas", before, after: before + 1 });
    expect(renderDiffText(d)).toContain(`spec.replicas: ${before} => ${before + 1}`);
    expect(renderDiffMarkdown(d)).toMatch(/\| `spec\.replicas` \| `\d+` \| `\d+` \|/);
    expect(hasChanges(diffPlans(after, after))).toBe(false);
  });

  it("adds a service from the catalog alone, with no code change", async () => {
    const doc = catalogDocument();
    const base = structuredClone(doc.services.find((s) => s.name === "notification")!) as Record<string, unknown>;
    doc.services.push({
      ...base,
      name: "risk",
      description: "Pre-trade risk checks",
      team: "risk",
      image: { repository: "ghcr.io/trademaster/risk-service", tag: "0.9.0" },
      routes: [{ name: "limits", method: "GET", path: "/api/v1/risk/limits", idempotent: true, timeoutMs: 500, retries: 1 }],
    });
    const before = await planFor("local");
    const after = await runPlan({ stack: "local", catalogFile: writeCatalog(doc) });
    const d = diffPlans(before, after);
    expect(d.removed).toHaveLength(0);
    const kinds = d.added.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs.kind);
    // The new service consumes topics (as notification does): KEDA scales it, not a CPU-only HPA.
    expect(kinds).toEqual(expect.arrayContaining(["Deployment", "Service", "ServiceAccount", "ConfigMap", "ScaledObject", "TriggerAuthentication", "PodDisruptionBudget"]));
    expect(d.added.some((r) => r.type === "trademaster:workloads:ServiceWorkload" && r.name === "risk")).toBe(true);
  });
});

describe("plan command line", () => {
  it("exits 1 naming an unknown flag (the built command, a real process)", () => {
    const r = childProcess.spawnSync(process.execPath, [path.join(ROOT, "dist", "plan.js"), "--stak", "prod"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--stak");
    expect(r.stderr).toContain("--stack");
  });

  it("exits 1 naming the stack file and key of a bad config, writing nothing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-out-"));
    const r = await cli(["--stack", "nosuch", "--out", dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("stacks/Pulumi.nosuch.yaml");
    expect(fs.readdirSync(dir)).toHaveLength(0);
  });

  it("exits 0 on no changes and 2 on changes, with a malformed baseline an error", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-out-"));
    const planFile = path.join(plannedOutput("local"), "plan.json");
    const same = await cli(["--stack", "local", "--out", path.join(dir, "again"), "--diff", planFile]);
    expect(same.status).toBe(0);
    expect(same.stdout).toContain("0 to add, 0 to change, 0 to remove");
    const plan = JSON.parse(fs.readFileSync(planFile, "utf8"));
    const dep = plan.resources.find((r: { type: string; name: string }) => r.type === "kubernetes:apps/v1:Deployment" && r.name.endsWith("-auth"));
    dep.inputs.spec.replicas = 5;
    const changed = path.join(dir, "changed.json");
    fs.writeFileSync(changed, JSON.stringify(plan));
    const r = await cli(["--stack", "local", "--out", path.join(dir, "third"), "--diff", changed, "--markdown"]);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("`spec.replicas` | `5` | `1`");
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ version: 1, resources: [{ urn: 3 }] }));
    const e = await cli(["--stack", "local", "--out", path.join(dir, "fourth"), "--diff", bad]);
    expect(e.status).toBe(1);
    expect(e.stderr).toContain("resources[0]");
  });

  it("diffs against a git ref by planning that commit in a temporary export", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-out-"));
    const r = await cli(["--stack", "local", "--out", dir, "--diff", "HEAD"]);
    expect([0, 2]).toContain(r.status);
    expect(r.stdout).toMatch(/Resources: \d+ to add, \d+ to change, \d+ to remove/);
    const bad = await cli(["--stack", "local", "--out", dir, "--diff", "no-such-ref-xyz"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("no such file or commit");
  });
});

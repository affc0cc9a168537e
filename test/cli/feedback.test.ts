import { describe, expect, it } from "vitest";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main, USAGE } from "../../infra/plan/cli";
import { Progress } from "../../infra/io/progress";
import { diffPlans, diffValues, renderDiffText } from "../../infra/plan/diff";
import { runPlan } from "../../infra/plan/run";
import { catalogDocument, planFor, writeCatalog } from "../helpers/plan";

const REPO = path.join(__dirname, "..", "..");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tm-feedback-"));

function capture(isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  return { out, err, progress, streams: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), progress: { isTTY, write: (t: string) => progress.push(t) } } };
}

describe("flags are checked before the program loads", () => {
  it.each([
    ["plan", "dist/plan.js", ["--stak", "prod"], 1, /--stak: expected --stack \(did you mean it\?\)/],
    ["policy", "dist/policy.js", ["--stack", "prod", "--format", "pdf"], 2, /--format: expected a comma-separated list of json, md, sarif, junit/],
  ])("%s: a bad flag is reported without loading @pulumi/pulumi (the built command)", (_tool, entry, args, code, message) => {
    const hook = path.join(tmp(), "loaded.cjs");
    fs.writeFileSync(hook, "process.on('exit', () => { if (Object.keys(require.cache).some((k) => k.includes('@pulumi'))) process.stderr.write('LOADED @pulumi\\n'); });\n");
    // dist/ is built by the global setup (test/helpers/global-plans.ts); the bundle keeps the lazy imports.
    const r = childProcess.spawnSync(process.execPath, [entry, ...args], { cwd: REPO, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: `--require ${hook}` } });
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain("LOADED @pulumi");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("phases, summary and details", () => {
  it("reports each phase on stderr as a plain line and prints a summary that fits 100 columns", async () => {
    const c = capture();
    const out = path.join(tmp(), "local");
    expect(await main(["--stack", "local", "--out", out], c.streams)).toBe(0);
    const phases = c.progress.join("").trim().split("\n");
    expect(phases.map((l) => l.replace(/\(\d+\.\d s\)$/, "(t)"))).toEqual([
      expect.stringMatching(/^plan: loaded stack local and the catalog \(\d+ services\) \(t\)$/),
      expect.stringMatching(/^plan: evaluated \d+ resources \(t\)$/),
      expect.stringMatching(/^plan: validated \d+ Kubernetes objects \(t\)$/),
      expect.stringMatching(/^plan: wrote \d+ files to .*local\/ \(t\)$/),
    ]);
    const lines = c.out.join("\n").split("\n");
    expect(lines.length).toBeLessThan(40);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(100);
    expect(lines[0]).toMatch(/^Offline plan of stack "local" \(local\): \d+ resources to create/);
    expect(lines.join("\n")).toContain("trademaster:workloads:ServiceWorkload");
    expect(lines.at(-1)).toMatch(/The full resource tree: --details$/);

    const d = capture();
    expect(await main(["--stack", "local", "--out", out, "--details"], d.streams)).toBe(0);
    expect(d.out.join("\n")).toMatch(/By type:\n/);
    expect(d.out.join("\n").split("\n").length).toBeGreaterThan(150);
  });

  it("updates one line on a terminal", () => {
    const writes: string[] = [];
    const p = new Progress("plan", { isTTY: true, write: (t) => writes.push(t) });
    p.start("evaluating");
    p.done("evaluated 3 resources");
    p.end();
    expect(writes.slice(0, 2).every((w) => w.startsWith("\r\x1b[2Kplan: "))).toBe(true);
    expect(writes.join("").split("\n")).toHaveLength(2);
  });
});

describe("the README documents every flag of both CLIs", () => {
  it("names each flag", () => {
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    const planFlags = [...USAGE.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
    expect(planFlags).toEqual(["--stack", "--out", "--diff", "--markdown", "--catalog", "--details", "--summary", "--quiet", "--help"]);
    const policySource = fs.readFileSync(path.join(REPO, "policies/cli.ts"), "utf8");
    const policyFlags = [...new Set([...policySource.matchAll(/"(--[a-z-]+)"/g)].map((m) => m[1]))];
    expect(policyFlags).toEqual(expect.arrayContaining(["--stack", "--plan", "--export", "--environment", "--format", "--out", "--catalog", "--config", "--write-config"]));
    const planSection = readme.slice(readme.indexOf("## The offline plan"), readme.indexOf("## ", readme.indexOf("## The offline plan") + 5));
    for (const f of planFlags) expect(planSection, `plan ${f}`).toContain(`\`${f}`);
    for (const f of policyFlags) expect(readme, `policy ${f}`).toMatch(new RegExp(`npm run policy[^\\n]*${f}|\\| \`${f}`));
  });
});

describe("diffs match list entries by identity", () => {
  it("shows one added container, env var or dependency as one line", () => {
    const before = { containers: [{ name: "app", image: "a:1" }, { name: "proxy", image: "p:1" }], deps: ["urn:a", "urn:c", "urn:d"] };
    const after = { containers: [{ name: "init", image: "i:1" }, { name: "app", image: "a:2" }, { name: "proxy", image: "p:1" }], deps: ["urn:a", "urn:b", "urn:c", "urn:d"] };
    expect(diffValues(before, after)).toEqual([
      { path: "containers[name=init]", before: undefined, after: { name: "init", image: "i:1" } },
      { path: "containers[name=app].image", before: "a:1", after: "a:2" },
      { path: "deps[1]", before: undefined, after: "urn:b" },
    ]);
    expect(diffValues({ l: [1, 2, 3] }, { l: [1, 5, 3] })).toEqual([{ path: "l[1]", before: 2, after: 5 }]);
    expect(diffValues({ r: [{ name: "a" }, { name: "b" }] }, { r: [{ name: "b" }, { name: "a" }] })).toEqual([{ path: "r (order of name)", before: ["a", "b"], after: ["b", "a"] }]);
  });

  it("adding a service to the catalog shifts no list entry of existing resources", async () => {
    const doc = catalogDocument();
    const base = structuredClone(doc.services.find((s) => s.name === "notification")!) as Record<string, unknown>;
    doc.services.push({ ...base, name: "risk", description: "Pre-trade risk checks", team: "risk", image: { repository: "ghcr.io/trademaster/risk-service", tag: "0.9.0" }, routes: [{ name: "limits", method: "GET", path: "/api/v1/risk/limits", idempotent: true, timeoutMs: 500, retries: 1 }] });
    const d = diffPlans(await planFor("local"), await runPlan({ stack: "local", catalogFile: writeCatalog(doc) }));
    const changes = d.changed.flatMap((r) => r.changes.map((c) => ({ ...c, urn: r.urn })));
    expect(changes.length).toBeGreaterThan(0);
    // A shifted entry would be an indexed path whose before and after are both present and differ.
    const shifted = changes.filter((c) => /\[\d+\]$/.test(c.path) && c.before !== undefined && c.after !== undefined);
    expect(shifted).toEqual([]);
    const text = renderDiffText(d);
    expect(text).toMatch(/~ \(options\)\.dependencies\[\d+\]: \(absent\) => "urn:pulu.*-risk"/);
    // A change line fits 100 columns unless its path alone is too long to.
    for (const l of text.split("\n").filter((x) => x.startsWith("     ~ "))) expect(l.length, l).toBeLessThanOrEqual(Math.max(100, l.indexOf(": ") + 2 + 2 * 24 + 4));
  });
});

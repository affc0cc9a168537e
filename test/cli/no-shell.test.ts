import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runTool, runToolChecked, ToolError } from "../../infra/io/spawn";

describe("child processes never go through a shell", () => {
  it("passes shell syntax through as a literal argument", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "noshell-"));
    const evil = `$(touch ${path.join(dir, "pwned")}); touch ${path.join(dir, "pwned2")} | cat`;
    const r = runToolChecked("printf", ["%s", evil]);
    expect(r.stdout).toBe(evil);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("reports a missing tool, a non-zero exit and a timeout as ToolError", () => {
    expect(() => runTool("no-such-tool-trademaster", [])).toThrow(/no-such-tool-trademaster: not found on PATH/);
    expect(runTool("sh", ["-c", "exit 3"]).status).toBe(3);
    expect(() => runToolChecked("sh", ["-c", "echo boom >&2; exit 3"])).toThrow(/failed \(exit 3\):\nboom/);
    const t0 = Date.now();
    expect(() => runTool("sleep", ["5"], { timeoutMs: 200 })).toThrow(ToolError);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe("a --diff git ref is resolved to a commit id, never interpolated", () => {
  const repo = path.join(__dirname, "..", "..");
  it("resolves or refuses the injection refs of the issue without running them", async () => {
    const { resolveCommit } = await import("../../infra/plan/baseline.js");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "noshell-ref-"));
    // A valid ref (a commit-message search that matches any commit): resolved to an id, nothing run.
    expect(resolveCommit(`HEAD^{/.|$(touch ${dir}/pwned)}`, repo)).toMatch(/^[0-9a-f]{40}$/);
    for (const ref of ["x$(touch${IFS}pwned2)", "--output=/tmp/x", "", "no-such-branch"]) {
      expect(() => resolveCommit(ref, repo), ref).toThrow(/--diff: expected a plan.json file or a git ref naming a commit/);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(fs.existsSync(path.join(repo, "pwned2"))).toBe(false);
  });

  it("holds no shell call in the CLIs or the baseline", () => {
    for (const file of ["infra/plan/cli.ts", "infra/plan/baseline.ts", "policies/cli.ts", "infra/io/spawn.ts"]) {
      const text = fs.readFileSync(path.join(repo, file), "utf8");
      expect(text, file).not.toMatch(/\bexecSync\b|\bexec\(|shell:\s*true/);
    }
  });
});

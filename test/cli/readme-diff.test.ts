import { describe, expect, it } from "vitest";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.join(__dirname, "..", "..");

/** The README's commands of the saved-plan diff workflow, as written there. */
function readmeCommands(): { plan: string[]; diff: string[] } {
  const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
  const diffLine = readme.split("\n").find((l) => l.startsWith("npm run plan -- --stack prod --diff out/prod/plan.json"));
  expect(diffLine, "README shows the saved-plan diff").toBeDefined();
  const diff = diffLine!.split("#")[0].trim().split(/\s+/);
  // `npm run plan -- --stack prod` is the command that saves out/prod/plan.json.
  const plan = diff.slice(0, diff.indexOf("--diff"));
  return { plan, diff };
}

/** A copy of the project (its tracked files; node_modules linked) where the user edits a stack file. */
function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-readme-"));
  const tracked = childProcess.execFileSync("git", ["ls-files", "-z"], { cwd: REPO, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const file of tracked) {
    if (!fs.existsSync(path.join(REPO, file))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(REPO, file), path.join(dir, file));
  }
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

const run = (cwd: string, argv: string[]) => childProcess.spawnSync(argv[0], argv.slice(1), { cwd, encoding: "utf8", env: { ...process.env, npm_config_loglevel: "error" } });

describe("the README's saved-plan diff workflow", () => {
  it("shows a replica change made after the plan was saved", () => {
    const { plan, diff } = readmeCommands();
    const dir = projectCopy();
    const first = run(dir, plan);
    expect(first.status, first.stderr).toBe(0);
    const saved = fs.readFileSync(path.join(dir, "out/prod/plan.json"), "utf8");

    const stackFile = path.join(dir, "stacks/Pulumi.prod.yaml");
    const text = fs.readFileSync(stackFile, "utf8");
    const edited = text.replace(/(trademaster:gateway:[\s\S]*?\n\s+replicas:\s*)(\d+)/, (_m, head: string, n: string) => `${head}${Number(n) + 1}`);
    expect(edited).not.toBe(text);
    fs.writeFileSync(stackFile, edited);

    const r = run(dir, diff);
    expect(r.status, r.stderr).toBe(2);
    // Kong's replicas (the gateway's Helm values; also any rendered Deployment's spec.replicas).
    expect(r.stdout).toMatch(/~ \S*(replicaCount|replicas): 3 => 4/);
    expect(r.stdout).toMatch(/Resources: 0 to add, [1-9]\d* to change, 0 to remove/);
    // The baseline was read before the new plan replaced it.
    expect(fs.readFileSync(path.join(dir, "out/prod/plan.json"), "utf8")).not.toBe(saved);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/**
 * vitest global setup: plans every stack once per test run with the command users run (the built
 * CLI, `node dist/plan.js`), in parallel, into a temp dir; test files read the plans through
 * `planFor` (test/helpers/plan.ts). A stack that fails to plan does not stop the run: its exit
 * code and output are recorded and `planFor` of that stack fails with them.
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";

const ROOT = path.join(__dirname, "..", "..");
export const PLANNED_STACKS = ["local", "staging", "prod"] as const;

declare module "vitest" {
  export interface ProvidedContext {
    /** Directory with `<stack>/` (the command's output) and `<stack>.result.json` per stack. */
    plannedDir: string;
  }
}

/** What the command did for one stack. */
export interface PlannedStack {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<PlannedStack> {
  return new Promise((resolve) => {
    const child = childProcess.spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => resolve({ status: null, stdout, stderr: `${stderr}${e.message}` }));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-planned-"));
  const build = await run(process.execPath, [path.join(ROOT, "scripts", "build.mjs"), "--if-stale"]);
  if (build.status !== 0) throw new Error(`building the CLI failed (exit ${build.status}):\n${build.stderr}`);
  await Promise.all(
    PLANNED_STACKS.map(async (stack) => {
      const result = await run(process.execPath, [path.join(ROOT, "dist", "plan.js"), "--stack", stack, "--out", path.join(dir, stack), "--quiet"]);
      fs.writeFileSync(path.join(dir, `${stack}.result.json`), JSON.stringify(result));
    }),
  );
  project.provide("plannedDir", dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}

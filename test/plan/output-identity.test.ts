/**
 * The speed-ups must not change the output. The reference is the command as it ran before them:
 * the TypeScript sources run through tsx (source maps on) with stack traces captured during the
 * evaluation (TRADEMASTER_DEBUG=1 keeps them, see runPlan). It is compared, file by file and byte
 * by byte, with what the command users run now wrote in the global setup: the bundle in dist/,
 * stack traces and source maps off while the program is evaluated. Both plan the same working
 * tree, so the test stays meaningful while the program changes; the two runs are separate
 * processes, so it also shows the same inputs give byte-identical output.
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { plannedOutput, STACKS, type StackName } from "../helpers/plan";

const ROOT = path.join(__dirname, "..", "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

function referencePlan(stack: StackName, out: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = childProcess.spawn(TSX, ["infra/plan/cli.ts", "--stack", stack, "--out", out, "--quiet"], {
      cwd: ROOT,
      env: { ...process.env, TRADEMASTER_DEBUG: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

describe("output of the built command", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-reference-"));
  const results = new Map<StackName, { status: number | null; stderr: string }>();

  beforeAll(async () => {
    await Promise.all(STACKS.map(async (stack) => results.set(stack, await referencePlan(stack, path.join(dir, stack)))));
  }, 120_000);

  it.each(STACKS)("is byte-identical to the TypeScript sources run through tsx with stack traces (%s)", (stack) => {
    expect(results.get(stack)?.status, results.get(stack)?.stderr).toBe(0);
    const reference = path.join(dir, stack);
    const built = plannedOutput(stack);
    const files = listFiles(reference);
    expect(listFiles(built)).toEqual(files);
    expect(files).toContain("plan.json");
    expect(files.filter((f) => f.startsWith("manifests/")).length).toBeGreaterThan(50);
    const differing = files.filter((f) => !fs.readFileSync(path.join(built, f)).equals(fs.readFileSync(path.join(reference, f))));
    expect(differing).toEqual([]);
  });
});

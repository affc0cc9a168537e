/**
 * The baseline of `--diff <git-ref>`: the same stack planned at another commit, in a temporary
 * export of that commit. The ref is resolved to a commit id first and only the id is used after.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runTool, runToolChecked } from "../io/spawn";
import { ValidationError } from "../validation/schema";
import { readPlanFile } from "./read";
import type { Plan } from "./types";

/** The commit id a ref names (`git rev-parse --verify --end-of-options <ref>^{commit}`), or a ValidationError. */
export function resolveCommit(ref: string, repo: string): string {
  const refused = (why: string) => new ValidationError("--diff", [{ path: "--diff", expected: "a plan.json file or a git ref naming a commit", found: `"${ref}" (${why})` }]);
  if (ref === "" || ref.startsWith("-") || /[\0\n\r]/.test(ref)) throw refused("not a ref");
  const r = runTool("git", ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], { cwd: repo, timeoutMs: 30_000 });
  const id = r.stdout.trim();
  if (r.status !== 0 || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id)) throw refused("no such file or commit");
  return id;
}

/** Plans `stack` at `ref` with that commit's own CLI; returns its plan.json. Leaves nothing behind. */
export function planAtGitRef(ref: string, stack: string, repo: string): Plan {
  const commit = resolveCommit(ref, repo);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "trademaster-baseline-"));
  try {
    const tar = path.join(dir, "source.tar");
    const tree = path.join(dir, "tree");
    fs.mkdirSync(tree);
    runToolChecked("git", ["archive", "--format=tar", `--output=${tar}`, commit], { cwd: repo, timeoutMs: 60_000 });
    runToolChecked("tar", ["-x", "-f", tar, "-C", tree], { timeoutMs: 60_000 });
    fs.symlinkSync(path.join(repo, "node_modules"), path.join(tree, "node_modules"), "dir");
    const out = path.join(dir, "out");
    const r = runTool(path.join(repo, "node_modules", ".bin", "tsx"), ["infra/plan/cli.ts", "--stack", stack, "--out", out, "--quiet"], { cwd: tree, timeoutMs: 300_000 });
    if (r.status !== 0) throw new Error(`planning ${ref} (${commit.slice(0, 12)}) failed (exit ${r.status}):\n${(r.stderr || r.stdout).trim()}`);
    return readPlanFile(path.join(out, "plan.json"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

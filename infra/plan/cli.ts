/**
 * `npm run plan -- --stack <local|staging|prod> [--out dir] [--diff <plan.json|git-ref>] [--markdown]
 *  [--catalog file] [--summary]`
 *
 * Exit codes: 0 plan written (and, with --diff, no changes); 2 with --diff, changes found;
 * 1 error (bad flags, bad config or catalog, schema violations, failed baseline).
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadCatalog } from "../catalog/load";
import { observabilityArtifacts } from "../observability/artifacts";
import { ValidationError, type Issue } from "../validation/schema";
import { diffPlans, hasChanges, renderDiffMarkdown, renderDiffText } from "./diff";
import { kubeObjectsOfPlan, renderTree, writePlan } from "./output";
import { loadStackConfig, REPO_ROOT, runPlan } from "./run";
import { formatSchemaIssues, validateKubeObjects } from "./schemas";
import { readPlanFile } from "./read";
import type { Plan } from "./types";

export interface PlanCliOptions {
  stack: string;
  out: string;
  diff?: string;
  markdown: boolean;
  catalog?: string;
  summary: boolean;
  quiet: boolean;
}

const FLAGS = ["--stack", "--out", "--diff", "--markdown", "--catalog", "--summary", "--quiet", "--help"];

/** Parses CLI flags; unknown or incomplete flags are a ValidationError naming the flag. */
export function parseArgs(argv: string[]): PlanCliOptions | "help" {
  const issues: Issue[] = [];
  const values: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (!FLAGS.includes(flag)) {
      issues.push({ path: flag, expected: `one of ${FLAGS.join(", ")}`, found: `"${a}"` });
      continue;
    }
    if (["--markdown", "--summary", "--quiet", "--help"].includes(flag)) {
      values[flag] = true;
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined || v.startsWith("--")) issues.push({ path: flag, expected: "a value", found: "nothing" });
    else values[flag] = v;
  }
  if (values["--help"]) return "help";
  if (!values["--stack"]) issues.push({ path: "--stack", expected: "a stack name (local, staging or prod)", found: "nothing" });
  if (values["--markdown"] && !values["--diff"]) issues.push({ path: "--markdown", expected: "to be used with --diff", found: "no --diff" });
  if (issues.length) throw new ValidationError("command line", issues);
  const stack = String(values["--stack"]);
  return {
    stack,
    out: String(values["--out"] ?? path.join("out", stack)),
    diff: values["--diff"] as string | undefined,
    markdown: values["--markdown"] === true,
    catalog: values["--catalog"] as string | undefined,
    summary: values["--summary"] === true,
    quiet: values["--quiet"] === true,
  };
}

/** Plans the same stack at a git ref, in a temporary export of that commit. */
export function planAtGitRef(ref: string, stack: string): Plan {
  const git = (args: string[], cwd = REPO_ROOT) => childProcess.execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  try {
    git(["rev-parse", "--verify", `${ref}^{commit}`]);
  } catch {
    throw new ValidationError("--diff", [{ path: "--diff", expected: "a plan.json file or a git ref", found: `"${ref}" (no such file or commit)` }]);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "trademaster-baseline-"));
  try {
    childProcess.execSync(`git archive --format=tar ${JSON.stringify(ref)} | tar -x -C ${JSON.stringify(dir)}`, { cwd: REPO_ROOT, stdio: "pipe" });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const out = path.join(dir, "out-baseline");
    const r = childProcess.spawnSync(path.join(REPO_ROOT, "node_modules", ".bin", "tsx"), ["infra/plan/cli.ts", "--stack", stack, "--out", out, "--quiet"], {
      cwd: dir,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`planning ${ref} failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
    return readPlanFile(path.join(out, "plan.json"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  if (opts === "help") {
    console.log(fs.readFileSync(__filename, "utf8").split("*/")[0].replace(/^\/\*\*?/, "").replace(/^ \* ?/gm, ""));
    return 0;
  }
  const t0 = Date.now();
  const plan = await runPlan({ stack: opts.stack, catalogFile: opts.catalog });
  const objects = kubeObjectsOfPlan(plan);
  const issues = await validateKubeObjects(objects);
  if (issues.length) {
    console.error(`Schema validation failed for ${issues.length} field(s):\n${formatSchemaIssues(issues)}`);
    return 1;
  }
  const config = loadStackConfig(opts.stack);
  const artifacts = observabilityArtifacts({ config, catalog: loadCatalog(opts.catalog) });
  const { files } = writePlan(plan, opts.out, artifacts);
  const ms = Date.now() - t0;
  if (!opts.quiet && !opts.diff) {
    console.log(`Offline plan of stack "${opts.stack}" (Pulumi test runtime, preview semantics: no CLI, credentials or cluster)\n`);
    console.log(opts.summary ? renderTree(plan, { maxDepth: 1 }) : renderTree(plan));
    console.log(`\n${objects.length} Kubernetes objects validated against their schemas.`);
    for (const note of plan.notes) console.log(`note: ${note}`);
    console.log(`Wrote ${files} files to ${opts.out}/ in ${ms} ms.`);
  }
  if (!opts.diff) return 0;
  const baseline = fs.existsSync(opts.diff) && fs.statSync(opts.diff).isFile() ? readPlanFile(opts.diff) : planAtGitRef(opts.diff, opts.stack);
  const d = diffPlans(baseline, plan);
  console.log(opts.markdown ? renderDiffMarkdown(d, `Plan diff: stack ${opts.stack} (vs ${opts.diff})`) : renderDiffText(d));
  return hasChanges(d) ? 2 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof ValidationError) console.error(`error: ${e.message}`);
      else console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    },
  );
}

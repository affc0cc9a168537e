/**
 * `npm run plan -- --stack <local|staging|prod> [--out dir] [--diff <plan.json|git-ref>] [--markdown]
 *  [--catalog file] [--summary]`
 *
 * Exit codes: 0 plan written (and, with --diff, no changes); 2 with --diff, changes found;
 * 1 error (bad flags, bad config or catalog, schema violations, failed baseline).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCatalog } from "../catalog/load";
import { observabilityArtifacts } from "../observability/artifacts";
import { ValidationError, type Issue } from "../validation/schema";
import { diffPlans, hasChanges, renderDiffMarkdown, renderDiffText } from "./diff";
import { kubeObjectsOfPlan, renderTree, writePlan } from "./output";
import { loadStackConfig, REPO_ROOT, runPlan } from "./run";
import { formatSchemaIssues, validateKubeObjects } from "./schemas";
import { readPlanFile } from "./read";
import { planAtGitRef } from "./baseline";

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
  const baseline = fs.existsSync(opts.diff) && fs.statSync(opts.diff).isFile() ? readPlanFile(opts.diff) : planAtGitRef(opts.diff, opts.stack, REPO_ROOT);
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

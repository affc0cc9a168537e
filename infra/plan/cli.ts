/**
 * The offline plan command line. Flags are parsed and checked before the program's modules load
 * (a typo is reported at once); phases are reported on stderr; the result goes to stdout.
 * Exit codes: 0 plan written (and, with --diff, no changes); 2 with --diff, changes found;
 * 1 error (bad flags, bad config or catalog, schema violations, failed baseline or output).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatError } from "../io/errors";
import { closest, ValidationError, type Issue } from "../validation/schema";

export const USAGE = `npm run plan -- --stack <local|staging|prod> [options]

  --stack <name>      stack to plan (stacks/Pulumi.<name>.yaml)
  --out <dir>         output directory (default out/<stack>); replaced atomically, and only if
                      it is new, empty or written by this tool before
  --diff <baseline>   compare with a saved plan.json (read before anything is written) or a git
                      ref (planned in a temporary export of that commit); exit 2 on changes
  --markdown          with --diff: the diff as Markdown for a PR comment
  --catalog <file>    a service catalog instead of infra/catalog/catalog.yaml
  --details           print the full resource tree and the counts per type
  --summary           print the summary (the default; kept for scripts)
  --quiet             print nothing but errors (and the diff, with --diff)
  --help              this text

Exit codes: 0 written (no changes with --diff), 2 changes found with --diff, 1 error.`;

export interface PlanCliOptions {
  stack: string;
  out: string;
  diff?: string;
  markdown: boolean;
  catalog?: string;
  details: boolean;
  quiet: boolean;
}

const VALUE_FLAGS = ["--stack", "--out", "--diff", "--catalog"];
const SWITCHES = ["--markdown", "--details", "--summary", "--quiet", "--help"];

/** Parses CLI flags; unknown or incomplete flags are a ValidationError naming the flag. */
export function parseArgs(argv: string[]): PlanCliOptions | "help" {
  const issues: Issue[] = [];
  const values: Record<string, string | true> = Object.create(null) as Record<string, string | true>;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const [flag, inline] = a.startsWith("--") && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (SWITCHES.includes(flag)) {
      if (inline !== undefined) issues.push({ path: flag, expected: "no value (a switch)", found: `"${a}"` });
      values[flag] = true;
    } else if (VALUE_FLAGS.includes(flag)) {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "" || (inline === undefined && v.startsWith("--"))) {
        issues.push({ path: flag, expected: "a value", found: "nothing" });
        if (v?.startsWith("--")) i--;
      } else values[flag] = v;
    } else {
      const guess = flag.startsWith("-") ? closest(flag, [...VALUE_FLAGS, ...SWITCHES]) : undefined;
      issues.push({ path: flag, expected: `${guess ? `${guess} (did you mean it?) or ` : ""}one of ${[...VALUE_FLAGS, ...SWITCHES].join(", ")}`, found: `unknown argument "${a}"` });
      // A mistyped value flag (`--stak prod`): its value is not a second error.
      if (guess && VALUE_FLAGS.includes(guess) && inline === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) i++;
    }
  }
  if (values["--help"]) return "help";
  if (!values["--stack"] && !issues.some((x) => x.expected.startsWith("--stack ("))) issues.push({ path: "--stack", expected: "a stack name (local, staging or prod)", found: "nothing" });
  if (values["--markdown"] && !values["--diff"]) issues.push({ path: "--markdown", expected: "to be used with --diff", found: "no --diff" });
  if (values["--details"] && values["--quiet"]) issues.push({ path: "--details", expected: "not with --quiet", found: "both" });
  if (issues.length) throw new ValidationError("command line", issues);
  const stack = String(values["--stack"]);
  return {
    stack,
    out: String(values["--out"] ?? path.join("out", stack)),
    diff: values["--diff"] as string | undefined,
    markdown: values["--markdown"] === true,
    catalog: values["--catalog"] as string | undefined,
    details: values["--details"] === true,
    quiet: values["--quiet"] === true,
  };
}

/** Where the output streams go (tests pass their own). */
export interface CliStreams {
  out: (text: string) => void;
  err: (text: string) => void;
  progress?: { write(text: string): unknown; isTTY?: boolean };
}

const defaultStreams = (): CliStreams => ({
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  progress: process.stderr,
});

/** Runs the CLI; returns the exit code and never exits the process. */
export async function main(argv: string[], streams: CliStreams = defaultStreams()): Promise<number> {
  try {
    return await run(argv, streams);
  } catch (e) {
    streams.err(formatError(e));
    return 1;
  }
}

async function run(argv: string[], streams: CliStreams): Promise<number> {
  const opts = parseArgs(argv);
  if (opts === "help") {
    streams.out(USAGE);
    return 0;
  }
  const { Progress } = await import("../io/progress.js");
  const progress = new Progress("plan", streams.progress ?? process.stderr, !opts.quiet);
  try {
    return await planCommand(opts, streams, progress);
  } finally {
    progress.end();
  }
}

async function planCommand(opts: PlanCliOptions, streams: CliStreams, progress: import("../io/progress").Progress): Promise<number> {
  const { refusalOf } = await import("../io/output-dir.js");
  const repoRoot = path.join(__dirname, "..", "..");
  // Refuse a bad --out before minutes of work (writeOutputDir checks again before replacing).
  const refusal = refusalOf(path.resolve(opts.out), repoRoot);
  if (refusal) throw new ValidationError("--out", [{ path: "--out", expected: "a new directory, or one this tool wrote before", found: `"${opts.out}": ${refusal}; nothing was written or deleted` }]);

  // The baseline is read (or its commit resolved) first: it may be the very file this run replaces.
  type Baseline = { plan: import("./types").Plan } | { commit: string };
  let baseline: Baseline | undefined;
  if (opts.diff !== undefined) {
    if (fs.existsSync(opts.diff) && fs.statSync(opts.diff).isFile()) {
      const { readPlanFile } = await import("./read.js");
      baseline = { plan: readPlanFile(opts.diff) };
    } else {
      const { resolveCommit } = await import("./baseline.js");
      baseline = { commit: resolveCommit(opts.diff, repoRoot) };
    }
  }

  // Stack file and catalog are checked before the program's modules load: a bad one fails at once.
  progress.start("reading the stack config and catalog");
  const { loadStackConfig } = await import("../config/stack-file.js");
  const { loadCatalog } = await import("../catalog/load.js");
  const config = loadStackConfig(opts.stack);
  const catalog = loadCatalog(opts.catalog);
  progress.done(`loaded stack ${opts.stack} and the catalog (${catalog.services.length} services)`);

  progress.start("loading and evaluating the program");
  const { runPlan, REPO_ROOT } = await import("./run.js");
  const plan = await runPlan({ stack: opts.stack, catalogFile: opts.catalog });
  progress.done(`evaluated ${plan.resources.length} resources`);

  progress.start("validating Kubernetes objects");
  const { kubeObjectsOfPlan, renderSummary, renderTree, wrap, writePlan } = await import("./output.js");
  const { formatSchemaIssues, formatValidationSummary, validatePlanObjects } = await import("./schemas.js");
  const { kubeKeyIssues } = await import("../validation/kube-keys.js");
  const objects = kubeObjectsOfPlan(plan);
  const validation = await validatePlanObjects(objects);
  const issues = [...validation.issues, ...kubeKeyIssues(objects)];
  if (issues.length) {
    progress.end();
    streams.err(`error: schema validation failed for ${issues.length} field(s); nothing was written\n${formatSchemaIssues(issues)}`);
    return 1;
  }
  progress.done(`validated ${objects.length} Kubernetes objects`);

  progress.start(`writing ${opts.out}/`);
  const { observabilityArtifacts } = await import("../observability/artifacts.js");
  const artifacts = observabilityArtifacts({ config, catalog });
  const { files } = writePlan(plan, opts.out, artifacts, { repoRoot: REPO_ROOT });
  progress.done(`wrote ${files} files to ${opts.out}/`);

  let basePlan: import("./types").Plan | undefined;
  if (baseline && "commit" in baseline) {
    progress.start(`planning the baseline ${opts.diff} (${baseline.commit.slice(0, 12)})`);
    const { planAtGitRef } = await import("./baseline.js");
    basePlan = planAtGitRef(baseline.commit, opts.stack, REPO_ROOT);
    progress.done(`planned the baseline ${opts.diff} (${baseline.commit.slice(0, 12)})`);
  } else basePlan = baseline?.plan;
  progress.end();

  if (!opts.quiet && !basePlan) {
    streams.out(opts.details ? `Offline plan of stack "${opts.stack}" (Pulumi test runtime, preview semantics: no CLI, credentials or cluster)\n\n${renderTree(plan)}` : renderSummary(plan));
    streams.out(wrap(`\n  ${formatValidationSummary(validation)}`, 100));
    for (const note of [...plan.notes, ...validation.notes]) streams.out(wrap(`note: ${note}`, 100));
    streams.out(`Wrote ${files} files to ${opts.out}/ in ${progress.elapsed()}.${opts.details ? "" : " The full resource tree: --details"}`);
  }
  if (!basePlan) return 0;
  const { diffPlans, hasChanges, renderDiffMarkdown, renderDiffText } = await import("./diff.js");
  const d = diffPlans(basePlan, plan);
  streams.out(opts.markdown ? renderDiffMarkdown(d, `Plan diff: stack ${opts.stack} (vs ${opts.diff})`) : renderDiffText(d));
  return hasChanges(d) ? 2 : 0;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}

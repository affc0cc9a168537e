/**
 * Offline policy runner: the CrossGuard pack without the Pulumi CLI or cloud.
 *
 *   npm run policy -- --stack prod                    evaluate the program (offline plan)
 *   npm run policy -- --plan out/prod/plan.json       a saved offline plan
 *   npm run policy -- --export state.json --environment prod   a `pulumi stack export` file
 *   options: --format json,md,sarif,junit  --out out/<stack>/policy  --catalog <file>
 *            --config <policy-pack-config.json>  --write-config (regenerates policies/config/*.json)
 *
 * Flags are checked before the pack and the program load; inputs are read within bounds (size,
 * depth); the report directory is replaced atomically and only if this tool wrote it.
 * Exit codes: 0 no mandatory violation, 1 mandatory violation(s), 2 invalid input.
 */
import * as path from "node:path";
import { formatError } from "../infra/io/errors";
import { ValidationError, type Issue } from "../infra/validation/schema";
import type { PolicyPackConfigFile } from "./harness";
import { ENVIRONMENTS } from "./lib/types";
import type { Format } from "./runner";
import type { PolicySource } from "./sources";

export const USAGE = `npm run policy -- (--stack <name> | --plan <plan.json> | --export <file>) [options]

  --stack <name>         evaluate the program's offline plan of this stack
  --plan <plan.json>     a saved offline plan
  --export <file>        a \`pulumi stack export\` file (with --environment unless its stack is one)
  --environment <env>    local, staging or prod: the enforcement levels to use
  --format <list>        json,md,sarif,junit (default all four)
  --out <dir>            report directory (default out/<stack>/policy); replaced atomically, and
                         only if it is new, empty or written by this tool before
  --catalog <file>       catalog for catalog-aware policies
  --config <file>        a policy pack config (JSON) instead of policies/config/<env>.json
  --write-config         regenerate policies/config/*.json (alone, or before a run)
  --help                 this text

Exit codes: 0 no mandatory violation, 1 mandatory violation(s), 2 invalid input.`;

/** The report formats (checked against runner.ts's FORMATS at compile time; no runtime import). */
const FORMAT_NAMES = Object.keys({ json: true, md: true, sarif: true, junit: true } satisfies Record<Format, true>) as Format[];
const isEnvironment = (e: string): boolean => (ENVIRONMENTS as readonly string[]).includes(e);

export interface CliOptions {
  stack?: string;
  plan?: string;
  exportFile?: string;
  environment?: string;
  formats: Format[];
  out?: string;
  catalog?: string;
  config?: string;
  writeConfig: boolean;
}

const VALUE_FLAGS = ["--stack", "--plan", "--export", "--environment", "--format", "--out", "--catalog", "--config"];

export function parseArgs(argv: string[]): CliOptions {
  const issues: Issue[] = [];
  const values = Object.create(null) as Record<string, string>;
  let writeConfig = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const [flag, inline] = arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    if (flag === "--write-config" && inline === undefined) writeConfig = true;
    else if (VALUE_FLAGS.includes(flag)) {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "" || (inline === undefined && v.startsWith("--"))) {
        issues.push({ path: flag, expected: "a value", found: "nothing" });
        if (v?.startsWith("--")) i--;
      } else values[flag] = v;
    } else issues.push({ path: arg, expected: `one of ${[...VALUE_FLAGS, "--write-config"].join(", ")}`, found: `unknown argument "${arg}"` });
  }
  const formats = (values["--format"] ?? "json,md,sarif,junit").split(",").map((f) => f.trim()).filter(Boolean);
  const bad = formats.filter((f) => !(FORMAT_NAMES as string[]).includes(f));
  if (bad.length) issues.push({ path: "--format", expected: `a comma-separated list of ${FORMAT_NAMES.join(", ")}`, found: bad.join(",") });
  const sources = ["--stack", "--plan", "--export"].filter((f) => values[f] !== undefined);
  if (!writeConfig && sources.length !== 1) issues.push({ path: "--stack | --plan | --export", expected: "exactly one source", found: sources.length ? sources.join(" and ") : "none" });
  const env = values["--environment"];
  if (env !== undefined && !isEnvironment(env)) issues.push({ path: "--environment", expected: `one of ${ENVIRONMENTS.join(", ")}`, found: env });
  if (issues.length) throw new ValidationError("command line", issues);
  return {
    stack: values["--stack"],
    plan: values["--plan"],
    exportFile: values["--export"],
    environment: env,
    formats: formats as Format[],
    out: values["--out"],
    catalog: values["--catalog"],
    config: values["--config"],
    writeConfig,
  };
}

export async function loadSource(opts: CliOptions): Promise<PolicySource> {
  if (opts.plan) {
    const { readPlanFile } = await import("../infra/plan/read.js");
    const plan = readPlanFile(opts.plan);
    return { stack: plan.stack, environment: opts.environment ?? plan.environment, kind: "plan", file: opts.plan, resources: plan.resources };
  }
  if (opts.exportFile) {
    const { loadExportFile } = await import("./sources.js");
    const exported = loadExportFile(opts.exportFile);
    const environment = opts.environment ?? (isEnvironment(exported.stack) ? exported.stack : undefined);
    if (!environment) {
      throw new ValidationError("command line", [{ path: "--environment", expected: `the environment of stack "${exported.stack}" (${ENVIRONMENTS.join(", ")})`, found: "nothing" }]);
    }
    return { stack: exported.stack, environment, kind: "export", file: opts.exportFile, resources: exported.resources };
  }
  // Loaded on demand: evaluating the program pulls in every component.
  const { runPlan } = await import("../infra/plan/run.js");
  const plan = await runPlan({ stack: opts.stack!, ...(opts.catalog ? { catalogFile: opts.catalog } : {}) });
  return { stack: plan.stack, environment: opts.environment ?? plan.environment, kind: "program", resources: plan.resources };
}

/** A policy pack config file (JSON, within CONFIG_LIMITS). */
async function readConfig(file: string): Promise<PolicyPackConfigFile> {
  const { CONFIG_LIMITS, readJsonFile } = await import("../infra/io/read.js");
  const { isPlainObject, describe } = await import("../infra/validation/schema.js");
  const doc = readJsonFile(file, CONFIG_LIMITS);
  if (!isPlainObject(doc)) throw new ValidationError(file, [{ path: "(root)", expected: "a policy pack config object (policy name to level or settings)", found: describe(doc) }]);
  return doc as PolicyPackConfigFile;
}

/** policies/config/<env>.json: what `pulumi preview --policy-pack-config` reads. Each file is replaced atomically. */
export async function writeConfigFiles(dir = path.join(__dirname, "config")): Promise<string[]> {
  const fs = await import("node:fs");
  const { writeFileAtomic } = await import("../infra/io/output-dir.js");
  const { packConfigFor } = await import("./pack.js");
  fs.mkdirSync(dir, { recursive: true });
  return ENVIRONMENTS.map((env) => {
    const file = path.join(dir, `${env}.json`);
    writeFileAtomic(file, `${JSON.stringify(packConfigFor(env), null, 2)}\n`);
    return file;
  });
}

/** Runs the CLI; returns the exit code and never exits the process. */
export async function main(argv: string[]): Promise<number> {
  try {
    if (argv.includes("--help")) {
      console.log(USAGE);
      return 0;
    }
    const opts = parseArgs(argv);
    const { Progress } = await import("../infra/io/progress.js");
    const progress = new Progress("policy");
    try {
      return await policyCommand(opts, progress);
    } finally {
      progress.end();
    }
  } catch (e) {
    console.error(formatError(e));
    return 2;
  }
}

async function policyCommand(opts: CliOptions, progress: import("../infra/io/progress").Progress): Promise<number> {
  if (opts.writeConfig) {
    for (const f of await writeConfigFiles()) console.log(`wrote ${path.relative(process.cwd(), f)}`);
    if (!opts.stack && !opts.plan && !opts.exportFile) return 0;
  }
  const repoRoot = path.join(__dirname, "..");
  const { refusalOf, writeOutputDir } = await import("../infra/io/output-dir.js");
  if (opts.out) {
    const refusal = refusalOf(path.resolve(opts.out), repoRoot);
    if (refusal) throw new ValidationError("--out", [{ path: "--out", expected: "a new directory, or one this tool wrote before", found: `"${opts.out}": ${refusal}; nothing was written or deleted` }]);
  }
  const config = opts.config ? await readConfig(opts.config) : undefined;
  progress.start("loading the source");
  const source = await loadSource(opts);
  progress.done(`loaded ${source.resources.length} resources (${source.kind}${source.file ? ` ${source.file}` : ""})`);
  progress.start("evaluating the policy pack");
  const { FORMATS, runPolicies } = await import("./runner.js");
  const report = await runPolicies(source, {
    ...(opts.catalog ? { catalogFile: opts.catalog } : {}),
    ...(config ? { config } : {}),
  });
  progress.done(`evaluated ${report.summary.policies} policies`);
  // The default directory is named after the source's stack: never let that name leave out/.
  if (!opts.out && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source.stack)) {
    throw new ValidationError("--out", [{ path: "--out", expected: "a report directory (the source's stack name cannot be used as one)", found: `stack name ${JSON.stringify(source.stack)}` }]);
  }
  const out = opts.out ?? path.join("out", source.stack, "policy");
  writeOutputDir(out, (w) => {
    for (const f of opts.formats) w.write(FORMATS[f].file, FORMATS[f].render(report));
  }, { tool: "policy", repoRoot });
  const files = opts.formats.map((f) => path.join(out, FORMATS[f].file));
  progress.done(`wrote ${files.length} reports to ${out}/`);
  progress.end();
  const s = report.summary;
  console.log(
    `policy ${source.stack} (${source.environment}, ${source.kind}): ${s.policies} policies on ${s.resources} resources: ` +
      `${s.mandatory} mandatory, ${s.advisory} advisory violation(s)`,
  );
  for (const v of report.violations.filter((x) => x.enforcementLevel === "mandatory")) {
    console.log(`  [mandatory] ${v.policy}: ${v.urn ?? "(stack)"}: ${v.message.replace(/\n/g, " ")}`);
  }
  for (const f of files) console.log(`wrote ${f}`);
  return s.passed ? 0 : 1;
}

if (require.main === module) {
  // Exit explicitly: the Pulumi test runtime used by runPlan can keep handles open.
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}

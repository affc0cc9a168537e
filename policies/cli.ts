/**
 * Offline policy runner: the CrossGuard pack without the Pulumi CLI or cloud.
 *
 *   npm run policy -- --stack prod                    evaluate the program (offline plan)
 *   npm run policy -- --plan out/prod/plan.json       a saved offline plan
 *   npm run policy -- --export state.json --environment prod   a `pulumi stack export` file
 *   options: --format json,md,sarif,junit  --out out/<stack>/policy  --catalog <file>
 *            --config <policy-pack-config.json>  --write-config (regenerates policies/config/*.json)
 *
 * Exit codes: 0 no mandatory violation, 1 mandatory violation(s), 2 invalid input.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ValidationError, type Issue } from "../infra/validation/schema";
import type { PolicyPackConfigFile } from "./harness";
import { ENVIRONMENTS } from "./lib/types";
import { isEnvironment, packConfigFor } from "./pack";
import { FORMATS, runPolicies, writeReports, type Format } from "./runner";
import { readPlanFile } from "../infra/plan/read";
import { loadExportFile, type PolicySource } from "./sources";

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
  const values: Record<string, string> = {};
  let writeConfig = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (flag === "--write-config") writeConfig = true;
    else if (VALUE_FLAGS.includes(flag)) {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith("--")) issues.push({ path: flag, expected: "a value", found: "nothing" });
      else values[flag] = v;
    } else issues.push({ path: arg, expected: `one of ${[...VALUE_FLAGS, "--write-config"].join(", ")}`, found: `unknown argument "${arg}"` });
  }
  const formats = (values["--format"] ?? "json,md,sarif,junit").split(",").map((f) => f.trim()).filter(Boolean);
  const bad = formats.filter((f) => !(f in FORMATS));
  if (bad.length) issues.push({ path: "--format", expected: `a comma-separated list of ${Object.keys(FORMATS).join(", ")}`, found: bad.join(",") });
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
    const plan = readPlanFile(opts.plan);
    return { stack: plan.stack, environment: opts.environment ?? plan.environment, kind: "plan", file: opts.plan, resources: plan.resources };
  }
  if (opts.exportFile) {
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

function readConfig(file: string): PolicyPackConfigFile {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as PolicyPackConfigFile;
  } catch (e) {
    throw new ValidationError(file, [{ path: "(document)", expected: "a readable policy pack config (JSON)", found: (e as Error).message }]);
  }
}

/** policies/config/<env>.json: what `pulumi preview --policy-pack-config` reads. */
export function writeConfigFiles(dir = path.join(__dirname, "config")): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return ENVIRONMENTS.map((env) => {
    const file = path.join(dir, `${env}.json`);
    fs.writeFileSync(file, `${JSON.stringify(packConfigFor(env), null, 2)}\n`);
    return file;
  });
}

export async function main(argv: string[]): Promise<number> {
  try {
    const opts = parseArgs(argv);
    if (opts.writeConfig) {
      for (const f of writeConfigFiles()) console.log(`wrote ${path.relative(process.cwd(), f)}`);
      if (!opts.stack && !opts.plan && !opts.exportFile) return 0;
    }
    const source = await loadSource(opts);
    const report = await runPolicies(source, {
      ...(opts.catalog ? { catalogFile: opts.catalog } : {}),
      ...(opts.config ? { config: readConfig(opts.config) } : {}),
    });
    const out = opts.out ?? path.join("out", source.stack, "policy");
    const files = writeReports(report, opts.formats, out);
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
  } catch (e) {
    if (e instanceof ValidationError) {
      console.error(e.message);
      return 2;
    }
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return 2;
  }
}

if (require.main === module) {
  // Exit explicitly: the Pulumi test runtime used by runPlan can keep handles open.
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}

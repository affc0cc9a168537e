import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readStackFile } from "../../infra/plan/run";
import { loadCatalog } from "../../infra/catalog/load";
import { readPlanFile } from "../../infra/plan/read";
import { main as planMain } from "../../infra/plan/cli";
import { main as policyMain } from "../../policies/cli";
import { ValidationError } from "../../infra/validation/schema";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tm-bounded-"));

/** The issue's 12-line alias bomb: 9^9 strings once expanded. */
const ALIAS_BOMB = `config:
  trademaster:environment: local
  trademaster:lol1: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  trademaster:lol2: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  trademaster:lol3: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  trademaster:lol4: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  trademaster:lol5: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  trademaster:lol6: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  trademaster:lol7: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  trademaster:lol8: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  trademaster:lol9: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
  trademaster:kafka: *i
`;

function timedError(fn: () => unknown): { error: ValidationError; ms: number } {
  const t0 = Date.now();
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return { error: e as ValidationError, ms: Date.now() - t0 };
  }
  throw new Error("expected a ValidationError");
}

function capture() {
  const lines: string[] = [];
  const sink = (t: string) => lines.push(t);
  return { lines, streams: { out: sink, err: sink, progress: { write: () => true } } };
}

describe("bounded input: refused with file, limit and finding, within a second", () => {
  it("refuses the alias bomb in a stack file", () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "Pulumi.bomb.yaml"), ALIAS_BOMB);
    const { error, ms } = timedError(() => readStackFile("bomb", dir));
    expect(ms).toBeLessThan(1000);
    expect(error.message).toContain("stacks/Pulumi.bomb.yaml");
    expect(error.message).toMatch(/values once YAML aliases are expanded/);
  });

  it("refuses a wide alias bomb that stays under the alias-use limit", () => {
    const dir = tmp();
    const wide = `config:\n  trademaster:a: &a [${Array(150).fill('"x"').join(",")}]\n  trademaster:b: &b [${Array(150).fill("*a").join(",")}]\n  trademaster:kafka: [${Array(40).fill("*b").join(",")}]\n`;
    fs.writeFileSync(path.join(dir, "Pulumi.wide.yaml"), wide);
    const { error, ms } = timedError(() => readStackFile("wide", dir));
    expect(ms).toBeLessThan(1000);
    expect(error.issues[0].expected).toMatch(/at most 200000 values once YAML aliases are expanded/);
  });

  it("refuses an oversized catalog before reading it", () => {
    const file = path.join(tmp(), "catalog.yaml");
    fs.writeFileSync(file, `# ${"x".repeat(3 * 1024 * 1024)}\nservices: []\n`);
    const { error, ms } = timedError(() => loadCatalog(file));
    expect(ms).toBeLessThan(1000);
    expect(error.issues[0]).toMatchObject({ path: "(file)", expected: "a YAML file of at most 2.0 MiB", found: "3.0 MiB" });
  });

  it("refuses a plan nested 100,000 deep in --diff and in the policy runner, without a stack overflow", async () => {
    const file = path.join(tmp(), "deep.json");
    fs.writeFileSync(file, `{"version":1,"resources":[{"inputs":${"[".repeat(100_000)}${"]".repeat(100_000)}}]}`);
    const { error, ms } = timedError(() => readPlanFile(file));
    expect(ms).toBeLessThan(1000);
    expect(error.issues[0]).toMatchObject({ expected: "JSON nested at most 200 levels deep", found: "more than 200 levels" });

    const plan = capture();
    const t0 = Date.now();
    expect(await planMain(["--stack", "prod", "--out", path.join(tmp(), "out"), "--diff", file], plan.streams)).toBe(1);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(plan.lines.join("\n")).toMatch(/deep\.json: 1 invalid value\n {2}- \(document\): expected JSON nested at most 200 levels deep/);
    expect(plan.lines.join("\n")).not.toMatch(/Maximum call stack|\n\s+at /);

    const errors: string[] = [];
    const original = console.error;
    console.error = (t: string) => errors.push(t);
    try {
      expect(await policyMain(["--plan", file, "--out", path.join(tmp(), "policy")])).toBe(2);
    } finally {
      console.error = original;
    }
    expect(errors.join("\n")).toMatch(/expected JSON nested at most 200 levels deep/);
    expect(errors.join("\n")).not.toMatch(/Maximum call stack|\n\s+at /);
  });
});

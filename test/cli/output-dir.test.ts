import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { OUTPUT_MARKER, OutputError, refusalOf, writeOutputDir } from "../../infra/io/output-dir";
import { main } from "../../infra/plan/cli";

const REPO = path.join(__dirname, "..", "..");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tm-outdir-"));
const tree = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String).sort();

function capture() {
  const lines: string[] = [];
  const sink = (t: string) => lines.push(t);
  return { lines, streams: { out: sink, err: sink, progress: { write: () => true } } };
}

describe("the output directory is replaced only if the tool wrote it", () => {
  it.each([
    ["the repository root", REPO, /it is the current directory or a parent of it|it is the repository or a parent of it/],
    ["a parent of the repository", path.dirname(REPO), /a parent of it/],
    ["the filesystem root", "/", /filesystem root/],
  ])("refuses %s at once, before planning, deleting nothing (exit 1)", async (_what, out, why) => {
    const before = fs.readdirSync(out).sort();
    const t0 = Date.now();
    const { lines, streams } = capture();
    expect(await main(["--stack", "prod", "--out", out], streams)).toBe(1);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(lines.join("\n")).toMatch(why);
    expect(lines.join("\n")).toContain("nothing was written or deleted");
    expect(lines.join("\n")).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(out).sort()).toEqual(before);
  });

  it("refuses a sibling repository (a directory holding .git) and a directory it did not write", () => {
    const parent = tmp();
    const other = path.join(parent, "other-repo");
    fs.mkdirSync(path.join(other, ".git"), { recursive: true });
    fs.writeFileSync(path.join(other, "README.md"), "mine\n");
    expect(refusalOf(other)).toBe("it holds a .git (a repository)");
    expect(() => writeOutputDir(other, (w) => w.write("plan.json", "{}"), { tool: "plan" })).toThrow(/holds a \.git/);
    const userDir = path.join(parent, "notes");
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, "todo.txt"), "keep\n");
    expect(() => writeOutputDir(userDir, (w) => w.write("plan.json", "{}"), { tool: "plan" })).toThrow(/no \.trademaster-output marker/);
    expect(tree(other)).toEqual([".git", "README.md"]);
    expect(tree(userDir)).toEqual(["todo.txt"]);
    expect(fs.readdirSync(parent).sort()).toEqual(["notes", "other-repo"]);
  });

  it("writes a new directory, then replaces it (marked) on the next run with nothing left beside it", () => {
    const parent = tmp();
    const out = path.join(parent, "out", "prod");
    expect(writeOutputDir(out, (w) => { w.write("plan.json", "1"); w.write("manifests/a.yaml", "a"); }, { tool: "plan" })).toEqual({ files: 2 });
    expect(tree(out)).toEqual([OUTPUT_MARKER, "manifests", "manifests/a.yaml", "plan.json"]);
    writeOutputDir(out, (w) => w.write("plan.json", "2"), { tool: "plan" });
    expect(tree(out)).toEqual([OUTPUT_MARKER, "plan.json"]);
    expect(fs.readFileSync(path.join(out, "plan.json"), "utf8")).toBe("2");
    expect(fs.readdirSync(path.dirname(out))).toEqual(["prod"]);
    expect(() => writeOutputDir(out, (w) => w.write("../escape", "x"), { tool: "plan" })).toThrow(/outside the output directory/);
  });

  it("leaves the previous output untouched when a write fails halfway (disk full)", () => {
    const parent = tmp();
    const out = path.join(parent, "prod");
    writeOutputDir(out, (w) => { w.write("plan.json", "old plan"); w.write("manifests/a.yaml", "old a"); }, { tool: "plan" });
    let n = 0;
    const diskFull = (file: string, content: string) => {
      if (++n > 2) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      fs.writeFileSync(file, content.slice(0, 3));
    };
    const write = () => writeOutputDir(out, (w) => { w.write("plan.json", "new plan"); w.write("manifests/a.yaml", "new a"); w.write("manifests/b.yaml", "b"); }, { tool: "plan", writeFile: diskFull });
    expect(write).toThrow(OutputError);
    n = 0;
    expect(write).toThrow(/could not write .*prod\/ \(writing into a temporary directory, after 1 file\(s\): ENOSPC: no space left on device\); the previous output is untouched/);
    expect(fs.readFileSync(path.join(out, "plan.json"), "utf8")).toBe("old plan");
    expect(fs.readFileSync(path.join(out, "manifests/a.yaml"), "utf8")).toBe("old a");
    expect(fs.readdirSync(parent)).toEqual(["prod"]);
  });

  it("fails cleanly when the directory beside the target is not writable", () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; the injected writer above covers the failure path.
      expect(refusalOf(path.join(tmp(), "new"))).toBeUndefined();
      return;
    }
    const parent = tmp();
    const out = path.join(parent, "prod");
    writeOutputDir(out, (w) => w.write("plan.json", "old"), { tool: "plan" });
    fs.chmodSync(parent, 0o500);
    try {
      expect(() => writeOutputDir(out, (w) => w.write("plan.json", "new"), { tool: "plan" })).toThrow(/creating a temporary directory .*EACCES.*untouched/);
    } finally {
      fs.chmodSync(parent, 0o700);
    }
    expect(fs.readFileSync(path.join(out, "plan.json"), "utf8")).toBe("old");
  });
});

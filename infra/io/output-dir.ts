/**
 * Atomic output directories. Everything is written into a fresh temporary directory beside the
 * target, then renamed into place. An existing target is replaced only if it is empty or carries
 * the marker file this tool wrote there; never the repository root, a parent of it, a directory
 * holding `.git`, the home directory or `/`. A failed run leaves the previous output untouched.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ValidationError } from "../validation/schema";

/** The file that marks a directory as output of our tools (and so safe for them to replace). */
export const OUTPUT_MARKER = ".trademaster-output";

/** Raised when the output cannot be written; the previous output (if any) is untouched. */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputError";
  }
}

export interface OutputDirOptions {
  /** The repository: never replaced, nor any of its parents. */
  repoRoot?: string;
  /** Who writes (`plan`, `policy`); recorded in the marker. */
  tool: string;
  /** Writes a file (tests inject a failing one to simulate a full disk). */
  writeFile?: (file: string, content: string) => void;
}

/** A writer into the temporary directory; paths are relative to the output directory. */
export interface OutputWriter {
  /** Writes `rel` (parent directories created); refuses paths that leave the directory. */
  write(rel: string, content: string): void;
  /** Files written so far, relative, in order. */
  readonly files: readonly string[];
}

const isInside = (child: string, parent: string) => {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
};

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * Why `target` may not be replaced, or undefined if it may. Checked before anything is written.
 * `target` is absolute.
 */
export function refusalOf(target: string, repoRoot?: string): string | undefined {
  const real = realOrSelf(target);
  const protectedDirs: Array<[string, string]> = [
    [path.parse(real).root, "the filesystem root"],
    [realOrSelf(os.homedir()), "the home directory or a parent of it"],
    [realOrSelf(process.cwd()), "the current directory or a parent of it"],
    ...(repoRoot ? [[realOrSelf(repoRoot), "the repository or a parent of it"] as [string, string]] : []),
  ];
  for (const [dir, what] of protectedDirs) if (isInside(dir, real)) return `it is ${what}`;
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(target);
  } catch {
    return undefined; // nothing there: nothing to replace
  }
  if (stat.isSymbolicLink()) return "it is a symbolic link";
  if (!stat.isDirectory()) return "it is a file, not a directory";
  const entries = fs.readdirSync(target);
  if (entries.includes(".git")) return "it holds a .git (a repository)";
  // Ours: empty, marked, or holding only marked outputs (`out/prod/` made as the parent of `out/prod/policy/`).
  const ours = entries.includes(OUTPUT_MARKER) || entries.every((e) => isMarkedDir(path.join(target, e)));
  if (!ours) return `it is not empty and has no ${OUTPUT_MARKER} marker, so it was not written by this tool (remove it yourself if it is old output)`;
  return undefined;
}

function isMarkedDir(dir: string): boolean {
  try {
    return fs.lstatSync(dir).isDirectory() && fs.lstatSync(path.join(dir, OUTPUT_MARKER)).isFile();
  } catch {
    return false;
  }
}

/**
 * Writes a whole output directory atomically: `fill` writes into a temporary directory beside
 * `target`; on success it replaces `target`, on any failure it is removed and `target` is left
 * as it was. Returns the number of files written (the marker excluded).
 */
export function writeOutputDir(targetDir: string, fill: (out: OutputWriter) => void, opts: OutputDirOptions): { files: number } {
  const target = path.resolve(targetDir);
  const shown = targetDir;
  const why = refusalOf(target, opts.repoRoot);
  if (why) {
    throw new ValidationError("--out", [{ path: "--out", expected: "a new directory, or one this tool wrote before (it holds " + OUTPUT_MARKER + ")", found: `"${shown}": ${why}; nothing was written or deleted` }]);
  }
  const parent = path.dirname(target);
  const base = path.basename(target);
  const writeFile = opts.writeFile ?? ((file, content) => fs.writeFileSync(file, content));
  let tmp: string | undefined;
  const failed = (stage: string, e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    const code = err.code === "ENOSPC" ? "ENOSPC: no space left on device" : (err.code ?? err.message);
    return new OutputError(`could not write ${shown}/ (${stage}: ${code}); the previous output is untouched`);
  };
  try {
    fs.mkdirSync(parent, { recursive: true });
    tmp = fs.mkdtempSync(path.join(parent, `.${base}.tmp-`));
  } catch (e) {
    throw failed(`creating a temporary directory in ${parent}`, e);
  }
  const files: string[] = [];
  const writer: OutputWriter = {
    files,
    write(rel, content) {
      const file = path.resolve(tmp!, rel);
      if (!isInside(file, tmp!) || file === tmp) throw new OutputError(`refusing to write ${rel}: outside the output directory`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeFile(file, content);
      files.push(rel);
    },
  };
  try {
    try {
      writeFile(path.join(tmp, OUTPUT_MARKER), `Written by \`npm run ${opts.tool}\`; this directory is replaced on the next run. Do not keep other files here.\n`);
      fill(writer);
    } catch (e) {
      if (e instanceof OutputError || e instanceof ValidationError) throw e;
      throw failed(`writing into a temporary directory, after ${files.length} file(s)`, e);
    }
    // Re-check just before replacing: the target may have changed while we wrote.
    const late = refusalOf(target, opts.repoRoot);
    if (late) throw new OutputError(`${shown}/ changed while writing (${late}); nothing was replaced`);
    swapInto(tmp, target, failed);
    tmp = undefined;
    return { files: files.length };
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Renames `tmp` to `target`; an existing (checked) target is moved aside first and removed after. */
function swapInto(tmp: string, target: string, failed: (stage: string, e: unknown) => OutputError): void {
  let old: string | undefined;
  if (fs.existsSync(target)) {
    old = `${tmp}.old`;
    try {
      fs.renameSync(target, old);
    } catch (e) {
      throw failed("moving the previous output aside", e);
    }
  }
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    if (old) fs.renameSync(old, target);
    throw failed("renaming the new output into place", e);
  }
  // The old directory was ours (checked: empty or marked); removing it cannot lose user files.
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

/** Writes one file atomically (a temporary file beside it, then a rename): never half-written. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new OutputError(`could not write ${file} (${err.code ?? err.message}); the previous file is untouched`);
  }
}

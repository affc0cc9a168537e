/**
 * Child processes for the tools (git, helm, promtool, amtool, tar): always an executable and an
 * argument array, never a shell, so no argument (a git ref, a file name, a chart value) can run a
 * command. Every run has a timeout and a bounded output buffer, so a stuck tool cannot hang a plan.
 */
import * as childProcess from "node:child_process";

export interface RunOptions {
  cwd?: string;
  /** Written to the tool's stdin (e.g. values for `helm template -f -`). */
  input?: string | Buffer;
  /** Environment; default: this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Killed after this long (default 120 s). */
  timeoutMs?: number;
  /** Largest stdout/stderr kept (default 256 MiB; rendered charts can be large). */
  maxBufferBytes?: number;
}

export interface RunResult {
  /** Exit status; null when the tool was killed by a signal. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A tool could not be started, timed out, or (with runToolChecked) exited non-zero. */
export class ToolError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    message: string,
    readonly result?: RunResult,
  ) {
    super(message);
    this.name = "ToolError";
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_BUFFER = 256 * 1024 * 1024;

/** How a command line is shown in errors: arguments quoted only when needed (display only). */
export function showCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./^{}-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ");
}

function spawnOptions(opts: RunOptions): childProcess.SpawnSyncOptionsWithStringEncoding {
  return {
    cwd: opts.cwd,
    env: opts.env,
    input: opts.input,
    encoding: "utf8",
    shell: false,
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBuffer: opts.maxBufferBytes ?? DEFAULT_MAX_BUFFER,
    killSignal: "SIGKILL",
    windowsHide: true,
    stdio: ["pipe", "pipe", "pipe"],
  };
}

/**
 * Runs `command` with `args` (no shell) and returns its status and output. Throws a ToolError if
 * the tool is missing, cannot start, times out or overflows its buffer; a non-zero exit is returned.
 */
export function runTool(command: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  if (args.some((a) => typeof a !== "string" || a.includes("\0"))) {
    throw new ToolError(command, args, `${command}: an argument is not a string or holds a NUL byte`);
  }
  const r = childProcess.spawnSync(command, args, spawnOptions(opts));
  const result: RunResult = { status: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "not found on PATH"
        : code === "ETIMEDOUT"
          ? `timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`
          : code === "ENOBUFS"
            ? `wrote more than ${opts.maxBufferBytes ?? DEFAULT_MAX_BUFFER} bytes`
            : (code ?? r.error.message);
    throw new ToolError(command, args, `${showCommand(command, args)}: ${why}`, result);
  }
  return result;
}

/** Like runTool, but a non-zero exit is a ToolError carrying the tool's stderr. */
export function runToolChecked(command: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const r = runTool(command, args, opts);
  if (r.status !== 0) {
    const detail = (r.stderr || r.stdout).trim().split("\n").slice(0, 20).join("\n");
    throw new ToolError(command, args, `${showCommand(command, args)} failed (${r.signal ?? `exit ${r.status}`})${detail ? `:\n${detail}` : ""}`, r);
  }
  return r;
}

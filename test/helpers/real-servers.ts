/**
 * Real redis-server and PostgreSQL for tests: started on loopback, on a free port, in a temporary
 * directory, stopped (and the directory removed) by `stop()`. Processes are spawned with argument
 * arrays, never through a shell. PostgreSQL refuses to run as root: when the tests run as root its
 * server commands run as the `postgres` system user (runuser), as Debian's package creates it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { runTool, runToolChecked } from "../../infra/io/spawn";

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const p = path.join(dir, cmd);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ---- RESP (Redis protocol) -------------------------------------------------------------------

export type RespValue = string | number | null | RespError | RespValue[];

export class RespError extends Error {}

/** Parses one RESP2 value at `at`; returns undefined when the buffer is incomplete. */
function parseResp(buf: Buffer, at: number): { value: RespValue; end: number } | undefined {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString("utf8", at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new RespError(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (buf.length < next + n + 2) return undefined;
      return { value: buf.toString("utf8", next, next + n), end: next + n + 2 };
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const item = parseResp(buf, pos);
        if (!item) return undefined;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/**
 * A minimal Redis client: one command at a time (`call`), or push messages once subscribed
 * (`messages`). Errors come back as {@link RespError} values, not exceptions, so tests can assert
 * on refusals.
 */
export class RespClient {
  private buffer = Buffer.alloc(0);
  private waiting: Array<(v: RespValue) => void> = [];
  /** Pub/sub pushes (`message` frames) received while subscribed. */
  readonly messages: Array<{ channel: string; payload: string }> = [];
  private subscribed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parseResp(this.buffer, 0);
        if (!parsed) break;
        this.buffer = this.buffer.subarray(parsed.end);
        const v = parsed.value;
        if (this.subscribed && Array.isArray(v) && v[0] === "message") {
          this.messages.push({ channel: String(v[1]), payload: String(v[2]) });
        } else {
          this.waiting.shift()?.(v);
        }
      }
    });
  }

  static async connect(port: number): Promise<RespClient> {
    const socket = net.createConnection({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new RespClient(socket);
  }

  call(...args: Array<string | number>): Promise<RespValue> {
    const parts = args.map(String);
    const frame = `*${parts.length}\r\n` + parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join("");
    if (["SUBSCRIBE", "PSUBSCRIBE"].includes(parts[0].toUpperCase())) this.subscribed = true;
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(frame);
    });
  }

  async waitForMessage(count: number, timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.messages.length >= count, `${count} pub/sub message(s)`, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface RunningServer {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** True when redis-server is installed (CI installs it: .ci/run). */
export function hasRedisServer(): boolean {
  return which("redis-server") !== undefined;
}

/** Starts redis-server with an ACL file (content given) and no persistence; the ACL is the only guard. */
export async function startRedis(aclFile: string): Promise<RunningServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-redis-"));
  fs.writeFileSync(path.join(dir, "users.acl"), aclFile, { mode: 0o600 });
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--aclfile", path.join(dir, "users.acl"), "--save", "", "--appendonly", "no", "--protected-mode", "yes",
      // DEBUG and MODULE are refused by these switches before the ACL is consulted: allow them so
      // that the ACL alone has to refuse them (the test is about the ACL).
      "--enable-debug-command", "yes", "--enable-module-command", "yes"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  try {
    await waitFor(() => /Ready to accept connections/.test(log) || child.exitCode !== null, "redis-server to start");
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${log}`);
  } catch (e) {
    child.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    dir,
    stop: async () => {
      await stopProcess(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- PostgreSQL --------------------------------------------------------------------------------

/** Directory of initdb/pg_ctl: `pg_config --bindir`, else the newest /usr/lib/postgresql/<v>/bin. */
export function postgresBinDir(): string | undefined {
  const fromConfig = which("pg_config") ? runTool("pg_config", ["--bindir"], { timeoutMs: 10_000 }) : undefined;
  if (fromConfig?.status === 0) {
    const dir = fromConfig.stdout.trim();
    if (fs.existsSync(path.join(dir, "initdb"))) return dir;
  }
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], "bin") : undefined;
}

export function hasPostgres(): boolean {
  return postgresBinDir() !== undefined && which("psql") !== undefined;
}

/** Runs a server command as the current user, or as `postgres` when we are root. */
function asPostgresUser(cmd: string, args: string[]): { cmd: string; args: string[] } {
  if (process.getuid?.() !== 0) return { cmd, args };
  return { cmd: "runuser", args: ["-u", "postgres", "--", cmd, ...args] };
}

export interface RunningPostgres extends RunningServer {
  superuser: string;
  superuserPassword: string;
}

/** initdb + pg_ctl start: SCRAM over TCP on 127.0.0.1 only, socket in the temp directory. */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("no PostgreSQL server binaries (initdb) found");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-pg-"));
  const data = path.join(dir, "data");
  const superuser = "tm_admin";
  const superuserPassword = "Adm1nPassw0rdForTestsOnly";
  fs.writeFileSync(path.join(dir, "pw"), superuserPassword + "\n", { mode: 0o600 });
  if (process.getuid?.() === 0) {
    const id = runTool("id", ["-u", "postgres"], { timeoutMs: 10_000 });
    if (id.status !== 0) throw new Error("running as root and no `postgres` user to run the server as");
    const uid = Number(id.stdout.trim());
    fs.chownSync(dir, uid, -1);
    fs.chownSync(path.join(dir, "pw"), uid, -1);
  }
  const port = await freePort();
  const pg = (tool: string, args: string[]) => {
    const c = asPostgresUser(path.join(bin, tool), args);
    runToolChecked(c.cmd, c.args, { timeoutMs: 60_000 });
  };
  pg("initdb", ["-D", data, "-U", superuser, "--pwfile", path.join(dir, "pw"), "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale"]);
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=100`;
  try {
    pg("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "server.log"), "-w", "-t", "30", "start"]);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    dir,
    superuser,
    superuserPassword,
    stop: async () => {
      try {
        pg("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface PsqlResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** psql over TCP as `user` (password through PGPASSWORD, never on the command line). */
export function psql(server: RunningServer, user: string, password: string, database: string, args: string[]): PsqlResult {
  const r = runTool("psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(server.port), "-U", user, "-d", database, ...args], {
    env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "5", PGSSLMODE: "disable" },
    timeoutMs: 30_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

/**
 * A real Alertmanager (Debian `prometheus-alertmanager`) on a free local port for tests: post
 * alerts through API v2, read their inhibition state and the dispatcher's groups. Spawned with an
 * argument array (no shell); stopped by its own pid.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../helpers/real-servers";

export interface AlertGroup {
  receiver: string;
  alerts: Array<{ labels: Record<string, string> }>;
}

export interface RunningAlertmanager {
  post(alerts: Array<Record<string, string>>): Promise<void>;
  /** `alertname/service` → inhibited? (after the inhibitor has seen every posted alert). */
  inhibitionState(): Promise<Map<string, boolean>>;
  groups(): Promise<AlertGroup[]>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startAlertmanager(configFile: string): Promise<RunningAlertmanager> {
  const port = await freePort();
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), "am-"));
  const child: ChildProcess = spawn(
    "prometheus-alertmanager",
    [`--config.file=${configFile}`, `--storage.path=${storage}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="],
    { stdio: "ignore", shell: false },
  );
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 100 || child.exitCode !== null) throw new Error(`alertmanager did not start (exit ${child.exitCode})`);
    await sleep(100);
  }
  const posted: Array<Record<string, string>> = [];
  const key = (l: Record<string, string>) => `${l.alertname}/${l.service ?? ""}`;
  return {
    async post(alerts) {
      const startsAt = new Date().toISOString();
      const endsAt = new Date(Date.now() + 3600_000).toISOString();
      const res = await fetch(`${base}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(alerts.map((labels) => ({ labels, annotations: {}, startsAt, endsAt }))),
      });
      if (!res.ok) throw new Error(`POST /api/v2/alerts: ${res.status} ${await res.text()}`);
      posted.push(...alerts);
    },
    async inhibitionState() {
      // The inhibitor learns alerts asynchronously: read until every posted alert is listed and
      // two reads agree.
      let last = "";
      for (let i = 0; i < 50; i++) {
        const list = (await (await fetch(`${base}/api/v2/alerts`)).json()) as Array<{ labels: Record<string, string>; status: { inhibitedBy: string[] } }>;
        const state = new Map(list.map((a) => [key(a.labels), a.status.inhibitedBy.length > 0]));
        const text = JSON.stringify([...state.entries()].sort());
        if (posted.every((p) => state.has(key(p))) && text === last) return state;
        last = text;
        await sleep(200);
      }
      throw new Error("alertmanager: inhibition state did not settle");
    },
    async groups() {
      const list = (await (await fetch(`${base}/api/v2/alerts/groups`)).json()) as Array<{ receiver: { name: string }; alerts: Array<{ labels: Record<string, string> }> }>;
      return list.map((g) => ({ receiver: g.receiver.name, alerts: g.alerts }));
    },
    async stop() {
      // Remove the storage only once the server has exited: it writes its state on shutdown.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(5000).then(() => void child.kill("SIGKILL"))]);
      }
      fs.rmSync(storage, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}

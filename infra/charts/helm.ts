/** The Helm binary the tools run: `HELM` when set, else `helm` from PATH (spawned without a shell). */
import { runTool } from "../io/spawn";

export function helmCommand(): string {
  return process.env.HELM || "helm";
}

/** `helm version --short`, or undefined when no helm can be started. */
export function helmVersion(): string | undefined {
  try {
    const r = runTool(helmCommand(), ["version", "--short"], { timeoutMs: 20_000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

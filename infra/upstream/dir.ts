/**
 * Where the upstream data of the pinned releases lives (CRDs, charts' values.yaml): read, never
 * copied into the repository. `TRADEMASTER_UPSTREAM` wins; otherwise the first `shared/upstream`
 * found beside the repository or one of its parents (a clone in a temporary directory looks in
 * /work as well, where this machine keeps it).
 */
import * as fs from "node:fs";
import * as path from "node:path";

const REPO_ROOT = path.join(__dirname, "..", "..");

/** The upstream data directory, or undefined when this machine has none. */
export function upstreamDir(): string | undefined {
  const fromEnv = process.env.TRADEMASTER_UPSTREAM;
  if (fromEnv) return fs.existsSync(fromEnv) ? path.resolve(fromEnv) : undefined;
  const candidates: string[] = [];
  for (let dir = REPO_ROOT; ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, "shared", "upstream"), path.join(dir, "..", "shared", "upstream"));
    if (path.dirname(dir) === dir) break;
  }
  candidates.push("/work/shared/upstream");
  return candidates.find((c) => fs.existsSync(path.join(c, "crds")));
}

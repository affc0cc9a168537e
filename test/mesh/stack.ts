/** Test helper: the validated config of a shipped stack, read like the engine would. */
import type { PlatformConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/plan/run";

export function stackConfig(stack: "local" | "staging" | "prod"): PlatformConfig {
  return loadStackConfig(stack);
}

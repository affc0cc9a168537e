/** Test helper: the validated config of a shipped stack, read like the engine would. */
import { loadPlatformConfig, namespacedConfig } from "../../infra/config/load";
import type { PlatformConfig } from "../../infra/config/schema";
import { readStackFile } from "../../infra/plan/run";

export function stackConfig(stack: "local" | "staging" | "prod"): PlatformConfig {
  return loadPlatformConfig(stack, namespacedConfig(readStackFile(stack).config));
}

import { loadCatalog } from "../../infra/catalog/load";
import { loadPlatformConfig, namespacedConfig } from "../../infra/config/load";
import { readStackFile } from "../../infra/plan/run";
import type { PlatformContext } from "../../infra/contracts";

export const STACKS = ["local", "staging", "prod"] as const;

export function contextFor(stack: string): PlatformContext {
  return { config: loadPlatformConfig(stack, namespacedConfig(readStackFile(stack).config)), catalog: loadCatalog() };
}

import { loadCatalog } from "../../infra/catalog/load";
import { loadStackConfig } from "../../infra/plan/run";
import type { PlatformContext } from "../../infra/contracts";

export const STACKS = ["local", "staging", "prod"] as const;

export function contextFor(stack: string): PlatformContext {
  return { config: loadStackConfig(stack), catalog: loadCatalog() };
}

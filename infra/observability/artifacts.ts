/**
 * Plain files the offline plan writes beside plan.json (`out/<stack>/...`): Prometheus rule
 * files and the Alertmanager config, so promtool and amtool can check them. Pure.
 */
import type { PlatformContext } from "../contracts";

/** Relative path under out/<stack>/ → file content. */
export function observabilityArtifacts(_ctx: PlatformContext): Record<string, string> {
  return {};
}

/** The report as JSON, keys in a stable order so two runs on the same plan are identical. */
import type { PolicyReport } from "./model";

export function renderJson(report: PolicyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

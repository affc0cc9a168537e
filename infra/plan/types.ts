/**
 * The offline plan document (`out/<stack>/plan.json`). Stable, sorted by URN, byte-identical for
 * the same inputs. Values the engine would only know after creation are the string
 * {@link UNKNOWN}; secret values are the string {@link SECRET}. Nothing is invented.
 */

/** Marker for a value known only after deployment (an unknown output in preview). */
export const UNKNOWN = "[unknown]";
/** Marker for a secret value (masked: the plan never holds secret plaintext). */
export const SECRET = "[secret]";

export const PLAN_FORMAT_VERSION = 1;

export interface PlanResource {
  urn: string;
  /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment` or `trademaster:data:DataStores`. */
  type: string;
  /** Logical name. */
  name: string;
  /** True for provider-managed (custom) resources, false for components. */
  custom: boolean;
  /** URN of the parent (component or stack). */
  parent: string | null;
  /** URN of the explicit provider resource, when one is set. */
  provider: string | null;
  /** URNs this resource depends on (explicit dependsOn and input dependencies), sorted. */
  dependencies: string[];
  protect: boolean;
  /** Pulumi `customTimeouts` (create/update/delete as Go durations). */
  customTimeouts: { create?: string; update?: string; delete?: string } | null;
  /** Nearest enclosing component of ours (`trademaster:*`), for report locations. */
  component: string | null;
  /** Inputs with secrets masked and unknowns marked. */
  inputs: Record<string, unknown>;
}

export interface Plan {
  version: typeof PLAN_FORMAT_VERSION;
  project: string;
  stack: string;
  environment: string;
  /** Always true: the plan is evaluated with the Pulumi test runtime, not by the engine. */
  offline: true;
  resources: PlanResource[];
  /** What the plan assumed that `pulumi up` will not (e.g. a required secret not yet set). */
  notes: string[];
  summary: { total: number; byType: Record<string, number> };
}

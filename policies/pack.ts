/**
 * The pack as CrossGuard sees it: our policy definitions turned into @pulumi/policy policies, and
 * the per-environment policy pack config (enforcement levels). Pure: constructing the PolicyPack
 * (which starts the analyzer's gRPC server) happens only in index.ts.
 */
import type { EnforcementLevel, PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyPackConfigFile } from "./harness";
import { ALL_POLICIES } from "./rules";
import { ENVIRONMENTS, type Environment, type TrademasterPolicy } from "./lib/types";

export const PACK_NAME = "trademaster";
/** Pack default when a policy has no level: the engine's own default. */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "advisory";

const CATALOG_SCHEMA: PolicyConfigSchema = {
  properties: { catalogFile: { type: "string", description: "Service catalog file (default: infra/catalog/catalog.yaml)" } },
};

/** One CrossGuard policy; its default level is the prod level (the strictest shipped). */
export function toPulumiPolicy(p: TrademasterPolicy): ResourceValidationPolicy | StackValidationPolicy {
  const first = p.controls[0];
  const base = {
    name: p.name,
    description: p.description,
    severity: p.severity,
    enforcementLevel: p.enforcement.prod,
    remediationSteps: p.remediation,
    tags: p.controls.map((c) => `${c.framework}: ${c.id}`),
    ...(first ? { framework: { name: first.framework, version: "", reference: first.id, specification: first.title } } : {}),
    ...(p.usesCatalog ? { configSchema: CATALOG_SCHEMA } : {}),
  };
  return p.kind === "stack" ? { ...base, validateStack: p.validateStack } : { ...base, validateResource: p.validateResource };
}

export function pulumiPolicies(policies: TrademasterPolicy[] = ALL_POLICIES): Array<ResourceValidationPolicy | StackValidationPolicy> {
  return policies.map(toPulumiPolicy);
}

/**
 * A policy held at advisory in one environment while the infrastructure fix it asks for is not on
 * main yet. The policy itself keeps its level; the reason is in docs/policies.md ("Pending
 * infrastructure fixes"), and a test fails once the environment no longer violates it.
 */
export interface PendingFix {
  policy: string;
  environment: Environment;
}

export const PENDING_FIXES: readonly PendingFix[] = [
  { policy: "node-volume-encryption", environment: "staging" },
  { policy: "node-volume-encryption", environment: "prod" },
  { policy: "cloudfront-tls", environment: "staging" },
];

/** The `--policy-pack-config` document of an environment (policies/config/<env>.json). */
export function packConfigFor(env: Environment, policies: TrademasterPolicy[] = ALL_POLICIES, pending: readonly PendingFix[] = PENDING_FIXES): PolicyPackConfigFile {
  return Object.fromEntries(
    policies.map((p) => {
      const held = p.enforcement[env] === "mandatory" && pending.some((f) => f.policy === p.name && f.environment === env);
      return [p.name, { enforcementLevel: held ? "advisory" : p.enforcement[env] }];
    }),
  );
}

export function isEnvironment(v: string): v is Environment {
  return (ENVIRONMENTS as readonly string[]).includes(v);
}

export { ALL_POLICIES };

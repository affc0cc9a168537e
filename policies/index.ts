/**
 * The TradeMaster CrossGuard policy pack, for the Pulumi CLI:
 *   pulumi preview --stack <env> --policy-pack policies --policy-pack-config policies/config/<env>.json
 * Constructing PolicyPack starts the analyzer server, so nothing else may import this module:
 * tests and the offline runner (policies/cli.ts) use policies/pack.ts through policies/harness.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, pulumiPolicies } from "./pack";

new PolicyPack(PACK_NAME, {
  description: "TradeMaster: OWASP secure headers and CORS, STRICT mTLS, encryption at rest and in transit, KMS rotation, workload hardening, resilience, data protection, observability coverage, no plaintext secrets.",
  enforcementLevel: PACK_ENFORCEMENT_LEVEL,
  policies: pulumiPolicies(),
});

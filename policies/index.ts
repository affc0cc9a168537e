/**
 * The TradeMaster CrossGuard policy pack, for the Pulumi CLI:
 *   pulumi preview --stack <env> --policy-pack policies --policy-pack-config policies/config/<env>.json
 * Constructing PolicyPack starts the analyzer server, so nothing else may import this module:
 * tests and the offline runner (policies/cli.ts) use policies/pack.ts through policies/harness.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, pulumiPolicies } from "./pack";

new PolicyPack(PACK_NAME, {
  description:
    "TradeMaster: OWASP secure headers and CORS, edge TLS, WAF and access logs, no public exposure, STRICT mTLS and call-graph authorization, encryption at rest and in transit, KMS rotation, Pod Security hardening of every workload (chart-rendered too), no plaintext secrets, resilience and retries, data protection and Multi-AZ, observability coverage.",
  enforcementLevel: PACK_ENFORCEMENT_LEVEL,
  policies: pulumiPolicies(),
});

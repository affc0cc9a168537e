/** Every policy of the TradeMaster pack, in report order. */
import type { TrademasterPolicy } from "../lib/types";
import { encryptionAtRest, encryptionInTransit, kmsRotation, s3Encryption } from "./encryption";
import { corsNoWildcard, securityHeaders } from "./gateway";
import { mtlsStrict, noRetryNonIdempotent, outlierDetection, retryBudget } from "./mesh";
import { dataProtection, kafkaDurability, observabilityCoverage, replicasAndPdb } from "./resilience";
import { noPlaintextSecrets, workloadHardening } from "./workloads";

export const ALL_POLICIES: TrademasterPolicy[] = [
  securityHeaders,
  corsNoWildcard,
  mtlsStrict,
  encryptionAtRest,
  s3Encryption,
  encryptionInTransit,
  kmsRotation,
  workloadHardening,
  noPlaintextSecrets,
  replicasAndPdb,
  outlierDetection,
  noRetryNonIdempotent,
  retryBudget,
  dataProtection,
  kafkaDurability,
  observabilityCoverage,
];

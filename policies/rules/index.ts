/** Every policy of the TradeMaster pack, in report order. */
import type { TrademasterPolicy } from "../lib/types";
import { albTls, cloudfrontTls, edgeAccessLogs, edgeWaf } from "./edge";
import { encryptionAtRest, encryptionInTransit, kmsRotation, nodeVolumeEncryption, s3Encryption } from "./encryption";
import { noPublicExposure } from "./exposure";
import { corsNoWildcard, securityHeaders } from "./gateway";
import { meshAuthorization, mtlsStrict, noRetryNonIdempotent, outlierDetection, retryBudget } from "./mesh";
import { dataProtection, highAvailabilityDataStores, kafkaDurability, observabilityCoverage, replicasAndPdb } from "./resilience";
import { noPlaintextSecrets, workloadHardening } from "./workloads";

export const ALL_POLICIES: TrademasterPolicy[] = [
  securityHeaders,
  corsNoWildcard,
  albTls,
  cloudfrontTls,
  edgeWaf,
  edgeAccessLogs,
  noPublicExposure,
  mtlsStrict,
  meshAuthorization,
  encryptionAtRest,
  nodeVolumeEncryption,
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
  highAvailabilityDataStores,
  kafkaDurability,
  observabilityCoverage,
];

/** Data protection in prod: every stateful resource is protected, with the provider's own guard and backups. */
import { describe, expect, it } from "vitest";
import type { PlanResource } from "../../infra/plan/types";
import { planFor } from "../helpers/plan";

/** Types that hold data (or the keys to it): losing one loses data. */
const STATEFUL_TYPES: Record<string, (r: PlanResource) => void> = {
  "aws:msk/cluster:Cluster": (r) => {
    // MSK has no deletion flag: replicas over 3 zones plus protect.
    expect(r.inputs.numberOfBrokerNodes).toBeGreaterThanOrEqual(3);
  },
  "aws:rds/instance:Instance": (r) => {
    expect(r.inputs).toMatchObject({ deletionProtection: true, skipFinalSnapshot: false });
    expect(r.inputs.backupRetentionPeriod).toBeGreaterThanOrEqual(7);
  },
  "aws:elasticache/replicationGroup:ReplicationGroup": (r) => {
    expect(r.inputs.snapshotRetentionLimit).toBeGreaterThanOrEqual(1);
    expect(r.inputs.finalSnapshotIdentifier).toMatch(/final$/);
  },
  "aws:eks/cluster:Cluster": (r) => expect(r.inputs.deletionProtection).toBe(true),
  "aws:s3/bucket:Bucket": (r) => expect(r.inputs.forceDestroy).toBe(false),
  "aws:kms/key:Key": (r) => {
    expect(r.inputs.deletionWindowInDays).toBe(30);
    expect(r.inputs.enableKeyRotation).toBe(true);
  },
  "aws:ecr/repository:Repository": (r) => expect(r.inputs.forceDelete).toBe(false),
  "aws:secretsmanager/secret:Secret": (r) => expect(r.inputs.recoveryWindowInDays).toBe(30),
  "kafka:index/topic:Topic": (r) => expect(r.inputs.replicationFactor).toBe(3),
  // Losing the token signing key logs every user out: protected like data.
  "tls:index/privateKey:PrivateKey": (r) => expect(r.inputs.algorithm).toBe("RSA"),
  // Log store (audit logs included): protected, and every node set keeps its data on persistent
  // volumes over three nodes, so losing a node loses no index.
  "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch": (r) => {
    const nodeSets = (r.inputs.spec as { nodeSets: Array<{ name: string; count: number; volumeClaimTemplates?: unknown[] }> }).nodeSets;
    expect(nodeSets.length).toBeGreaterThan(0);
    for (const n of nodeSets) {
      expect(n.count, `node set ${n.name}`).toBeGreaterThanOrEqual(3);
      expect(n.volumeClaimTemplates?.length ?? 0, `node set ${n.name} volumes`).toBeGreaterThan(0);
    }
  },
};

/**
 * Resources of a listed type that hold no data: TLS keys of in-cluster certificates (Elasticsearch's
 * HTTP endpoint) are reissued by the program and their CA handed to the clients in the same update,
 * so a replacement rotates a certificate and loses nothing. The token signing key stays listed.
 */
const holdsData = (r: PlanResource): boolean => !(r.type === "tls:index/privateKey:PrivateKey" && r.component !== "trademaster:identity:TokenSigning");

describe("prod data protection", () => {
  it("every resource of a stateful type is protected and guarded by its provider", async () => {
    const plan = await planFor("prod");
    for (const [type, providerGuard] of Object.entries(STATEFUL_TYPES)) {
      const rs = plan.resources.filter((r) => r.type === type && holdsData(r));
      expect(rs.length, `${type} in the prod plan`).toBeGreaterThan(0);
      for (const r of rs) {
        expect(r.protect, `${r.urn} protect`).toBe(true);
        providerGuard(r);
      }
    }
  });

  it("S3 data buckets are versioned, SSE-KMS encrypted and closed to the public", async () => {
    const plan = await planFor("prod");
    const all = plan.resources.filter((r) => r.type === "aws:s3/bucket:Bucket" && r.component === "trademaster:aws:AwsFoundation").map((b) => b.name);
    // The access-log bucket is SSE-S3 (log writers cannot use KMS): test/aws/logging-baseline.test.ts.
    expect(all.sort()).toEqual(["aws-access-logs", "aws-backups", "aws-logs"]);
    const buckets = all.filter((n) => n !== "aws-access-logs");
    for (const name of buckets) {
      const of = (type: string) => plan.resources.find((r) => r.type === type && r.name === name)!;
      expect(of("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
      const sse = of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules as Array<{ applyServerSideEncryptionByDefault: { sseAlgorithm: string; kmsMasterKeyId: unknown } }>;
      expect(sse[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("aws:kms");
      expect(sse[0].applyServerSideEncryptionByDefault.kmsMasterKeyId).toBeDefined();
      expect(of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    }
  });

  it("no stateful type of the plan is left out of the list above", async () => {
    const plan = await planFor("prod");
    // Anything with data-bearing words in its type must be listed (or be a known non-stateful helper).
    const suspicious = [...new Set(plan.resources.map((r) => r.type))].filter((t) => /(Cluster|Instance|ReplicationGroup|Bucket|Key|Repository|Secret|Topic|StatefulSet|PersistentVolumeClaim|Elasticsearch)$/.test(t));
    const helpers = new Set(["kubernetes:core/v1:Secret"]);
    expect(suspicious.filter((t) => !(t in STATEFUL_TYPES) && !helpers.has(t))).toEqual([]);
  });

  it("staging protects its data too (protectData: true), local does not need to", async () => {
    const staging = await planFor("staging");
    expect(staging.resources.filter((r) => r.type === "aws:rds/instance:Instance" || r.type === "aws:msk/cluster:Cluster").every((r) => r.protect)).toBe(true);
    const local = await planFor("local");
    expect(local.resources.filter((r) => r.protect)).toEqual([]);
  });
});

/**
 * One way to declare a private S3 bucket, shared by the foundation and the edge: all public access
 * blocked, ACLs disabled (bucket owner enforced), default encryption (SSE-KMS with a bucket key, or
 * SSE-S3 where the writer cannot use KMS), versioning, and server access logs into the stack's
 * access-log bucket (every bucket but that one).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ACCESS_LOG_PREFIXES } from "./spec";

export interface PrivateBucketArgs {
  /** Start of the bucket name; S3 adds a unique suffix. */
  bucketPrefix: string;
  /** Tags of the bucket (a `trademaster:purpose` tag is added from `kind`). */
  tags: Record<string, string>;
  /** KMS key of the default encryption. Without one: SSE-S3 (ELB and S3 log delivery need it). */
  kmsKey?: aws.kms.Key;
  /**
   * Name of the bucket receiving this bucket's S3 server access logs under `s3/<kind>/`.
   * `false` only for the access-log bucket itself (logging into itself would loop).
   */
  accessLogsBucket: pulumi.Input<string> | false;
  /** Pulumi `protect` of the bucket (stateful). */
  protect: boolean;
}

/** Declares `<name>-<kind>` and its settings as children of `parent`; returns the bucket. */
export function privateBucket(name: string, kind: string, args: PrivateBucketArgs, parent: pulumi.Resource): aws.s3.Bucket {
  const child: pulumi.CustomResourceOptions = { parent };
  const id = `${name}-${kind}`;
  const b = new aws.s3.Bucket(id, { bucketPrefix: args.bucketPrefix, forceDestroy: false, tags: { ...args.tags, "trademaster:purpose": kind } }, { parent, protect: args.protect });
  new aws.s3.BucketPublicAccessBlock(id, { bucket: b.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, child);
  new aws.s3.BucketOwnershipControls(id, { bucket: b.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
  const sse = args.kmsKey ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKey.arn } : { sseAlgorithm: "AES256" };
  new aws.s3.BucketServerSideEncryptionConfiguration(id, { bucket: b.id, rules: [{ applyServerSideEncryptionByDefault: sse, bucketKeyEnabled: args.kmsKey !== undefined }] }, child);
  new aws.s3.BucketVersioning(id, { bucket: b.id, versioningConfiguration: { status: "Enabled" } }, child);
  if (args.accessLogsBucket !== false) {
    new aws.s3.BucketLogging(
      id,
      {
        bucket: b.id,
        targetBucket: args.accessLogsBucket,
        targetPrefix: `${ACCESS_LOG_PREFIXES.s3}${kind}/`,
        // Date-partitioned keys: queryable by day with Athena, no listing of one flat prefix.
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
      },
      child,
    );
  }
  return b;
}

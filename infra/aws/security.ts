/**
 * Security operations of an AWS stack: the audit trail, threat detection and network records.
 * - CloudTrail: every Region, global service events, log file validation (digest files), encrypted
 *   with the `logs` KMS key, into the logs bucket under `cloudtrail/` (its policy admits this
 *   trail only, by `aws:SourceArn`);
 * - GuardDuty: a detector with EKS audit-log and runtime monitoring (GuardDuty manages its EKS
 *   agent add-on), S3, EBS malware and RDS login protections; findings published every 15 minutes;
 * - VPC flow logs: all traffic, 1-minute aggregation, Parquet with hourly Hive partitions, into the
 *   access-log bucket (vended-log delivery, admitted by that bucket's `AWSLogDeliveryWrite`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { CLOUDTRAIL_PREFIX, GUARDDUTY_FEATURES } from "./spec";

export interface SecurityOperationsArgs {
  /** Name of the trail (its ARN is already in the bucket and key policies). */
  trailName: string;
  /** Logs bucket (SSE-KMS) and the policy that admits the trail. */
  logsBucket: aws.s3.Bucket;
  logsBucketPolicy: aws.s3.BucketPolicy;
  /** The `logs` KMS key (its policy grants CloudTrail). */
  logsKey: aws.kms.Key;
  /** Access-log bucket and its policy (flow logs land there). */
  accessLogsBucket: aws.s3.Bucket;
  accessLogsBucketPolicy: aws.s3.BucketPolicy;
  vpcId: pulumi.Input<string>;
  tags: Record<string, string>;
}

export class SecurityOperations extends pulumi.ComponentResource {
  readonly trail: aws.cloudtrail.Trail;
  readonly detector: aws.guardduty.Detector;
  readonly flowLog: aws.ec2.FlowLog;

  constructor(name: string, args: SecurityOperationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:aws:SecurityOperations", name, {}, opts);
    const child: pulumi.CustomResourceOptions = { parent: this };
    this.trail = new aws.cloudtrail.Trail(
      `${name}-trail`,
      {
        name: args.trailName,
        s3BucketName: args.logsBucket.bucket,
        s3KeyPrefix: CLOUDTRAIL_PREFIX,
        isMultiRegionTrail: true,
        includeGlobalServiceEvents: true,
        enableLogFileValidation: true,
        enableLogging: true,
        kmsKeyId: args.logsKey.arn,
        tags: args.tags,
      },
      { ...child, dependsOn: [args.logsBucketPolicy] },
    );
    this.detector = new aws.guardduty.Detector(`${name}-guardduty`, { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES", tags: args.tags }, child);
    for (const f of GUARDDUTY_FEATURES) {
      new aws.guardduty.DetectorFeature(
        `${name}-guardduty-${f.name.toLowerCase().replace(/_/g, "-")}`,
        { detectorId: this.detector.id, name: f.name, status: "ENABLED", ...(f.additional ? { additionalConfigurations: f.additional.map((a) => ({ name: a, status: "ENABLED" })) } : {}) },
        child,
      );
    }
    this.flowLog = new aws.ec2.FlowLog(
      `${name}-flow-logs`,
      {
        vpcId: args.vpcId,
        trafficType: "ALL",
        logDestinationType: "s3",
        logDestination: args.accessLogsBucket.arn,
        maxAggregationInterval: 60,
        destinationOptions: { fileFormat: "parquet", hiveCompatiblePartitions: true, perHourPartition: true },
        tags: args.tags,
      },
      { ...child, dependsOn: [args.accessLogsBucketPolicy] },
    );
    this.registerOutputs({ trail: this.trail.arn, detector: this.detector.id });
  }
}

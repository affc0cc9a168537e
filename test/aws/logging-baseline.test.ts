import { describe, expect, it } from "vitest";
import { accessLogsBucketPolicy, ELB_LOG_DELIVERY_ACCOUNTS, logsKeyPolicy } from "../../infra/aws/spec";
import type { Plan, PlanResource } from "../../infra/plan/types";
import { ofType, planFor } from "../helpers/plan";
import { stackConfig } from "../mesh/stack";

const AWS_STACKS = ["staging", "prod"] as const;
type Statement = { Sid: string; Effect: string; Principal: Record<string, string> | string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string>> };

const byUrn = (plan: Plan) => new Map(plan.resources.map((r) => [r.urn, r]));
/** Region a resource is managed in: its explicit provider's, else the stack's. */
function regionOf(plan: Plan, r: PlanResource, stackRegion: string): string {
  const provider = plan.resources.find((p) => p.type === "pulumi:providers:aws" && r.provider?.startsWith(p.urn));
  return (provider?.inputs.region as string | undefined) ?? stackRegion;
}

describe("CloudWatch log groups", () => {
  it.each(AWS_STACKS)("are all encrypted with a KMS key of their Region whose policy lets CloudWatch Logs use it (%s)", async (stack) => {
    const plan = await planFor(stack);
    const { aws } = stackConfig(stack);
    const resources = byUrn(plan);
    const groups = ofType(plan, "aws:cloudwatch/logGroup:LogGroup");
    expect(groups.length).toBeGreaterThanOrEqual(5); // EKS, MSK, Redis, two WAF ACLs
    for (const g of groups) {
      expect(g.inputs.kmsKeyId, g.name).toBeDefined();
      const keys = g.dependencies.map((u) => resources.get(u)).filter((r): r is PlanResource => r?.type === "aws:kms/key:Key");
      expect(keys, g.name).toHaveLength(1);
      const region = regionOf(plan, g, aws!.region);
      expect(regionOf(plan, keys[0], aws!.region), g.name).toBe(region);
      const policy = JSON.parse(keys[0].inputs.policy as string) as { Statement: Statement[] };
      const grant = policy.Statement.find((s) => typeof s.Principal === "object" && s.Principal.Service === `logs.${region}.amazonaws.com`);
      expect(grant, `${g.name}: key grants logs.${region}`).toBeDefined();
      expect(grant!.Action).toEqual(expect.arrayContaining(["kms:GenerateDataKey*", "kms:Decrypt*"]));
      expect(grant!.Condition!.ArnLike["kms:EncryptionContext:aws:logs:arn"]).toBe(`arn:aws:logs:${region}:${aws!.accountId}:log-group:*`);
    }
  });

  it("key policy keeps the account as administrator and scopes CloudWatch Logs to this account's groups", () => {
    const p = logsKeyPolicy("111122223333", ["eu-west-1"]) as { Statement: Statement[] };
    expect(p.Statement[0]).toMatchObject({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*" });
    expect(p.Statement[1].Condition).toEqual({ ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111122223333:log-group:*" } });
  });
});

describe("S3 server access logging", () => {
  it.each(AWS_STACKS)("covers every bucket but the access-log bucket, into that bucket under s3/<kind>/ (%s)", async (stack) => {
    const plan = await planFor(stack);
    const buckets = ofType(plan, "aws:s3/bucket:Bucket");
    const [accessLogs] = buckets.filter((b) => (b.inputs.tags as Record<string, string>)["trademaster:purpose"] === "access-logs");
    expect(accessLogs).toBeDefined();
    const logging = ofType(plan, "aws:s3/bucketLogging:BucketLogging");
    for (const b of buckets.filter((x) => x !== accessLogs)) {
      const l = logging.filter((x) => x.dependencies.includes(b.urn) && x.dependencies.includes(accessLogs.urn));
      expect(l, b.name).toHaveLength(1);
      expect(l[0].inputs.targetPrefix).toBe(`s3/${(b.inputs.tags as Record<string, string>)["trademaster:purpose"]}/`);
    }
    expect(logging.length).toBe(buckets.length - 1);
    // The access-log bucket: SSE-S3 (log writers cannot use KMS), ACLs disabled, public access blocked.
    const sse = ofType(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").find((x) => x.dependencies.includes(accessLogs.urn))!;
    expect(sse.inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: false }]);
    const owner = ofType(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").find((x) => x.dependencies.includes(accessLogs.urn))!;
    expect(owner.inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    expect(ofType(plan, "aws:s3/bucketPolicy:BucketPolicy").filter((x) => x.dependencies.includes(accessLogs.urn))).toHaveLength(1);
  });

  it("the access-log bucket policy lets each log writer put objects under its own prefix only", () => {
    const arn = "arn:aws:s3:::tm-prod-access-logs-1";
    const p = accessLogsBucketPolicy(arn, "444455556666", "us-east-1") as { Statement: Statement[] };
    const sid = (id: string) => p.Statement.find((s) => s.Sid === id)!;
    expect(sid("S3ServerAccessLogs")).toMatchObject({ Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject", Resource: `${arn}/s3/*`, Condition: { StringEquals: { "aws:SourceAccount": "444455556666" } } });
    // us-east-1 predates August 2022: ELB writes through its regional account.
    expect(sid("ElbAccessLogs").Principal).toEqual({ AWS: "arn:aws:iam::127311923021:root", Service: "logdelivery.elasticloadbalancing.amazonaws.com" });
    expect(sid("ElbAccessLogs").Resource).toBe(`${arn}/alb/AWSLogs/444455556666/*`);
    expect(sid("AWSLogDeliveryWrite")).toMatchObject({ Principal: { Service: "delivery.logs.amazonaws.com" }, Resource: `${arn}/AWSLogs/444455556666/*` });
    expect(sid("AWSLogDeliveryWrite").Condition!.StringEquals["s3:x-amz-acl"]).toBe("bucket-owner-full-control");
    expect(p.Statement.some((s) => s.Effect === "Deny" && JSON.stringify(s.Condition).includes("aws:SecureTransport"))).toBe(true);
    // A Region opened later has no ELB account: the service principal alone.
    expect(ELB_LOG_DELIVERY_ACCOUNTS["ap-southeast-5"]).toBeUndefined();
    const newer = accessLogsBucketPolicy(arn, "1", "ap-southeast-5") as { Statement: Statement[] };
    expect(newer.Statement.find((s) => s.Sid === "ElbAccessLogs")!.Principal).toEqual({ Service: "logdelivery.elasticloadbalancing.amazonaws.com" });
  });
});

describe("ECR", () => {
  it.each(AWS_STACKS)("uses enhanced scanning, continuously, for the stack's repositories (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [scan] = ofType(plan, "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration");
    expect(scan.inputs).toEqual({ scanType: "ENHANCED", rules: [{ scanFrequency: "CONTINUOUS_SCAN", repositoryFilters: [{ filter: `tm-${stack}/*`, filterType: "WILDCARD" }] }] });
    for (const repo of ofType(plan, "aws:ecr/repository:Repository")) expect(repo.inputs.name as string).toMatch(new RegExp(`^tm-${stack}/`));
  });
});

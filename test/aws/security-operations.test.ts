import { describe, expect, it } from "vitest";
import { cloudTrailBucketStatements, GUARDDUTY_FEATURES, trailArn } from "../../infra/aws/spec";
import { loadPlatformConfig, namespacedConfig } from "../../infra/config/load";
import { readStackFile } from "../../infra/plan/run";
import { ValidationError } from "../../infra/validation/schema";
import type { Plan, PlanResource } from "../../infra/plan/types";
import { ofType, planFor } from "../helpers/plan";
import { stackConfig } from "../mesh/stack";

const AWS_STACKS = ["staging", "prod"] as const;
const byUrn = (plan: Plan) => new Map(plan.resources.map((r) => [r.urn, r]));
const purpose = (r: PlanResource) => (r.inputs.tags as Record<string, string> | undefined)?.["trademaster:purpose"];
const providerRegion = (plan: Plan, r: PlanResource) => plan.resources.find((p) => p.type === "pulumi:providers:aws" && r.provider?.startsWith(p.urn))?.inputs.region;

describe("CloudTrail", () => {
  it.each(AWS_STACKS)("records every Region with log file validation, encrypted with the logs key, into the logs bucket (%s)", async (stack) => {
    const plan = await planFor(stack);
    const resources = byUrn(plan);
    const [trail] = ofType(plan, "aws:cloudtrail/trail:Trail");
    expect(trail.inputs).toMatchObject({ name: `tm-${stack}-audit`, isMultiRegionTrail: true, includeGlobalServiceEvents: true, enableLogFileValidation: true, enableLogging: true, s3KeyPrefix: "cloudtrail" });
    const deps = trail.dependencies.map((u) => resources.get(u)!);
    const key = deps.find((r) => r.type === "aws:kms/key:Key")!;
    expect((key.inputs.tags as Record<string, string>)["trademaster:data-domain"]).toBe("logs");
    const keyPolicy = JSON.parse(key.inputs.policy as string) as { Statement: Array<{ Principal: unknown; Action: unknown; Condition?: Record<string, Record<string, string>> }> };
    const { aws } = stackConfig(stack);
    const arn = trailArn(aws!.region, aws!.accountId, `tm-${stack}-audit`);
    const encrypt = keyPolicy.Statement.find((s) => JSON.stringify(s.Principal).includes("cloudtrail") && s.Action === "kms:GenerateDataKey*")!;
    expect(encrypt.Condition!.StringEquals["aws:SourceArn"]).toBe(arn);
    const bucket = deps.find((r) => r.type === "aws:s3/bucket:Bucket")!;
    expect(purpose(bucket)).toBe("logs");
    // The bucket policy is in place before the trail starts writing.
    const policy = deps.find((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy")!;
    expect(policy.dependencies).toContain(bucket.urn);
  });

  it("admits this trail only, under cloudtrail/AWSLogs/<account>/", () => {
    const arn = "arn:aws:cloudtrail:us-east-1:444455556666:trail/tm-prod-audit";
    const [acl, write] = cloudTrailBucketStatements("arn:aws:s3:::logs", "444455556666", arn) as Array<{ Action: string; Resource: string; Condition: Record<string, Record<string, string>> }>;
    expect(acl.Action).toBe("s3:GetBucketAcl");
    expect(write.Resource).toBe("arn:aws:s3:::logs/cloudtrail/AWSLogs/444455556666/*");
    for (const s of [acl, write]) expect(s.Condition.StringEquals["aws:SourceArn"]).toBe(arn);
  });
});

describe("GuardDuty", () => {
  it.each(AWS_STACKS)("runs a detector with EKS audit-log and runtime protection (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [detector] = ofType(plan, "aws:guardduty/detector:Detector");
    expect(detector.inputs.enable).toBe(true);
    const features = ofType(plan, "aws:guardduty/detectorFeature:DetectorFeature");
    expect(features.map((f) => f.inputs.name).sort()).toEqual(GUARDDUTY_FEATURES.map((f) => f.name).sort());
    for (const f of features) {
      expect(f.inputs.status).toBe("ENABLED");
      expect(f.dependencies).toContain(detector.urn);
    }
    expect(features.map((f) => f.inputs.name)).toEqual(expect.arrayContaining(["EKS_AUDIT_LOGS", "RUNTIME_MONITORING"]));
    const runtime = features.find((f) => f.inputs.name === "RUNTIME_MONITORING")!;
    expect(runtime.inputs.additionalConfigurations).toEqual([{ name: "EKS_ADDON_MANAGEMENT", status: "ENABLED" }]);
  });
});

describe("VPC flow logs", () => {
  it.each(AWS_STACKS)("record all traffic of the VPC into the access-log bucket (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [flow] = ofType(plan, "aws:ec2/flowLog:FlowLog");
    const [vpc] = ofType(plan, "aws:ec2/vpc:Vpc");
    expect(flow.inputs).toMatchObject({ trafficType: "ALL", logDestinationType: "s3", maxAggregationInterval: 60 });
    const resources = byUrn(plan);
    expect(flow.dependencies).toContain(vpc.urn);
    expect(flow.dependencies.map((u) => resources.get(u)).filter((r) => r?.type === "aws:s3/bucket:Bucket").map((r) => purpose(r!))).toEqual(["access-logs"]);
  });
});

describe("RDS recovery", () => {
  it("prod replicates its automated backups to a second Region, encrypted there", async () => {
    const plan = await planFor("prod");
    const { postgres, aws } = stackConfig("prod");
    const [replication] = ofType(plan, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication");
    expect(replication).toBeDefined();
    expect(providerRegion(plan, replication)).toBe(postgres.backupReplicationRegion);
    expect(postgres.backupReplicationRegion).not.toBe(aws!.region);
    expect(replication.inputs.retentionPeriod).toBe(postgres.backupRetentionDays);
    const [db] = ofType(plan, "aws:rds/instance:Instance");
    expect(replication.dependencies).toContain(db.urn);
    const key = byUrn(plan).get(replication.dependencies.find((u) => u.includes("aws:kms/key:Key"))!)!;
    expect(providerRegion(plan, key)).toBe(postgres.backupReplicationRegion);
    expect(replication.protect).toBe(true);
  });

  it("staging (no second Region configured) has none; prod without one is refused", async () => {
    expect(ofType(await planFor("staging"), "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")).toHaveLength(0);
    const raw = namespacedConfig(readStackFile("prod").config);
    const pg = JSON.parse(String(raw.postgres)) as Record<string, unknown>;
    delete pg.backupReplicationRegion;
    expect(() => loadPlatformConfig("prod", { ...raw, postgres: JSON.stringify(pg) })).toThrow(ValidationError);
  });

  it.each(AWS_STACKS)("pre-creates the RDS log groups with KMS before the instance exports to them (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [db] = ofType(plan, "aws:rds/instance:Instance");
    const groups = ofType(plan, "aws:cloudwatch/logGroup:LogGroup").filter((g) => String(g.inputs.name).startsWith(`/aws/rds/instance/tm-${stack}-pg/`));
    expect(groups.map((g) => String(g.inputs.name).split("/").pop()).sort()).toEqual([...(db.inputs.enabledCloudwatchLogsExports as string[])].sort());
    for (const g of groups) expect(db.dependencies).toContain(g.urn);
  });

  it("postgres.instances is refused on AWS (it only sizes the in-cluster database)", () => {
    const raw = namespacedConfig(readStackFile("staging").config);
    const pg = { ...(JSON.parse(String(raw.postgres)) as Record<string, unknown>), instances: 3 };
    try {
      loadPlatformConfig("staging", { ...raw, postgres: JSON.stringify(pg) });
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).issues.map((i) => i.path)).toEqual(["config.trademaster:postgres.instances"]);
    }
  });
});

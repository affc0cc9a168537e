import { describe, expect, it } from "vitest";
import { loadPlatformConfig, namespacedConfig } from "../../infra/config/load";
import { MSK_KAFKA_VERSIONS } from "../../infra/config/schema";
import { kafkaProtocolVersion, mskAdminPolicy, mskServerProperties } from "../../infra/data/kafka";
import { MSK_OPEN_MONITORING_PORTS } from "../../infra/aws/spec";
import { readStackFile } from "../../infra/plan/run";
import { ValidationError } from "../../infra/validation/schema";
import { ofType, planFor } from "../helpers/plan";

const AWS_STACKS = ["staging", "prod"] as const;
const raw = (stack: string) => namespacedConfig(readStackFile(stack).config);
const withKafka = (stack: string, patch: Record<string, unknown>) => ({ ...raw(stack), kafka: JSON.stringify({ ...JSON.parse(String(raw(stack).kafka)), ...patch }) });
function issuesOf(stack: string, patch: Record<string, unknown>): Array<{ path: string; expected: string; found: string }> {
  try {
    loadPlatformConfig(stack, withKafka(stack, patch));
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  return [];
}

describe("MSK version", () => {
  it("the AWS stacks use an MSK version line and the local stack an exact Strimzi version", () => {
    for (const s of AWS_STACKS) expect(MSK_KAFKA_VERSIONS).toContain(loadPlatformConfig(s, raw(s)).kafka.version);
    expect(loadPlatformConfig("local", raw("local")).kafka.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("refuses a patch version MSK does not accept (3.9.0) on AWS, naming the accepted ones", () => {
    const issues = issuesOf("prod", { version: "3.9.0" });
    expect(issues).toEqual([{ path: "config.trademaster:kafka.version", expected: expect.stringContaining("3.9.x"), found: "3.9.0" }]);
    expect(issuesOf("local", { version: "3.9.x" }).map((i) => i.path)).toEqual(["config.trademaster:kafka.version"]);
    expect(issuesOf("staging", { version: "4.0.x.kraft" })).toEqual([]);
  });

  it("no longer takes an authentication switch (SCRAM for services, IAM for the admin, always)", () => {
    expect(issuesOf("prod", { authentication: "iam" }).map((i) => i.path)).toEqual(["config.trademaster.kafka.authentication"]);
  });

  it.each(AWS_STACKS)("the cluster and its configuration carry the same MSK version (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [cluster] = ofType(plan, "aws:msk/cluster:Cluster");
    const [conf] = ofType(plan, "aws:msk/configuration:Configuration");
    expect(cluster.inputs.kafkaVersion).toBe("3.9.x");
    expect(conf.inputs.kafkaVersions).toEqual(["3.9.x"]);
    expect(kafkaProtocolVersion("3.9.x")).toBe("3.9.0");
    expect(kafkaProtocolVersion("4.1.x.kraft")).toBe("4.1.0");
  });
});

describe("MSK authorization from an empty cluster", () => {
  it.each(AWS_STACKS)("is deny-by-default for SCRAM principals from creation; the admin is the deploying IAM role over SASL/IAM (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [cluster] = ofType(plan, "aws:msk/cluster:Cluster");
    expect(cluster.inputs.clientAuthentication).toEqual({ unauthenticated: false, sasl: { scram: true, iam: true } });
    const [conf] = ofType(plan, "aws:msk/configuration:Configuration");
    expect(String(conf.inputs.serverProperties).split("\n")).toContain("allow.everyone.if.no.acl.found=false");
    const [provider] = ofType(plan, "pulumi:providers:kafka");
    expect(provider.inputs).toMatchObject({ saslMechanism: "aws-iam", tlsEnabled: "true", kafkaVersion: "3.9.0" });
    expect(provider.inputs.saslUsername).toBeUndefined();
    expect(provider.inputs.saslPassword).toBeUndefined();
    // No SCRAM admin and no ACL on the Cluster resource beyond the exporter's Describe.
    const acls = ofType(plan, "kafka:index/acl:Acl");
    expect(acls.length).toBeGreaterThan(10);
    for (const a of acls) {
      expect(a.inputs.aclOperation, a.name).not.toBe("All");
      if (a.inputs.aclResourceType === "Cluster") expect(`${a.inputs.aclPrincipal} ${a.inputs.aclOperation}`).toBe("User:tm-kafka-exporter Describe");
      // Wildcards only for the exporter's Describe; a service names its topics and its group.
      if (a.inputs.aclPrincipal !== "User:tm-kafka-exporter") expect(a.inputs.aclResourceName, a.name).not.toBe("*");
    }
    expect(ofType(plan, "aws:secretsmanager/secret:Secret").map((s) => s.inputs.name)).not.toContain(`AmazonMSK_tm-${stack}_tm-admin`);
    expect(ofType(plan, "aws:iam/policy:Policy").find((p) => p.inputs.name === `tm-${stack}-kafka-admin`)).toBeDefined();
  });

  it("gives the admin cluster and topic management only: no data read or write, no groups", () => {
    const arn = "arn:aws:kafka:us-east-1:444455556666:cluster/tm-prod-kafka/0c6b2a4e-1111-2222-3333-444455556666-2";
    const p = mskAdminPolicy(arn) as { Statement: Array<{ Action: string[]; Resource: string }> };
    const actions = p.Statement.flatMap((s) => s.Action);
    expect(actions).toContain("kafka-cluster:AlterCluster");
    expect(actions).toContain("kafka-cluster:CreateTopic");
    expect(actions.filter((a) => /Data|Group|\*/.test(a))).toEqual([]);
    expect(p.Statement.map((s) => s.Resource)).toEqual([arn, "arn:aws:kafka:us-east-1:444455556666:topic/tm-prod-kafka/0c6b2a4e-1111-2222-3333-444455556666-2/*"]);
  });

  it("keeps the broker properties deny-by-default", () => {
    expect(mskServerProperties({ replicationFactor: 3, minInsyncReplicas: 2, uncleanLeaderElection: false, replayRetentionHours: 168 } as never)).toContain("allow.everyone.if.no.acl.found=false");
  });
});

describe("MSK open monitoring", () => {
  it.each(AWS_STACKS)("opens the JMX and node exporter ports to the node subnets only (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [cluster] = ofType(plan, "aws:msk/cluster:Cluster");
    expect(cluster.inputs.openMonitoring).toEqual({ prometheus: { jmxExporter: { enabledInBroker: true }, nodeExporter: { enabledInBroker: true } } });
    const sg = ofType(plan, "aws:ec2/securityGroup:SecurityGroup").find((s) => s.name === "aws-kafka")!;
    const ingress = sg.inputs.ingress as Array<{ fromPort: number; toPort: number; cidrBlocks: string[] }>;
    const monitoring = ingress.find((r) => r.fromPort === MSK_OPEN_MONITORING_PORTS.jmx)!;
    expect(monitoring.toPort).toBe(MSK_OPEN_MONITORING_PORTS.node);
    expect(monitoring.cidrBlocks).toEqual(ingress[0].cidrBlocks);
    expect(monitoring.cidrBlocks).not.toContain("0.0.0.0/0");
  });
});

import { describe, expect, it } from "vitest";
import { amiTypeFor, denyInsecureTransport, eksEndpointAccess, kubeconfig, networkPlan, subnetCidr } from "../../infra/aws/spec";
import { loadCatalog } from "../../infra/catalog/load";
import { planFor, ofType } from "../helpers/plan";

const catalog = loadCatalog();
const toRange = (cidr: string): [number, number] => {
  const [ip, p] = cidr.split("/");
  const n = ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  return [n, n + 2 ** (32 - Number(p)) - 1];
};

describe("address plan", () => {
  const plan = networkPlan({ vpcCidr: "10.30.0.0/16", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"] });
  const all = [...plan.public, ...plan.private, ...plan.data];

  it("gives each zone a public, a private (/19) and a data subnet", () => {
    expect(plan.private.map((s) => s.cidr)).toEqual(["10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"]);
    expect(plan.data.map((s) => s.cidr)).toEqual(["10.30.96.0/21", "10.30.104.0/21", "10.30.112.0/21"]);
    expect(plan.public.map((s) => s.cidr)).toEqual(["10.30.128.0/21", "10.30.136.0/21", "10.30.144.0/21"]);
  });

  it("subnets lie inside the VPC and never overlap", () => {
    const [vpcLo, vpcHi] = toRange("10.30.0.0/16");
    const ranges = all.map((s) => toRange(s.cidr)).sort((a, b) => a[0] - b[0]);
    for (const [lo, hi] of ranges) expect(lo >= vpcLo && hi <= vpcHi).toBe(true);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThan(ranges[i - 1][1]);
  });

  it("refuses subnets that do not fit", () => {
    expect(() => subnetCidr("10.0.0.0/16", 15, 0)).toThrow();
    expect(() => subnetCidr("10.0.0.0/16", 19, 8)).toThrow(/only 8/);
  });
});

describe("S3 encryption in transit", () => {
  it("denies every S3 action on the bucket and its objects unless the request uses TLS", () => {
    expect(denyInsecureTransport("arn:aws:s3:::tm-prod-backups")).toEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["arn:aws:s3:::tm-prod-backups", "arn:aws:s3:::tm-prod-backups/*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });
});

describe("EKS settings", () => {
  it("never opens the endpoint to the world and is private when no CIDR is listed", () => {
    expect(eksEndpointAccess({ eks: { publicAccessCidrs: [] } } as never)).toEqual({ endpointPrivateAccess: true, endpointPublicAccess: false });
    expect(eksEndpointAccess({ eks: { publicAccessCidrs: ["203.0.113.0/24"] } } as never)).toMatchObject({ endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] });
    expect(() => eksEndpointAccess({ eks: { publicAccessCidrs: ["0.0.0.0/0"] } } as never)).toThrow(/open to the world/);
  });

  it("picks the ARM AMI for Graviton node types and refuses mixed groups", () => {
    expect(amiTypeFor(["m7g.xlarge"])).toBe("AL2023_ARM_64_STANDARD");
    expect(amiTypeFor(["m7i.xlarge", "c6a.large"])).toBe("AL2023_x86_64_STANDARD");
    expect(() => amiTypeFor(["m7g.xlarge", "m7i.xlarge"])).toThrow(/mixes/);
  });

  it("kubeconfig authenticates with aws eks get-token and holds no credential", () => {
    const doc = JSON.parse(kubeconfig({ clusterName: "tm-prod", endpoint: "https://x.eks.amazonaws.com", certificateAuthority: "Q0E=", region: "us-east-1" }));
    expect(doc.users[0].user.exec.args).toEqual(["eks", "get-token", "--cluster-name", "tm-prod", "--region", "us-east-1", "--output", "json"]);
    expect(doc.users[0].user.token).toBeUndefined();
  });
});

describe.each(["staging", "prod"] as const)("%s AWS foundation in the plan", (stack) => {
  it("EKS encrypts Secrets with KMS, ships every control-plane log type, and limits the endpoint", async () => {
    const plan = await planFor(stack);
    const [eks] = ofType(plan, "aws:eks/cluster:Cluster");
    expect(eks.inputs.encryptionConfig).toMatchObject({ resources: ["secrets"] });
    // Every control-plane log type EKS offers (AWS EKS user guide, "Control plane logging").
    expect([...(eks.inputs.enabledClusterLogTypes as string[])].sort()).toEqual(["api", "audit", "authenticator", "controllerManager", "scheduler"]);
    const vpc = eks.inputs.vpcConfig as { endpointPublicAccess: boolean; publicAccessCidrs?: string[]; subnetIds: unknown[] };
    expect(vpc.subnetIds).toHaveLength(3);
    if (stack === "prod") expect(vpc.endpointPublicAccess).toBe(false);
    else expect(vpc.publicAccessCidrs).toEqual(["203.0.113.0/24"]);
  });

  it("managed node groups come from config with the workload-class label", async () => {
    const plan = await planFor(stack);
    const groups = ofType(plan, "aws:eks/nodeGroup:NodeGroup").map((g) => [g.inputs.nodeGroupName, (g.inputs.labels as Record<string, string>)["workload-class"]]);
    expect(groups.sort()).toEqual(stack === "prod" ? [["critical", "critical"], ["general", "general"]] : [["general", "general"]]);
  });

  it("one KMS key per data domain with rotation; VPC with 9 subnets over 3 zones", async () => {
    const plan = await planFor(stack);
    const keys = ofType(plan, "aws:kms/key:Key").filter((k) => k.component === "trademaster:aws:AwsFoundation");
    // A customer key of its own for each data domain the issue names, and one alias per key.
    const prefix = `tm-${stack}`;
    const aliases = ofType(plan, "aws:kms/alias:Alias").filter((a) => a.component === "trademaster:aws:AwsFoundation").map((a) => String(a.inputs.name));
    expect(aliases).toEqual(expect.arrayContaining(["eks", "kafka", "redis", "postgres", "secrets", "storage", "logs"].map((d) => `alias/${prefix}/${d}`)));
    expect(keys).toHaveLength(aliases.length);
    for (const k of keys) expect(k.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    const subnets = ofType(plan, "aws:ec2/subnet:Subnet");
    expect(subnets).toHaveLength(9);
    expect(new Set(subnets.map((s) => s.inputs.availabilityZone)).size).toBe(3);
    expect(subnets.every((s) => s.inputs.mapPublicIpOnLaunch !== true)).toBe(true);
  });

  it("one ECR repository per service: scan on push, immutable tags, KMS", async () => {
    const plan = await planFor(stack);
    const repos = ofType(plan, "aws:ecr/repository:Repository");
    expect(repos.map((r) => r.inputs.name).sort()).toEqual(catalog.services.map((s) => `tm-${stack}/${s.name}`).sort());
    for (const r of repos) {
      expect(r.inputs).toMatchObject({ imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true } });
      expect(r.inputs.encryptionConfigurations).toEqual([expect.objectContaining({ encryptionType: "KMS" })]);
    }
  });

  it("data stores accept traffic only from the node subnets", async () => {
    const plan = await planFor(stack);
    const groups = ofType(plan, "aws:ec2/securityGroup:SecurityGroup").filter((g) => g.component === "trademaster:aws:AwsFoundation");
    expect(groups.map((g) => g.name).sort()).toEqual(["aws-kafka", "aws-postgres", "aws-redis"]);
    const nodes = networkPlan({ vpcCidr: stack === "prod" ? "10.30.0.0/16" : "10.20.0.0/16", availabilityZones: ["a", "b", "c"].map((z) => `x-y-1${z}`) }).private.map((s) => s.cidr);
    for (const g of groups) for (const rule of g.inputs.ingress as Array<{ cidrBlocks: string[] }>) expect(rule.cidrBlocks).toEqual(nodes);
  });
});

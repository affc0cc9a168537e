/**
 * Public-exposure policy: nothing but the edge is reachable from the internet. Field names are
 * those of @pulumi/aws 7.x inputs (rds publiclyAccessible, security group ingress, S3 public access
 * block, EKS vpcConfig.endpointPublicAccess / publicAccessCidrs, MSK connectivityInfo.publicAccess).
 */
import type { PolicyResource, ReportViolation, StackValidationArgs } from "@pulumi/policy";
import { asArray, asBool, asNumber, asObject, asString, at, atPath, isProvided, readKnown, type Json } from "../lib/props";
import { asvs, cisAws, levels, owasp, pci, type TrademasterStackPolicy } from "../lib/types";

/** CIDRs that mean "the internet". */
const WORLD = ["0.0.0.0/0", "::/0"];
/** The only ports the internet may reach (TCP, on the edge load balancer): HTTPS and the HTTP redirect. */
export const PUBLIC_PORTS = [80, 443];
const PUBLIC_ACCESS_BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const PAB_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";

/** Why an ingress rule opens more than HTTPS/HTTP to the internet, or undefined. */
export function worldIngressProblem(rule: { cidrs: string[]; protocol: string | undefined; from: number | undefined; to: number | undefined }): string | undefined {
  const world = rule.cidrs.filter((c) => WORLD.includes(c));
  if (world.length === 0) return undefined;
  const protocol = (rule.protocol ?? "tcp").toLowerCase();
  if (protocol === "-1" || protocol === "all") return `opens every protocol and port to ${world.join(", ")}`;
  const from = rule.from ?? 0;
  const to = rule.to ?? 65535;
  if ((protocol === "tcp" || protocol === "6") && from === to && PUBLIC_PORTS.includes(from)) return undefined;
  return `opens ${protocol} ${from === to ? `port ${from}` : `ports ${from}-${to}`} to ${world.join(", ")} (only tcp ${PUBLIC_PORTS.join("/")} may face the internet)`;
}

function strings(v: unknown): string[] {
  return asArray(v).map((x) => asString(x) ?? "");
}

/** Buckets a resource belongs to: its dependencies or parent (bucket ids are unknown in preview). */
function bucketsOf(r: PolicyResource, buckets: PolicyResource[]): PolicyResource[] {
  return buckets.filter((b) => r.dependencies.some((d) => d.urn === b.urn) || r.parent?.urn === b.urn);
}

function securityGroupRules(r: PolicyResource, report: ReportViolation): void {
  const p = r.props;
  if (r.type === "aws:ec2/securityGroup:SecurityGroup") {
    for (const [i, rule] of asArray(p.ingress).entries()) {
      const why = worldIngressProblem({
        cidrs: [...strings(at(rule, "cidrBlocks")), ...strings(at(rule, "ipv6CidrBlocks"))],
        protocol: asString(at(rule, "protocol")),
        from: asNumber(at(rule, "fromPort")),
        to: asNumber(at(rule, "toPort")),
      });
      if (why) report(atPath(`ingress[${i}]`, why), r.urn);
    }
  } else if (r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
    const why = worldIngressProblem({
      cidrs: [asString(readKnown(p, "cidrIpv4")) ?? "", asString(readKnown(p, "cidrIpv6")) ?? ""],
      protocol: asString(p.ipProtocol),
      from: asNumber(p.fromPort),
      to: asNumber(p.toPort),
    });
    if (why) report(atPath(asString(readKnown(p, "cidrIpv4")) !== undefined ? "cidrIpv4" : "cidrIpv6", why), r.urn);
  } else if (r.type === "aws:ec2/securityGroupRule:SecurityGroupRule" && asString(p.type) === "ingress") {
    const why = worldIngressProblem({ cidrs: [...strings(p.cidrBlocks), ...strings(p.ipv6CidrBlocks)], protocol: asString(p.protocol), from: asNumber(p.fromPort), to: asNumber(p.toPort) });
    if (why) report(atPath("cidrBlocks", why), r.urn);
  } else if (r.type === "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup") {
    for (const key of ["ingress", "egress"]) if (asArray(p[key]).length) report(atPath(key, "has rules: the VPC default security group must allow nothing (CIS 5.4)"), r.urn);
  }
}

export const noPublicExposure: TrademasterStackPolicy = {
  kind: "stack",
  name: "no-public-exposure",
  description:
    "Only the edge faces the internet: no publicly accessible database, no security group open to 0.0.0.0/0 or ::/0 beyond tcp 80/443, every S3 bucket behind a full public access block and no public ACL, a private EKS API endpoint (or one limited to named CIDRs), no public MSK brokers or OpenSearch endpoint.",
  severity: "critical",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  controls: [
    cisAws("2.1.4", "S3 buckets are configured with 'Block public access'"),
    cisAws("2.3.3", "RDS instances are not publicly accessible"),
    cisAws("5.2", "No security groups allow ingress from 0.0.0.0/0 to remote server administration ports"),
    cisAws("5.4", "The default security group of every VPC restricts all traffic"),
    owasp("API8:2023", "Security Misconfiguration"),
    asvs("V14.1.x", "Build and deploy: segregated, least-exposed components"),
    pci("1.3.1", "Inbound traffic to the cardholder data environment is restricted"),
    pci("1.4.1", "Network security controls between trusted and untrusted networks"),
  ],
  remediation:
    "Set publiclyAccessible: false on RDS; open security groups to the internet only on tcp 443 (and 80 for the redirect) of the load balancer, everything else to VPC CIDRs or security groups; declare aws.s3.BucketPublicAccessBlock with all four flags true for every bucket and no public ACL; set vpcConfig { endpointPublicAccess: false, endpointPrivateAccess: true } on EKS (or publicAccessCidrs with named ranges); MSK connectivityInfo.publicAccess.type DISABLED; OpenSearch in a VPC (vpcOptions).",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const buckets = args.resources.filter((r) => BUCKET_TYPES.includes(r.type));
    const blocks = args.resources.filter((r) => r.type === PAB_TYPE);
    for (const r of args.resources) {
      const p: Json = r.props;
      switch (r.type) {
        case "aws:rds/instance:Instance":
        case "aws:rds/clusterInstance:ClusterInstance":
          if (asBool(p.publiclyAccessible) === true) report(atPath("publiclyAccessible", "is true: the database gets a public DNS name and address"), r.urn);
          break;
        case "aws:eks/cluster:Cluster": {
          const vpc = asObject(p.vpcConfig) ?? {};
          // The provider's default is a public endpoint open to 0.0.0.0/0.
          if (asBool(vpc.endpointPublicAccess) === false) break;
          const cidrs = strings(vpc.publicAccessCidrs);
          if (cidrs.length === 0 || cidrs.some((c) => WORLD.includes(c))) {
            report(atPath("vpcConfig.endpointPublicAccess", `is ${vpc.endpointPublicAccess === undefined ? "unset (default true)" : "true"} with publicAccessCidrs ${cidrs.length ? cidrs.join(", ") : "unset (default 0.0.0.0/0)"}: the Kubernetes API faces the internet`), r.urn);
          }
          break;
        }
        case "aws:msk/cluster:Cluster": {
          const type = asString(at(p, "brokerNodeGroupInfo", "connectivityInfo", "publicAccess", "type"));
          if (type !== undefined && type !== "DISABLED") report(atPath("brokerNodeGroupInfo.connectivityInfo.publicAccess.type", `is ${type}: brokers get public addresses`), r.urn);
          break;
        }
        case "aws:opensearch/domain:Domain":
        case "aws:elasticsearch/domain:Domain":
          if (!isProvided(p, "vpcOptions")) report(atPath("vpcOptions", "is missing: the domain gets a public endpoint"), r.urn);
          break;
        case PAB_TYPE:
          for (const flag of PUBLIC_ACCESS_BLOCK_FLAGS) if (asBool(p[flag]) !== true) report(atPath(flag, "is not true"), r.urn);
          break;
        case "aws:s3/bucket:Bucket":
        case "aws:s3/bucketV2:BucketV2":
        case "aws:s3/bucketAclV2:BucketAclV2":
        case "aws:s3/bucketAcl:BucketAcl":
          if (PUBLIC_ACLS.includes(asString(p.acl) ?? "")) report(atPath("acl", `is ${asString(p.acl)}: the bucket is readable by everyone`), r.urn);
          break;
        default:
          securityGroupRules(r, report);
      }
    }
    for (const b of buckets) {
      if (!blocks.some((pab) => bucketsOf(pab, [b]).length > 0)) report(`bucket "${b.name}" has no aws.s3.BucketPublicAccessBlock: a policy or ACL can make it public`, b.urn);
    }
  },
};

/**
 * Edge policies: TLS on the load balancer and CloudFront, WAF in front of both, and access logs.
 * Field names are those of @pulumi/aws 7.x (lb.Listener defaultActions/sslPolicy, lb.LoadBalancer
 * accessLogs, cloudfront.Distribution viewerCertificate/webAclId/loggingConfig, wafv2).
 */
import type { PolicyResource, ReportViolation, StackValidationArgs } from "@pulumi/policy";
import { asArray, asBool, asObject, asString, at, atPath, isProvided, readKnown } from "../lib/props";
import { asvs, cisAws, levels, owasp, pci, type TrademasterStackPolicy } from "../lib/types";

const LISTENER_TYPES = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const LB_TYPES = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];
const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy";
const WEB_ACL = "aws:wafv2/webAcl:WebAcl";

/**
 * ELB security policies that negotiate TLS 1.2 or later only (the TLS13-1-2/1-3, FS-1-2 and
 * TLS-1-2 families). The provider's default when `sslPolicy` is unset, ELBSecurityPolicy-2016-08,
 * still accepts TLS 1.0.
 */
export const STRONG_ELB_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]|FS-1-2|TLS-1-2)-/;
export const ELB_DEFAULT_POLICY = "ELBSecurityPolicy-2016-08";
/** CloudFront viewer security policies with TLS 1.2+ and no CBC/SHA1 ciphers. */
export const STRONG_CLOUDFRONT_POLICY = /^TLSv1\.(2_20(19|21|25)|3_\d{4})$/;

function isApplicationLb(r: PolicyResource): boolean {
  return LB_TYPES.includes(r.type) && (asString(r.props.loadBalancerType) ?? "application") === "application";
}

function dependsOn(r: PolicyResource, target: PolicyResource): boolean {
  return r.dependencies.some((d) => d.urn === target.urn);
}

/** Cache behaviors of a distribution with their property paths. */
function behaviors(d: PolicyResource): Array<{ path: string; b: Record<string, unknown> }> {
  const out = [{ path: "defaultCacheBehavior", b: asObject(d.props.defaultCacheBehavior) ?? {} }];
  for (const [i, b] of asArray(d.props.orderedCacheBehaviors).entries()) out.push({ path: `orderedCacheBehaviors[${i}]`, b: asObject(b) ?? {} });
  return out;
}

export const albTls: TrademasterStackPolicy = {
  kind: "stack",
  name: "alb-tls",
  description: "Load balancers speak TLS 1.2+ only: HTTP listeners only redirect to HTTPS (never forward), HTTPS listeners use a TLS 1.2+ security policy, and invalid header fields are dropped.",
  severity: "high",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  controls: [
    owasp("API8:2023", "Security Misconfiguration"),
    asvs("V9.1.1", "TLS is used for all client connectivity and does not fall back to insecure protocols"),
    asvs("V9.1.3", "Only the latest recommended TLS versions are enabled"),
    pci("4.2.1", "Strong cryptography protects data in transit"),
  ],
  remediation:
    "Give the port-80 listener a single default action { type: \"redirect\", redirect: { protocol: \"HTTPS\", port: \"443\", statusCode: \"HTTP_301\" } }; set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or a TLS13-1-2-Res / FS-1-2 policy) on HTTPS listeners; set dropInvalidHeaderFields: true on application load balancers.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    for (const r of args.resources) {
      if (LISTENER_TYPES.includes(r.type)) {
        const protocol = asString(r.props.protocol) ?? "HTTP";
        if (protocol === "HTTP") {
          for (const [i, a] of asArray(r.props.defaultActions).entries()) {
            const type = asString(at(a, "type"));
            const to = asString(at(a, "redirect", "protocol"));
            if (type === "fixed-response") continue;
            if (type !== "redirect") report(atPath(`defaultActions[${i}].type`, `is ${type ?? "unset"} on an HTTP listener: plaintext requests reach the targets (expected a redirect to HTTPS)`), r.urn);
            else if (to !== "HTTPS") report(atPath(`defaultActions[${i}].redirect.protocol`, `is ${to ?? "unset (keeps #{protocol})"} (expected HTTPS)`), r.urn);
          }
        } else if (protocol === "HTTPS" || protocol === "TLS") {
          const policy = asString(readKnown(r.props, "sslPolicy"));
          if (!STRONG_ELB_POLICY.test(policy ?? ELB_DEFAULT_POLICY)) report(atPath("sslPolicy", `is ${policy ?? `unset (default ${ELB_DEFAULT_POLICY})`}: it accepts TLS below 1.2`), r.urn);
        }
      }
      if (isApplicationLb(r) && asBool(r.props.dropInvalidHeaderFields) !== true) report(atPath("dropInvalidHeaderFields", "is not true: malformed headers reach the targets (request smuggling)"), r.urn);
    }
  },
};

export const cloudfrontTls: TrademasterStackPolicy = {
  kind: "stack",
  name: "cloudfront-tls",
  description:
    "CloudFront serves HTTPS only with a TLS 1.2+ viewer policy (own certificate, TLSv1.2_2019 or later), and every cache behavior sets a response headers policy of this stack (the one security-headers checks).",
  severity: "high",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  controls: [
    owasp("API8:2023", "Security Misconfiguration"),
    asvs("V9.1.1", "TLS is used for all client connectivity and does not fall back to insecure protocols"),
    asvs("V14.4", "HTTP Security Headers"),
    pci("4.2.1", "Strong cryptography protects data in transit"),
  ],
  remediation:
    "Set viewerProtocolPolicy: \"redirect-to-https\" (or \"https-only\") on every cache behavior, viewerCertificate { acmCertificateArn, sslSupportMethod: \"sni-only\", minimumProtocolVersion: \"TLSv1.2_2021\" } (the default *.cloudfront.net certificate allows TLSv1), and responseHeadersPolicyId: <the stack's aws.cloudfront.ResponseHeadersPolicy>.id on every behavior.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const headerPolicies = args.resources.filter((r) => r.type === HEADERS_POLICY);
    for (const d of args.resources.filter((r) => r.type === DISTRIBUTION)) {
      for (const { path, b } of behaviors(d)) {
        const vpp = asString(b.viewerProtocolPolicy);
        if (vpp !== "redirect-to-https" && vpp !== "https-only") report(atPath(`${path}.viewerProtocolPolicy`, `is ${vpp ?? "unset"}: viewers may use plain HTTP`), d.urn);
        if (!isProvided(b, "responseHeadersPolicyId")) report(atPath(`${path}.responseHeadersPolicyId`, "is missing: responses go out without the security headers"), d.urn);
        else if (readKnown(b, "responseHeadersPolicyId") !== undefined || !headerPolicies.some((h) => dependsOn(d, h))) {
          report(atPath(`${path}.responseHeadersPolicyId`, "does not reference a response headers policy of this stack, so its headers are not checked"), d.urn);
        }
      }
      const cert = asObject(d.props.viewerCertificate) ?? {};
      if (asBool(cert.cloudfrontDefaultCertificate) === true) {
        report(atPath("viewerCertificate.cloudfrontDefaultCertificate", "is true: the default certificate pins the viewer policy to TLSv1"), d.urn);
      } else {
        const min = asString(cert.minimumProtocolVersion);
        if (!STRONG_CLOUDFRONT_POLICY.test(min ?? "TLSv1")) report(atPath("viewerCertificate.minimumProtocolVersion", `is ${min ?? "unset (default TLSv1)"} (expected TLSv1.2_2021 or later)`), d.urn);
      }
    }
  },
};

export const edgeWaf: TrademasterStackPolicy = {
  kind: "stack",
  name: "edge-waf",
  description: "A WAFv2 web ACL protects every internet-facing entry point (CloudFront distributions and public application load balancers), and every web ACL logs its decisions.",
  severity: "high",
  enforcement: levels("advisory", "mandatory", "mandatory"),
  controls: [
    owasp("API4:2023", "Unrestricted Resource Consumption"),
    owasp("API8:2023", "Security Misconfiguration"),
    asvs("V13.1.x", "Generic web service security: protection against automated attacks"),
    pci("6.4.2", "An automated technical solution detects and prevents web-based attacks"),
    pci("10.2.1", "Audit logs are enabled and active"),
  ],
  remediation:
    "Set webAclId: <wafv2.WebAcl (scope CLOUDFRONT, us-east-1)>.arn on every CloudFront distribution; associate public ALBs with a regional web ACL (aws.wafv2.WebAclAssociation { resourceArn: alb.arn }); declare aws.wafv2.WebAclLoggingConfiguration for every web ACL (a log group named aws-waf-logs-*).",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const associations = args.resources.filter((r) => r.type === "aws:wafv2/webAclAssociation:WebAclAssociation");
    const logging = args.resources.filter((r) => r.type === "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
    for (const r of args.resources) {
      if (r.type === DISTRIBUTION && !isProvided(r.props, "webAclId")) report(atPath("webAclId", "is missing: the distribution has no WAF"), r.urn);
      if (isApplicationLb(r) && asBool(r.props.internal) !== true && !associations.some((a) => dependsOn(a, r))) {
        report(`public load balancer "${r.name}" has no aws.wafv2.WebAclAssociation`, r.urn);
      }
      if (r.type === WEB_ACL && !logging.some((l) => dependsOn(l, r))) report(`web ACL "${r.name}" has no aws.wafv2.WebAclLoggingConfiguration: its blocks are not audited`, r.urn);
    }
  },
};

export const edgeAccessLogs: TrademasterStackPolicy = {
  kind: "stack",
  name: "edge-access-logs",
  description: "Every request at the edge is logged: CloudFront distributions have standard access logging (legacy loggingConfig or a v2 ACCESS_LOGS delivery source) and application load balancers have access logs enabled.",
  severity: "medium",
  enforcement: levels("advisory", "mandatory", "mandatory"),
  controls: [
    cisAws("3.x", "Logging: access logging on internet-facing services"),
    owasp("API8:2023", "Security Misconfiguration (insufficient logging)"),
    asvs("V7.1.x", "Log content"),
    pci("10.2.1", "Audit logs are enabled and active for all system components"),
  ],
  remediation:
    "Set loggingConfig { bucket: <logs bucket>.bucketDomainName, prefix } on CloudFront (or an aws.cloudwatch.LogDeliverySource { logType: \"ACCESS_LOGS\", resourceArn: distribution.arn } with its delivery), and accessLogs { enabled: true, bucket } on application load balancers.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const deliverySources = args.resources.filter((r) => r.type === "aws:cloudwatch/logDeliverySource:LogDeliverySource" && asString(r.props.logType) === "ACCESS_LOGS");
    for (const r of args.resources) {
      if (r.type === DISTRIBUTION && !isProvided(r.props.loggingConfig, "bucket") && !deliverySources.some((s) => dependsOn(s, r))) {
        report(atPath("loggingConfig", "is missing and no ACCESS_LOGS log delivery source names the distribution: requests are not logged"), r.urn);
      }
      if (isApplicationLb(r)) {
        const logs = asObject(r.props.accessLogs);
        if (!logs || asBool(logs.enabled) !== true || !isProvided(logs, "bucket")) report(atPath("accessLogs", "are not enabled with a bucket"), r.urn);
      }
    }
  },
};

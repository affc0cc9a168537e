/**
 * Pure settings of the AWS edge: WAF rules, the CloudFront response-headers policy (from the one
 * security-headers module shared with Kong), bucket policy and TLS choices. No resources here.
 */
import { denyInsecureTransport } from "../aws/spec";
import type { PlatformConfig } from "../config/schema";
import { hstsMaxAgeSeconds, LEAKY_RESPONSE_HEADERS, SECURITY_HEADERS } from "../gateway/security-headers";

/** TLS 1.3 with 1.2 fallback, forward secrecy only (ALB HTTPS listener). */
export const ALB_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** CloudFront minimum viewer TLS when it serves our own certificate. */
export const CLOUDFRONT_MIN_TLS = "TLSv1.2_2021";
/** Region of CloudFront's control plane: WAF scope CLOUDFRONT, vended-log delivery sources, ACM. */
export const CLOUDFRONT_REGION = "us-east-1";
/** Output format of CloudFront standard logs v2 (one of json, plain, w3c, parquet for CloudFront). */
export const CLOUDFRONT_LOG_FORMAT = "json";
/** S3 key suffix of CloudFront standard logs v2 (after `AWSLogs/<account>/CloudFront/`). */
export const CLOUDFRONT_LOG_SUFFIX = "{DistributionId}/{yyyy}/{MM}/{dd}/{HH}";
/** AWS managed cache policy "CachingOptimized" (static assets, gzip/brotli). */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";

export interface WafManagedGroup {
  name: string;
  /** Rules of the group switched to count (enforced elsewhere), with the reason. */
  countOnly: Array<{ rule: string; why: string }>;
}

/**
 * AWS managed rule groups of the web ACL. The Common set's 8 KB body limit would block legitimate
 * API bodies up to `requestSizeLimitMb`; Kong's request-size-limiting enforces that limit instead.
 */
export const WAF_MANAGED_GROUPS: readonly WafManagedGroup[] = [
  { name: "AWSManagedRulesCommonRuleSet", countOnly: [{ rule: "SizeRestrictions_BODY", why: "body size is limited by Kong (request-size-limiting)" }] },
  { name: "AWSManagedRulesSQLiRuleSet", countOnly: [] },
  { name: "AWSManagedRulesKnownBadInputsRuleSet", countOnly: [] },
];

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });

/** The web ACL rules: per-IP rate limit first (cheapest), then the managed groups. */
export function wafRules(config: Pick<PlatformConfig, "gateway">, prefix: string) {
  return [
    {
      name: "rate-limit-per-ip",
      priority: 0,
      action: { block: {} },
      statement: { rateBasedStatement: { limit: config.gateway.wafRateLimitPer5Min, aggregateKeyType: "IP", evaluationWindowSec: 300 } },
      visibilityConfig: visibility(`${prefix}-rate-limit`),
    },
    ...WAF_MANAGED_GROUPS.map((g, i) => ({
      name: g.name,
      priority: i + 1,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: "AWS",
          name: g.name,
          ruleActionOverrides: g.countOnly.map((c) => ({ name: c.rule, actionToUse: { count: {} } })),
        },
      },
      visibilityConfig: visibility(`${prefix}-${g.name}`),
    })),
  ];
}

/** Headers CloudFront has first-class fields for; the rest of SECURITY_HEADERS go as custom headers. */
const FIRST_CLASS = new Set(["Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"]);

/**
 * CloudFront response headers policy carrying the same security header values as Kong
 * (Cache-Control excepted: static assets are meant to be cached).
 */
export function responseHeadersPolicyConfig() {
  const h = SECURITY_HEADERS;
  const frame = h["X-Frame-Options"];
  if (frame !== "DENY" && frame !== "SAMEORIGIN") throw new Error(`X-Frame-Options ${frame} is not expressible in CloudFront`);
  return {
    securityHeadersConfig: {
      strictTransportSecurity: {
        accessControlMaxAgeSec: hstsMaxAgeSeconds(),
        includeSubdomains: /includeSubDomains/.test(h["Strict-Transport-Security"]),
        preload: /preload/.test(h["Strict-Transport-Security"]),
        override: true,
      },
      contentSecurityPolicy: { contentSecurityPolicy: h["Content-Security-Policy"], override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: frame, override: true },
      referrerPolicy: { referrerPolicy: h["Referrer-Policy"], override: true },
    },
    customHeadersConfig: {
      items: Object.entries(h)
        .filter(([name]) => !FIRST_CLASS.has(name))
        .map(([header, value]) => ({ header, value, override: true })),
    },
    // CloudFront refuses to remove some headers (Via among them); the rest of the leak list goes.
    removeHeadersConfig: {
      items: LEAKY_RESPONSE_HEADERS.filter((n) => !CLOUDFRONT_UNREMOVABLE.has(n.toLowerCase())).map((header) => ({ header })),
    },
  };
}

/** Headers CloudFront does not allow a response headers policy to remove. */
const CLOUDFRONT_UNREMOVABLE = new Set(["via", "connection", "content-encoding", "content-length", "transfer-encoding", "upgrade", "warning"]);

/** A statement letting CloudFront act for one distribution only (Origin Access Control). */
function forThisDistribution(sid: string, action: string | string[], resource: string, distributionArn: string): Record<string, unknown> {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: "cloudfront.amazonaws.com" },
    Action: action,
    Resource: resource,
    Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
  };
}

/** Static assets bucket policy: reads only by this distribution (OAC), TLS only. */
export function staticBucketPolicy(bucketArn: string, distributionArn: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      forThisDistribution("CloudFrontReadOnly", "s3:GetObject", `${bucketArn}/*`, distributionArn),
      denyInsecureTransport(bucketArn),
    ],
  };
}

/**
 * Key policy of the static assets key: the owning account administers it (account id read from
 * the key's own ARN, no lookup needed); CloudFront decrypts for this distribution only.
 */
export function staticAssetsKeyPolicy(keyArn: string, distributionArn: string): Record<string, unknown> {
  const [, partition, , , account] = keyArn.split(":");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministers",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      forThisDistribution("CloudFrontDecryptsForThisDistribution", ["kms:Decrypt"], "*", distributionArn),
    ],
  };
}

/** Public hosts derived from the domain. */
export function edgeHosts(config: Pick<PlatformConfig, "domain">): { api: string; static: string } {
  return { api: `api.${config.domain}`, static: `static.${config.domain}` };
}

/**
 * CloudFront only uses ACM certificates from us-east-1: the stack's certificate serves the static
 * host when the stack runs there; elsewhere CloudFront's own certificate is used (no alias).
 */
export function cloudfrontUsesStackCertificate(config: Pick<PlatformConfig, "gateway"> & { aws?: { region: string } }): boolean {
  return Boolean(config.gateway.certificateArn?.startsWith("arn:aws:acm:us-east-1:"));
}

import { describe, expect, it } from "vitest";
import { API_RESPONSE_HEADERS, SECURITY_HEADERS } from "../../infra/gateway/security-headers";
import { responseHeadersPolicyConfig, staticBucketPolicy, wafRules } from "../../infra/edge/spec";
import type { PlanResource } from "../../infra/plan/types";
import { ofType, planFor } from "../helpers/plan";
import { stackConfig } from "../mesh/stack";

const AWS_STACKS = ["staging", "prod"] as const;

describe("WAF rules", () => {
  it.each(AWS_STACKS)("block per-IP floods and run the three AWS managed groups (%s)", (stack) => {
    const config = stackConfig(stack);
    const rules = wafRules(config, "tm");
    const rate = rules.find((r) => "action" in r)!;
    expect(rate.statement).toEqual({ rateBasedStatement: { limit: config.gateway.wafRateLimitPer5Min, aggregateKeyType: "IP", evaluationWindowSec: 300 } });
    expect((rate as { action: unknown }).action).toEqual({ block: {} });
    const groups = rules.flatMap((r) => ("managedRuleGroupStatement" in r.statement ? [r.statement.managedRuleGroupStatement] : []));
    expect(groups.map((g) => g.name).sort()).toEqual(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"]);
    for (const g of groups) expect(g.vendorName).toBe("AWS");
    // Priorities are unique (WAF refuses duplicates).
    expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length);
    // Only the body-size rule of the Common set is relaxed; SQLi and bad inputs block in full.
    const overrides = groups.flatMap((g) => g.ruleActionOverrides.map((o) => `${g.name}/${o.name}`));
    expect(overrides).toEqual(["AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY"]);
  });
});

describe("CloudFront security headers", () => {
  it("carry the same values as Kong's", () => {
    const cfg = responseHeadersPolicyConfig();
    const served: Record<string, string> = {};
    const sec = cfg.securityHeadersConfig;
    const hsts = sec.strictTransportSecurity;
    served["strict-transport-security"] = `max-age=${hsts.accessControlMaxAgeSec}${hsts.includeSubdomains ? "; includeSubDomains" : ""}${hsts.preload ? "; preload" : ""}`;
    served["content-security-policy"] = sec.contentSecurityPolicy.contentSecurityPolicy;
    served["x-content-type-options"] = "nosniff";
    served["x-frame-options"] = sec.frameOptions.frameOption;
    served["referrer-policy"] = sec.referrerPolicy.referrerPolicy;
    for (const item of cfg.customHeadersConfig.items) served[item.header.toLowerCase()] = item.value;
    for (const [name, value] of Object.entries(API_RESPONSE_HEADERS)) {
      if (name === "Cache-Control") continue; // static assets are cached on purpose
      expect(served[name.toLowerCase()], name).toBe(value);
    }
    expect(Object.keys(served).length).toBe(Object.keys(SECURITY_HEADERS).length);
    expect(served["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    for (const h of [sec.strictTransportSecurity, sec.contentSecurityPolicy, sec.frameOptions, sec.referrerPolicy]) expect(h.override).toBe(true);
    expect(cfg.removeHeadersConfig.items.map((i) => i.header)).toContain("Server");
  });

  it("lets only this distribution read the assets, over TLS", () => {
    const p = staticBucketPolicy("arn:aws:s3:::assets", "arn:aws:cloudfront::1:distribution/D1") as { Statement: Array<Record<string, unknown>> };
    const allow = p.Statement.filter((s) => s.Effect === "Allow");
    expect(allow).toHaveLength(1);
    expect(allow[0].Principal).toEqual({ Service: "cloudfront.amazonaws.com" });
    expect(allow[0].Action).toBe("s3:GetObject");
    expect(allow[0].Condition).toEqual({ StringEquals: { "AWS:SourceArn": "arn:aws:cloudfront::1:distribution/D1" } });
    expect(p.Statement.some((s) => s.Effect === "Deny" && JSON.stringify(s.Condition).includes("aws:SecureTransport"))).toBe(true);
  });
});

describe("edge in the offline plan", () => {
  it("is absent on local", async () => {
    const plan = await planFor("local");
    expect(ofType(plan, "trademaster:edge:AwsEdge")).toHaveLength(0);
    expect(ofType(plan, "aws:wafv2/webAcl:WebAcl")).toHaveLength(0);
  });

  it.each(AWS_STACKS)("terminates TLS with the stack's ACM certificate and protects the ALB with the WAF (%s)", async (stack) => {
    const config = stackConfig(stack);
    const plan = await planFor(stack);
    const [edge] = ofType(plan, "trademaster:edge:AwsEdge");
    expect(edge).toBeDefined();
    const listeners = ofType(plan, "aws:lb/listener:Listener");
    const https = listeners.find((l) => l.inputs.protocol === "HTTPS")!;
    expect(https.inputs.certificateArn).toBe(config.gateway.certificateArn);
    expect(https.inputs.sslPolicy).toMatch(/TLS13/);
    const http = listeners.find((l) => l.inputs.protocol === "HTTP")!;
    expect((http.inputs.defaultActions as Array<{ type: string }>)[0].type).toBe("redirect");
    const [alb] = ofType(plan, "aws:lb/loadBalancer:LoadBalancer");
    expect(alb.inputs.dropInvalidHeaderFields).toBe(true);
    expect(alb.inputs.enableDeletionProtection).toBe(config.protectData);
    const [assoc] = ofType(plan, "aws:wafv2/webAclAssociation:WebAclAssociation");
    const acl = ofType(plan, "aws:wafv2/webAcl:WebAcl").find((a) => a.inputs.scope === "REGIONAL")!;
    expect(assoc.dependencies).toEqual(expect.arrayContaining([acl.urn, alb.urn]));
    expect(acl.inputs.scope).toBe("REGIONAL");
    // Every edge resource sits under the AwsEdge component (reviewable as one unit in the plan).
    for (const t of ["aws:lb/loadBalancer:LoadBalancer", "aws:wafv2/webAcl:WebAcl", "aws:cloudfront/distribution:Distribution", "aws:lb/targetGroup:TargetGroup"]) {
      for (const r of ofType(plan, t)) expect(r.parent, r.urn).toBe(edge.urn);
    }
  });

  it.each(AWS_STACKS)("serves static assets through CloudFront with OAC, HTTPS and the security headers (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [cdn] = ofType(plan, "aws:cloudfront/distribution:Distribution");
    const behavior = cdn.inputs.defaultCacheBehavior as { viewerProtocolPolicy: string; allowedMethods: string[]; compress: boolean };
    expect(behavior.viewerProtocolPolicy).toBe("redirect-to-https");
    expect(behavior.allowedMethods.sort()).toEqual(["GET", "HEAD"]);
    expect(behavior.compress).toBe(true);
    const [rhp] = ofType(plan, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy");
    expect(cdn.dependencies).toContain(rhp.urn);
    const [oac] = ofType(plan, "aws:cloudfront/originAccessControl:OriginAccessControl");
    expect(oac.inputs.signingBehavior).toBe("always");
    expect(cdn.dependencies).toContain(oac.urn);
    const blocks = ofType(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").filter((b) => b.parent === cdn.parent);
    expect(blocks.length).toBe(1); // static assets; access logs go to the foundation's bucket
    for (const b of blocks) expect(b.inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
  });
});

describe("CloudFront protection and logging", () => {
  it.each(AWS_STACKS)("has a CLOUDFRONT web ACL in us-east-1, with KMS-encrypted logs there (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [usEast1] = ofType(plan, "pulumi:providers:aws").filter((p) => p.inputs.region === "us-east-1");
    expect(usEast1).toBeDefined();
    const inUsEast1 = (r: PlanResource) => r.provider?.startsWith(usEast1.urn) === true;
    const [cdn] = ofType(plan, "aws:cloudfront/distribution:Distribution");
    const acl = ofType(plan, "aws:wafv2/webAcl:WebAcl").find((a) => a.inputs.scope === "CLOUDFRONT")!;
    expect(inUsEast1(acl)).toBe(true);
    expect(cdn.dependencies).toContain(acl.urn); // webAclId = the ACL's ARN
    expect(cdn.inputs).toHaveProperty("webAclId");
    const rules = acl.inputs.rules as Array<{ name: string }>;
    expect(rules.map((r) => r.name)).toEqual(expect.arrayContaining(["rate-limit-per-ip", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]));
    const logging = ofType(plan, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").find((l) => l.dependencies.includes(acl.urn))!;
    expect(inUsEast1(logging)).toBe(true);
    const group = ofType(plan, "aws:cloudwatch/logGroup:LogGroup").find((g) => logging.dependencies.includes(g.urn))!;
    expect(group.inputs.name as string).toMatch(/^aws-waf-logs-/);
    expect(inUsEast1(group)).toBe(true);
    // The distribution keeps its security-headers policy.
    const [rhp] = ofType(plan, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy");
    expect(cdn.dependencies).toContain(rhp.urn);
  });

  it.each(AWS_STACKS)("delivers standard logs v2 from the distribution to the access-log bucket (%s)", async (stack) => {
    const plan = await planFor(stack);
    const [cdn] = ofType(plan, "aws:cloudfront/distribution:Distribution");
    const [source] = ofType(plan, "aws:cloudwatch/logDeliverySource:LogDeliverySource");
    expect(source.inputs.logType).toBe("ACCESS_LOGS");
    expect(source.dependencies).toContain(cdn.urn);
    const [destination] = ofType(plan, "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination");
    const accessLogs = ofType(plan, "aws:s3/bucket:Bucket").find((b) => (b.inputs.tags as Record<string, string>)["trademaster:purpose"] === "access-logs")!;
    expect(destination.dependencies).toContain(accessLogs.urn);
    expect(["json", "plain", "w3c", "parquet"]).toContain(destination.inputs.outputFormat);
    const [delivery] = ofType(plan, "aws:cloudwatch/logDelivery:LogDelivery");
    expect(delivery.dependencies).toEqual(expect.arrayContaining([source.urn, destination.urn]));
    // CloudFront's delivery source exists only in us-east-1.
    for (const r of [source, destination, delivery]) expect(plan.resources.find((p) => r.provider?.startsWith(p.urn))?.inputs.region).toBe("us-east-1");
    // Legacy logging (needs S3 ACLs) is not used.
    expect(cdn.inputs.loggingConfig).toBeUndefined();
  });
});

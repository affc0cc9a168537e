/**
 * AWS edge (staging, prod): the public entry of the API and the CDN for static assets.
 * - Application Load Balancer in the public subnets: HTTPS only (ACM certificate, TLS 1.3/1.2
 *   policy, HTTP redirected), invalid headers dropped, deletion protection with `protectData`,
 *   access logs in a bucket of its own; it re-encrypts to Kong's TLS node port on the nodes.
 * - WAFv2 web ACL on the ALB: per-IP rate-based rule + AWS managed Common, SQLi and Known Bad
 *   Inputs groups; logs to CloudWatch with the Authorization header redacted.
 * - CloudFront for static assets from a private S3 bucket through Origin Access Control, HTTPS
 *   only, compressed, with a response headers policy carrying the same security headers as Kong.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { PlatformContext } from "../contracts";
import type { AwsFoundation } from "../aws";
import { KONG_PROXY_NODE_PORTS } from "../gateway/identity";
import {
  ALB_SSL_POLICY,
  albLogsBucketPolicy,
  CACHING_OPTIMIZED_POLICY_ID,
  CLOUDFRONT_MIN_TLS,
  cloudfrontUsesStackCertificate,
  edgeHosts,
  responseHeadersPolicyConfig,
  staticAssetsKeyPolicy,
  staticBucketPolicy,
  wafRules,
} from "./spec";

/** What the edge uses of the AWS foundation (kept explicit so either side can evolve). */
export type EdgeFoundation = Pick<AwsFoundation, "prefix" | "vpcId" | "publicSubnetIds" | "clusterSecurityGroupId" | "nodeGroups">;

export interface AwsEdgeArgs extends PlatformContext {
  foundation: EdgeFoundation;
}

export class AwsEdge extends pulumi.ComponentResource {
  readonly albDnsName: pulumi.Output<string>;
  readonly cdnDomainName: pulumi.Output<string>;
  readonly webAclArn: pulumi.Output<string>;

  constructor(name: string, args: AwsEdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:edge:AwsEdge", name, {}, opts);
    const { config, foundation } = args;
    if (!config.gateway.certificateArn) throw new Error("gateway.certificateArn is required for the AWS edge");
    const prefix = foundation.prefix;
    const tags = { "trademaster:stack": config.stack, "trademaster:environment": config.environment, "managed-by": "pulumi" };
    const child: pulumi.CustomResourceOptions = { parent: this };
    const stateful: pulumi.CustomResourceOptions = { parent: this, protect: config.protectData };
    const hosts = edgeHosts(config);

    // ---- private buckets: ALB access logs (SSE-S3: ELB log delivery cannot use KMS), static assets
    //      (SSE-KMS with a key of its own, readable by this distribution only).
    const privateBucket = (kind: string, kmsKey?: aws.kms.Key) => {
      const b = new aws.s3.Bucket(`${name}-${kind}`, { bucketPrefix: `${prefix}-${kind}-`, forceDestroy: false, tags: { ...tags, "trademaster:purpose": kind } }, stateful);
      new aws.s3.BucketPublicAccessBlock(`${name}-${kind}`, { bucket: b.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, child);
      new aws.s3.BucketOwnershipControls(`${name}-${kind}`, { bucket: b.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
      const sse = kmsKey
        ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKey.arn }
        : { sseAlgorithm: "AES256" };
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-${kind}`,
        { bucket: b.id, rules: [{ applyServerSideEncryptionByDefault: sse, bucketKeyEnabled: kmsKey !== undefined }] },
        child,
      );
      new aws.s3.BucketVersioning(`${name}-${kind}`, { bucket: b.id, versioningConfiguration: { status: "Enabled" } }, child);
      return b;
    };
    const albLogs = privateBucket("alb-logs");
    const albLogsPolicy = new aws.s3.BucketPolicy(
      `${name}-alb-logs`,
      { bucket: albLogs.id, policy: albLogs.arn.apply((arn) => JSON.stringify(albLogsBucketPolicy(arn, "alb"))) },
      child,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-alb-logs`,
      { bucket: albLogs.id, rules: [{ id: "expire", status: "Enabled", filter: {}, expiration: { days: 90 }, noncurrentVersionExpiration: { noncurrentDays: 30 } }] },
      child,
    );

    // ---- load balancer -------------------------------------------------------------------------
    const albSg = new aws.ec2.SecurityGroup(`${name}-alb`, { vpcId: foundation.vpcId, description: "Public API load balancer", tags: { ...tags, Name: `${prefix}-alb` } }, child);
    for (const port of [80, 443]) {
      new aws.vpc.SecurityGroupIngressRule(`${name}-alb-in-${port}`, { securityGroupId: albSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: port, toPort: port, description: "Clients (WAF inspects)" }, child);
    }
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-to-kong`,
      { securityGroupId: albSg.id, referencedSecurityGroupId: foundation.clusterSecurityGroupId, ipProtocol: "tcp", fromPort: KONG_PROXY_NODE_PORTS.tls, toPort: KONG_PROXY_NODE_PORTS.tls, description: "Kong TLS node port" },
      child,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-kong-from-alb`,
      { securityGroupId: foundation.clusterSecurityGroupId, referencedSecurityGroupId: albSg.id, ipProtocol: "tcp", fromPort: KONG_PROXY_NODE_PORTS.tls, toPort: KONG_PROXY_NODE_PORTS.tls, description: "API load balancer to Kong" },
      child,
    );

    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        name: `${prefix}-api`,
        loadBalancerType: "application",
        internal: false,
        subnets: foundation.publicSubnetIds,
        securityGroups: [albSg.id],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: config.protectData,
        idleTimeout: 3600, // WebSocket streams stay open through the ALB
        accessLogs: { bucket: albLogs.bucket, prefix: "alb", enabled: true },
        tags,
      },
      { parent: this, dependsOn: [albLogsPolicy] },
    );
    const kongTargets = new aws.lb.TargetGroup(
      `${name}-kong`,
      {
        name: `${prefix}-kong`,
        vpcId: foundation.vpcId,
        targetType: "instance",
        protocol: "HTTPS",
        port: KONG_PROXY_NODE_PORTS.tls,
        deregistrationDelay: 30,
        // Kong answers 404 for an unknown path: any Kong answer proves the proxy is up.
        healthCheck: { protocol: "HTTPS", path: "/", matcher: "200-404", interval: 10, healthyThreshold: 2, unhealthyThreshold: 3, timeout: 5 },
        tags,
      },
      child,
    );
    foundation.nodeGroups.forEach((group, i) => {
      new aws.autoscaling.Attachment(
        `${name}-kong-nodes-${i}`,
        { autoscalingGroupName: group.resources.apply((r) => r[0]?.autoscalingGroups?.[0]?.name ?? ""), lbTargetGroupArn: kongTargets.arn },
        child,
      );
    });
    new aws.lb.Listener(
      `${name}-https`,
      { loadBalancerArn: alb.arn, port: 443, protocol: "HTTPS", sslPolicy: ALB_SSL_POLICY, certificateArn: config.gateway.certificateArn, defaultActions: [{ type: "forward", targetGroupArn: kongTargets.arn }], tags },
      child,
    );
    new aws.lb.Listener(
      `${name}-http-redirect`,
      { loadBalancerArn: alb.arn, port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }], tags },
      child,
    );

    // ---- WAF -----------------------------------------------------------------------------------
    const acl = new aws.wafv2.WebAcl(
      `${name}-waf`,
      {
        name: `${prefix}-api`,
        scope: "REGIONAL",
        description: `TradeMaster ${config.stack} API: rate limit + AWS managed rules`,
        defaultAction: { allow: {} },
        rules: wafRules(config, prefix),
        visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: `${prefix}-api`, sampledRequestsEnabled: true },
        tags,
      },
      child,
    );
    new aws.wafv2.WebAclAssociation(`${name}-waf`, { resourceArn: alb.arn, webAclArn: acl.arn }, child);
    // WAF log groups must be named aws-waf-logs-*.
    const wafLogs = new aws.cloudwatch.LogGroup(`${name}-waf-logs`, { name: `aws-waf-logs-${prefix}-api`, retentionInDays: 90, tags }, child);
    new aws.wafv2.WebAclLoggingConfiguration(
      `${name}-waf`,
      { resourceArn: acl.arn, logDestinationConfigs: [wafLogs.arn], redactedFields: [{ singleHeader: { name: "authorization" } }] },
      child,
    );

    // ---- CloudFront for static assets ---------------------------------------------------------
    const assetsKey = new aws.kms.Key(
      `${name}-static-assets`,
      { description: `TradeMaster ${config.stack} static assets (CloudFront OAC)`, enableKeyRotation: true, deletionWindowInDays: 30, tags },
      stateful,
    );
    const assets = privateBucket("static-assets", assetsKey);
    const oac = new aws.cloudfront.OriginAccessControl(
      `${name}-static`,
      { name: `${prefix}-static`, description: "Static assets bucket", originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" },
      child,
    );
    const headers = new aws.cloudfront.ResponseHeadersPolicy(
      `${name}-security-headers`,
      { name: `${prefix}-security-headers`, comment: "OWASP secure headers (same values as Kong)", ...responseHeadersPolicyConfig() },
      child,
    );
    const ownCert = cloudfrontUsesStackCertificate(config);
    const cdn = new aws.cloudfront.Distribution(
      `${name}-static`,
      {
        enabled: true,
        comment: `TradeMaster ${config.stack} static assets`,
        httpVersion: "http2and3",
        isIpv6Enabled: true,
        priceClass: "PriceClass_100",
        defaultRootObject: "index.html",
        ...(ownCert ? { aliases: [hosts.static] } : {}),
        origins: [{ originId: "static-assets", domainName: assets.bucketRegionalDomainName, originAccessControlId: oac.id }],
        defaultCacheBehavior: {
          targetOriginId: "static-assets",
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD"],
          cachedMethods: ["GET", "HEAD"],
          compress: true,
          cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
          responseHeadersPolicyId: headers.id,
        },
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate: ownCert
          ? { acmCertificateArn: config.gateway.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: CLOUDFRONT_MIN_TLS }
          : { cloudfrontDefaultCertificate: true },
        tags,
      },
      child,
    );
    // The account keeps administration; CloudFront may decrypt for this distribution only.
    new aws.kms.KeyPolicy(
      `${name}-static-assets`,
      {
        keyId: assetsKey.id,
        policy: pulumi.all([assetsKey.arn, cdn.arn]).apply(([keyArn, distributionArn]) => JSON.stringify(staticAssetsKeyPolicy(keyArn, distributionArn))),
      },
      child,
    );
    new aws.s3.BucketPolicy(
      `${name}-static-assets`,
      { bucket: assets.id, policy: pulumi.all([assets.arn, cdn.arn]).apply(([b, d]) => JSON.stringify(staticBucketPolicy(b, d))) },
      child,
    );

    this.albDnsName = alb.dnsName;
    this.cdnDomainName = cdn.domainName;
    this.webAclArn = acl.arn;
    this.registerOutputs({ albDnsName: this.albDnsName, cdnDomainName: this.cdnDomainName, webAclArn: this.webAclArn, apiHost: hosts.api });
  }
}

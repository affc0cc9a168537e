/**
 * AWS edge (staging, prod): the public entry of the API and the CDN for static assets.
 * - Application Load Balancer in the public subnets: HTTPS only (ACM certificate, TLS 1.3/1.2
 *   policy, HTTP redirected), invalid headers dropped, deletion protection with `protectData`,
 *   access logs in the stack's access-log bucket; it re-encrypts to Kong's TLS node port.
 * - WAFv2 web ACLs on the ALB (REGIONAL) and on CloudFront (CLOUDFRONT, in us-east-1): per-IP
 *   rate-based rule + AWS managed Common, SQLi and Known Bad Inputs groups; logs to KMS-encrypted
 *   CloudWatch log groups with the Authorization header redacted.
 * - CloudFront for static assets from a private S3 bucket through Origin Access Control, HTTPS
 *   only, compressed, with a response headers policy carrying the same security headers as Kong,
 *   and standard logging v2 into the access-log bucket.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { PlatformContext } from "../contracts";
import type { AwsFoundation } from "../aws";
import { privateBucket } from "../aws/bucket";
import { ACCESS_LOG_PREFIXES, logsKeyPolicy } from "../aws/spec";
import { KONG_PROXY_NODE_PORTS } from "../gateway/identity";
import { albDeregistrationDelaySeconds } from "../workloads/drain";
import {
  ALB_SSL_POLICY,
  CACHING_OPTIMIZED_POLICY_ID,
  CLOUDFRONT_LOG_FORMAT,
  CLOUDFRONT_LOG_SUFFIX,
  CLOUDFRONT_REGION,
  CLOUDFRONT_MIN_TLS,
  cloudfrontUsesStackCertificate,
  edgeHosts,
  responseHeadersPolicyConfig,
  staticAssetsKeyPolicy,
  staticBucketPolicy,
  wafRules,
} from "./spec";

/** What the edge uses of the AWS foundation (kept explicit so either side can evolve). */
export type EdgeFoundation = Pick<AwsFoundation, "prefix" | "vpcId" | "publicSubnetIds" | "clusterSecurityGroupId" | "nodeGroups" | "accessLogsBucket" | "accessLogsBucketPolicy" | "kmsKeys">;

export interface AwsEdgeArgs extends PlatformContext {
  foundation: EdgeFoundation;
}

export class AwsEdge extends pulumi.ComponentResource {
  readonly albDnsName: pulumi.Output<string>;
  readonly cdnDomainName: pulumi.Output<string>;
  readonly webAclArn: pulumi.Output<string>;
  /** Web ACL of the CloudFront distribution (scope CLOUDFRONT, us-east-1). */
  readonly cdnWebAclArn: pulumi.Output<string>;

  constructor(name: string, args: AwsEdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:edge:AwsEdge", name, {}, opts);
    const { config, foundation } = args;
    if (!config.gateway.certificateArn) throw new Error("gateway.certificateArn is required for the AWS edge");
    const prefix = foundation.prefix;
    const tags = { "trademaster:stack": config.stack, "trademaster:environment": config.environment, "managed-by": "pulumi" };
    const child: pulumi.CustomResourceOptions = { parent: this };
    const stateful: pulumi.CustomResourceOptions = { parent: this, protect: config.protectData };
    const hosts = edgeHosts(config);
    if (!config.aws) throw new Error("the AWS edge needs the aws block of the stack config");
    const accountId = config.aws.accountId;

    const accessLogs = foundation.accessLogsBucket;
    const logsKey = foundation.kmsKeys.logs;

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
        accessLogs: { bucket: accessLogs.bucket, prefix: ACCESS_LOG_PREFIXES.alb, enabled: true },
        tags,
      },
      { parent: this, dependsOn: [foundation.accessLogsBucketPolicy] },
    );
    const kongTargets = new aws.lb.TargetGroup(
      `${name}-kong`,
      {
        name: `${prefix}-kong`,
        vpcId: foundation.vpcId,
        targetType: "instance",
        protocol: "HTTPS",
        port: KONG_PROXY_NODE_PORTS.tls,
        // A node leaving the group keeps its streams for Kong's whole drain (infra/workloads/drain.ts).
        deregistrationDelay: albDeregistrationDelaySeconds(config),
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
    const wafLogs = new aws.cloudwatch.LogGroup(`${name}-waf-logs`, { name: `aws-waf-logs-${prefix}-api`, retentionInDays: 90, kmsKeyId: logsKey.arn, tags }, child);
    new aws.wafv2.WebAclLoggingConfiguration(
      `${name}-waf`,
      { resourceArn: acl.arn, logDestinationConfigs: [wafLogs.arn], redactedFields: [{ singleHeader: { name: "authorization" } }] },
      child,
    );

    // ---- CloudFront for static assets ---------------------------------------------------------
    // CloudFront's web ACL, its log group and the log delivery live in us-east-1 whatever the
    // stack's Region: WAF scope CLOUDFRONT and CloudFront's delivery sources exist only there.
    const usEast1 = new aws.Provider(`${name}-${CLOUDFRONT_REGION}`, { region: CLOUDFRONT_REGION }, { parent: this });
    const inUsEast1: pulumi.CustomResourceOptions = { parent: this, provider: usEast1 };
    const assetsKey = new aws.kms.Key(
      `${name}-static-assets`,
      { description: `TradeMaster ${config.stack} static assets (CloudFront OAC)`, enableKeyRotation: true, deletionWindowInDays: 30, tags },
      stateful,
    );
    const assets = privateBucket(name, "static-assets", { bucketPrefix: `${prefix}-static-assets-`, tags, kmsKey: assetsKey, accessLogsBucket: accessLogs.bucket, protect: config.protectData }, this);
    const cdnAcl = new aws.wafv2.WebAcl(
      `${name}-cdn-waf`,
      {
        name: `${prefix}-cdn`,
        scope: "CLOUDFRONT",
        description: `TradeMaster ${config.stack} static assets: rate limit + AWS managed rules`,
        defaultAction: { allow: {} },
        rules: wafRules(config, `${prefix}-cdn`),
        visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: `${prefix}-cdn`, sampledRequestsEnabled: true },
        tags,
      },
      inUsEast1,
    );
    // A key of its own in us-east-1 (a log group can use only a key of its Region).
    const edgeLogsKey = new aws.kms.Key(
      `${name}-cdn-logs`,
      {
        description: `TradeMaster ${config.stack}: CloudFront WAF logs (${CLOUDFRONT_REGION})`,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: 30,
        policy: JSON.stringify(logsKeyPolicy(accountId, [CLOUDFRONT_REGION])),
        tags,
      },
      { ...inUsEast1, protect: config.protectData },
    );
    const cdnWafLogs = new aws.cloudwatch.LogGroup(`${name}-cdn-waf-logs`, { name: `aws-waf-logs-${prefix}-cdn`, retentionInDays: 90, kmsKeyId: edgeLogsKey.arn, tags }, inUsEast1);
    new aws.wafv2.WebAclLoggingConfiguration(`${name}-cdn-waf`, { resourceArn: cdnAcl.arn, logDestinationConfigs: [cdnWafLogs.arn], redactedFields: [{ singleHeader: { name: "authorization" } }] }, inUsEast1);
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
        webAclId: cdnAcl.arn,
        tags,
      },
      child,
    );
    // Standard logging v2 (CloudWatch vended logs) into the access-log bucket: no S3 ACLs needed,
    // unlike legacy logging, so the bucket keeps ACLs disabled.
    const cdnLogSource = new aws.cloudwatch.LogDeliverySource(`${name}-cdn-access-logs`, { name: `${prefix}-cdn-access`, logType: "ACCESS_LOGS", resourceArn: cdn.arn, tags }, inUsEast1);
    const cdnLogDestination = new aws.cloudwatch.LogDeliveryDestination(
      `${name}-cdn-access-logs`,
      { name: `${prefix}-cdn-access-s3`, outputFormat: CLOUDFRONT_LOG_FORMAT, deliveryDestinationConfiguration: { destinationResourceArn: accessLogs.arn }, tags },
      inUsEast1,
    );
    new aws.cloudwatch.LogDelivery(
      `${name}-cdn-access-logs`,
      {
        deliverySourceName: cdnLogSource.name,
        deliveryDestinationArn: cdnLogDestination.arn,
        s3DeliveryConfigurations: [{ suffixPath: CLOUDFRONT_LOG_SUFFIX, enableHiveCompatiblePath: false }],
        tags,
      },
      { ...inUsEast1, dependsOn: [foundation.accessLogsBucketPolicy] },
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
    this.cdnWebAclArn = cdnAcl.arn;
    this.registerOutputs({ albDnsName: this.albDnsName, cdnDomainName: this.cdnDomainName, webAclArn: this.webAclArn, cdnWebAclArn: this.cdnWebAclArn, apiHost: hosts.api });
  }
}

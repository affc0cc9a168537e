/**
 * AWS edge (staging, prod): load balancer with TLS, WAFv2, CloudFront for static assets.
 * STUB: to be completed by issue 4.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../contracts";
import type { AwsFoundation } from "../aws";

export interface AwsEdgeArgs extends PlatformContext {
  foundation: AwsFoundation;
}

export class AwsEdge extends pulumi.ComponentResource {
  constructor(name: string, _args: AwsEdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:edge:AwsEdge", name, {}, opts);
    this.registerOutputs({});
  }
}

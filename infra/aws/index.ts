/**
 * AWS foundation (staging, prod): VPC over 3 AZs, KMS keys per data domain, EKS, ECR, S3.
 * STUB: to be completed by the event-bus/data-stores work (issue 3).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ClusterTarget, PlatformContext } from "../contracts";
import type { AwsConfig } from "../config/schema";

export interface AwsFoundationArgs extends PlatformContext {
  aws: AwsConfig;
}

export class AwsFoundation extends pulumi.ComponentResource {
  readonly clusterTarget: ClusterTarget;

  constructor(name: string, args: AwsFoundationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:aws:AwsFoundation", name, {}, opts);
    const provider = new k8s.Provider(`${name}-eks`, { kubeconfig: "{}" }, { parent: this });
    this.clusterTarget = { provider, zones: args.aws.availabilityZones, imageRepositories: {} };
    this.registerOutputs({});
  }
}

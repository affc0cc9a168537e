/**
 * Cluster add-ons of the EKS stacks, one pattern for all: a folder per add-on under
 * `infra/addons/<chart>/` exporting a {@link ClusterAddonDefinition}, its pinned chart and base
 * values in `charts/<chart>/`, its AWS identity (if any) as an IAM role bound to its
 * ServiceAccount through EKS Pod Identity — never the node role. Adding an add-on = a folder, a
 * chart folder and one entry in {@link CLUSTER_ADDONS}.
 *
 * The EKS Pod Identity Agent (an EKS managed add-on, not a chart) is installed first: every
 * association needs it on the nodes.
 *
 * No AWS Load Balancer Controller, on purpose: the only load balancer is the public ALB of
 * infra/edge, declared by the program with its listeners, TLS policy, WAF and access logs (so the
 * policy pack and reviewers see them in the plan), targeting Kong's TLS node port on the node
 * groups' Auto Scaling groups. No Service of type LoadBalancer and no Ingress for an ALB exist, so a
 * controller would only add a privileged identity with nothing to reconcile.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type * as k8s from "@pulumi/kubernetes";
import type { PlatformContext } from "../contracts";
import type { AwsFoundation } from "../aws";
import { loadChartSpec, pinnedChart } from "../charts/pinned";
import { declareKubeObject } from "../kube/object";
import { clusterAutoscaler } from "./cluster-autoscaler";
import { defaultStorageClass, ebsCsi } from "./aws-ebs-csi-driver";
import { metricsServer } from "./metrics-server";
import { podIdentityTrustPolicy, type AddonCluster, type ClusterAddonDefinition } from "./spec";

/** The add-ons every EKS stack gets, in install order. */
export const CLUSTER_ADDONS: readonly ClusterAddonDefinition[] = [ebsCsi, metricsServer, clusterAutoscaler];

export interface ClusterAddonsArgs extends PlatformContext {
  /** The EKS cluster, its node groups and the `ebs` KMS key. */
  foundation: Pick<AwsFoundation, "clusterName" | "region" | "zones" | "cluster" | "nodeGroups" | "kmsKeys">;
}

export class ClusterAddons extends pulumi.ComponentResource {
  /** Chart per add-on (by chart folder name). */
  readonly charts: Record<string, k8s.helm.v4.Chart> = {};
  /** IAM role per add-on that has an AWS identity. */
  readonly roles: Record<string, aws.iam.Role> = {};
  /** The cluster's default StorageClass (gp3, KMS-encrypted). */
  readonly defaultStorageClass: pulumi.CustomResource;

  constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:addons:ClusterAddons", name, {}, opts);
    const { config, foundation: f } = args;
    if (!config.aws) throw new Error("cluster add-ons need the aws block of the stack config");
    const tags = { "trademaster:stack": config.stack, "trademaster:environment": config.environment, "managed-by": "pulumi" };
    const child: pulumi.CustomResourceOptions = { parent: this };
    const cluster: AddonCluster = { clusterName: f.clusterName, region: f.region, accountId: config.aws.accountId, zones: f.zones, ebsKeyArn: f.kmsKeys.ebs.arn };

    const agent = new aws.eks.Addon(
      `${name}-pod-identity-agent`,
      { clusterName: f.cluster.name, addonName: "eks-pod-identity-agent", resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "PRESERVE", tags },
      { ...child, dependsOn: f.nodeGroups },
    );

    for (const addon of CLUSTER_ADDONS) {
      const dependsOn: pulumi.Resource[] = [agent];
      if (addon.identity) {
        const id = addon.identity;
        const resource = `${name}-${addon.chart}`;
        const role = new aws.iam.Role(resource, { description: `${addon.chart} (EKS Pod Identity)`, assumeRolePolicy: JSON.stringify(podIdentityTrustPolicy()), tags }, child);
        for (const arn of id.managedPolicyArns ?? []) {
          dependsOn.push(new aws.iam.RolePolicyAttachment(`${resource}-${arn.split("/").pop()}`, { role: role.name, policyArn: arn }, child));
        }
        if (id.inlinePolicy) {
          dependsOn.push(new aws.iam.RolePolicy(resource, { role: role.id, policy: pulumi.output(id.inlinePolicy(cluster)).apply((p) => JSON.stringify(p)) }, child));
        }
        const namespace = loadChartSpec(addon.chart, config.stack).namespace;
        dependsOn.push(new aws.eks.PodIdentityAssociation(resource, { clusterName: f.cluster.name, namespace, serviceAccount: id.serviceAccount, roleArn: role.arn, tags }, child));
        this.roles[addon.chart] = role;
      }
      this.charts[addon.chart] = pinnedChart(`${name}-${addon.chart}`, { chart: addon.chart, stack: config.stack, values: addon.values(cluster) }, { parent: this, dependsOn });
    }
    this.defaultStorageClass = declareKubeObject(defaultStorageClass(cluster), { parent: this, dependsOn: [this.charts[ebsCsi.chart]] });
    this.registerOutputs({ addons: CLUSTER_ADDONS.map((a) => a.chart) });
  }
}

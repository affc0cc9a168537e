/**
 * cluster-autoscaler for the EKS managed node groups. EKS tags each managed node group's Auto
 * Scaling group with `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<cluster>`,
 * so auto-discovery finds them; the node groups' min/max bound it, and the program ignores
 * `desiredSize` after creation (the autoscaler owns it).
 * Identity: the least-privilege policy of the autoscaler's AWS README — describe calls on `*`,
 * scaling calls only on groups tagged as this cluster's.
 */
import type { AddonCluster, ClusterAddonDefinition } from "../spec";

/** The autoscaler's IAM policy (cluster-autoscaler/cloudprovider/aws/README.md, "Full Cluster Autoscaler Features Policy" restricted by tag). */
export function clusterAutoscalerPolicy(cluster: Pick<AddonCluster, "clusterName">): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Describe",
        Effect: "Allow",
        Action: [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeAutoScalingInstances",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeScalingActivities",
          "autoscaling:DescribeTags",
          "ec2:DescribeImages",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:GetInstanceTypesFromInstanceRequirements",
          "eks:DescribeNodegroup",
        ],
        Resource: "*",
      },
      {
        Sid: "ScaleThisClustersGroups",
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        Resource: "*",
        Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster.clusterName}`]: "owned" } },
      },
    ],
  };
}

export const clusterAutoscaler: ClusterAddonDefinition = {
  chart: "cluster-autoscaler",
  purpose: "node autoscaling of the managed node groups within their min/max",
  identity: { serviceAccount: "cluster-autoscaler", inlinePolicy: (c) => clusterAutoscalerPolicy(c) },
  values: (c) => ({ autoDiscovery: { clusterName: c.clusterName }, awsRegion: c.region }),
};

/**
 * Pure pieces of the cluster add-ons: the add-on contract, the Pod Identity trust policy and the
 * IAM statements each add-on needs. No resources here.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Facts about the cluster an add-on's identity and values are computed from. */
export interface AddonCluster {
  clusterName: string;
  region: string;
  accountId: string;
  /** Zones of the node groups (zone spread of the add-on's replicas). */
  zones: string[];
  /** ARN of the KMS key that encrypts EBS volumes (StorageClass, CSI grants). */
  ebsKeyArn: pulumi.Input<string>;
}

/** AWS identity of an add-on: an IAM role bound to its ServiceAccount through EKS Pod Identity. */
export interface AddonIdentity {
  /** ServiceAccount the chart creates (and that the association names). */
  serviceAccount: string;
  /** AWS managed policies attached to the role (by ARN). */
  managedPolicyArns?: string[];
  /** Inline policy document of the role, when the managed ones are not enough or too wide. */
  inlinePolicy?: (cluster: AddonCluster) => pulumi.Input<Record<string, unknown>>;
}

/**
 * One cluster add-on. Its folder is `infra/addons/<chart>/`, its pinned chart and base values are
 * `charts/<chart>/` (chart.yaml: repository, chart, exact version, namespace); the values computed
 * here are merged over them. AWS access only through `identity` (Pod Identity), never the node role.
 */
export interface ClusterAddonDefinition {
  /** Folder under charts/ (and under infra/addons/). */
  chart: string;
  /** Why the cluster needs it (shown in the plan's component). */
  purpose: string;
  identity?: AddonIdentity;
  /** Values derived from the cluster, merged over the chart's YAML values. */
  values(cluster: AddonCluster): Record<string, unknown>;
}

/** Trust policy of a role assumed through EKS Pod Identity (EKS user guide, "Pod Identity"). */
export function podIdentityTrustPolicy(): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
  };
}

/**
 * Topology spread over zones, then nodes, for an add-on's replicas. Without `matchLabels` for
 * charts that add the selector themselves.
 */
export function zoneSpread(matchLabels?: Record<string, string>): Array<Record<string, unknown>> {
  const selector = matchLabels ? { labelSelector: { matchLabels } } : {};
  return [
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", ...selector },
    { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", ...selector },
  ];
}

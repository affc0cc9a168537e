/**
 * Amazon EBS CSI driver (chart `aws-ebs-csi-driver`): provisions the PersistentVolumes of
 * Elasticsearch, Prometheus, Alertmanager and every other PVC. EKS 1.30+ marks no StorageClass as
 * default, so the add-on also declares `gp3-encrypted`, the cluster default: gp3, encrypted with
 * the stack's `ebs` KMS key, bound when the pod is scheduled (its zone), expandable.
 * Identity: the AWS managed `AmazonEBSCSIDriverPolicy` plus grants on the `ebs` key (EBS user guide,
 * "Use a customer managed KMS key"), for the controller's ServiceAccount only.
 */
import type * as pulumi from "@pulumi/pulumi";
import { standardLabels, type KubeObject } from "../../kube/object";
import { zoneSpread, type AddonCluster, type ClusterAddonDefinition } from "../spec";

/** Name of the default StorageClass. */
export const DEFAULT_STORAGE_CLASS = "gp3-encrypted";

/** The CSI driver's provisioner name. */
export const EBS_CSI_PROVISIONER = "ebs.csi.aws.com";

/** KMS actions the controller needs on a customer managed key to create and attach encrypted volumes. */
export function ebsKmsPolicy(keyArn: pulumi.Input<string>): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "CreateGrantsForEbs", Effect: "Allow", Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], Resource: [keyArn], Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } } },
      { Sid: "UseKeyForVolumes", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], Resource: [keyArn] },
    ],
  };
}

export const ebsCsi: ClusterAddonDefinition = {
  chart: "aws-ebs-csi-driver",
  purpose: "EBS volumes for PersistentVolumeClaims (gp3, KMS-encrypted default StorageClass)",
  identity: {
    serviceAccount: "ebs-csi-controller-sa",
    managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
    inlinePolicy: (c) => ebsKmsPolicy(c.ebsKeyArn),
  },
  values: (c) => ({
    controller: {
      region: c.region,
      // The chart adds the label selector to each constraint itself.
      topologySpreadConstraints: zoneSpread(),
    },
  }),
};

/** The default StorageClass (declared by the program, so policies and reviewers see it). */
export function defaultStorageClass(cluster: Pick<AddonCluster, "ebsKeyArn">): KubeObject & { parameters: Record<string, pulumi.Input<string>> } & Record<string, unknown> {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: DEFAULT_STORAGE_CLASS, labels: standardLabels("aws-ebs-csi-driver", "storage"), annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: EBS_CSI_PROVISIONER,
    parameters: { type: "gp3", encrypted: "true", kmsKeyId: cluster.ebsKeyArn, "csi.storage.k8s.io/fstype": "ext4" },
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
  };
}

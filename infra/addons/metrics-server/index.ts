/**
 * metrics-server: the resource metrics API the HorizontalPodAutoscalers read (every service's
 * HPA, istiod's). Not installed by EKS. No AWS identity: it only talks to the kubelets.
 */
import { zoneSpread, type ClusterAddonDefinition } from "../spec";

export const metricsServer: ClusterAddonDefinition = {
  chart: "metrics-server",
  purpose: "resource metrics API (metrics.k8s.io) for the HPAs",
  values: () => ({ topologySpreadConstraints: zoneSpread({ "app.kubernetes.io/name": "metrics-server" }) }),
};

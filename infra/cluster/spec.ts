/** Pure builders for cluster-wide objects: namespaces and priority classes. */
import type { Catalog, Criticality } from "../catalog/schema";
import { standardLabels, type KubeObject } from "../kube/object";
import { MESHED_PLATFORM_NAMESPACES, PLATFORM_NAMESPACES, serviceNamespaces } from "./namespaces";

/** PriorityClass name per criticality: the critical trading path is scheduled (and kept) first. */
export const PRIORITY_CLASS: Record<Criticality, string> = {
  critical: "trademaster-critical",
  standard: "trademaster-standard",
};

const PRIORITY_VALUE: Record<Criticality, number> = { critical: 1_000_000, standard: 100_000 };

/**
 * Namespaces: service namespaces and gateway join the mesh (`istio-injection: enabled`) and enforce
 * Pod Security `restricted`. Platform namespaces whose charts need more (node exporters, CNI,
 * log shippers) enforce `baseline` or `privileged` and warn at `restricted`.
 */
export function namespaceObjects(catalog: Catalog, kubernetesVersion?: string): KubeObject[] {
  // Pinned to the cluster's version where it is known (EKS), so an upgrade never tightens the
  // policy silently; a laptop cluster's version is unknown, so it follows its own.
  const policyVersion = kubernetesVersion ? `v${kubernetesVersion}` : "latest";
  const privileged = new Set<string>([PLATFORM_NAMESPACES.istio, PLATFORM_NAMESPACES.monitoring, PLATFORM_NAMESPACES.logging]);
  const meshed = new Set<string>([...serviceNamespaces(catalog), ...MESHED_PLATFORM_NAMESPACES]);
  const names = [...new Set([...Object.values(PLATFORM_NAMESPACES), ...meshed])].sort();
  return names.map((name) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        ...standardLabels(name, "namespace"),
        "istio-injection": meshed.has(name) ? "enabled" : "disabled",
        "pod-security.kubernetes.io/enforce": privileged.has(name) ? "privileged" : "restricted",
        "pod-security.kubernetes.io/enforce-version": policyVersion,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
      },
    },
  }));
}

/** The namespace of the cluster's own system components (CSI node plugins, autoscaler, metrics-server). */
export const SYSTEM_NAMESPACE = "kube-system";

/**
 * Pod Security labels for `kube-system`, which the cluster creates and we only label: its node
 * plugins need host access (EBS CSI mounts the host's devices), so it enforces `privileged`, as an
 * unlabelled namespace already does, and warns and audits at `baseline` so anything beyond what
 * those components need is visible. Declared so admission and the policy pack judge its pods by
 * the level the cluster applies, not by a guess.
 */
export function systemNamespaceLabels(kubernetesVersion?: string): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": "privileged",
    "pod-security.kubernetes.io/enforce-version": kubernetesVersion ? `v${kubernetesVersion}` : "latest",
    "pod-security.kubernetes.io/warn": "baseline",
    "pod-security.kubernetes.io/audit": "baseline",
  };
}

export function priorityClassObjects(): KubeObject[] {
  return (Object.keys(PRIORITY_CLASS) as Criticality[]).map((c) => ({
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name: PRIORITY_CLASS[c], labels: standardLabels("trademaster", "scheduling") },
    value: PRIORITY_VALUE[c],
    globalDefault: false,
    preemptionPolicy: c === "critical" ? "PreemptLowerPriority" : "Never",
    description: c === "critical" ? "Critical trading path (orders, auth, market data, portfolio, streaming)" : "Non-critical services",
  }));
}

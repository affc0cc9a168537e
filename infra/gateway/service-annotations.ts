/**
 * Annotations every catalog Service needs so Kong hands requests to the mesh (to merge into the
 * Service metadata by the workload builder, like mesh/pod-annotations.ts for pods).
 */

export function gatewayUpstreamServiceAnnotations(): Record<string, string> {
  return {
    // Kong sends to the Service's cluster IP instead of pod IPs, so Kong's sidecar applies the
    // VirtualService (per-route timeouts, idempotent-only retries) and the DestinationRule.
    "ingress.kubernetes.io/service-upstream": "true",
    // Kong never retries: it cannot tell an order POST from a GET, the mesh can (per route).
    "konghq.com/retries": "0",
  };
}

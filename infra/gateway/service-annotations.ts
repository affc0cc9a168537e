/**
 * Annotations every catalog Service needs so Kong hands requests to the mesh (to merge into the
 * Service metadata by the workload builder, like mesh/pod-annotations.ts for pods).
 */
import type { ServiceSpec } from "../catalog/schema";

/** Kong's upstream read/write timeout for WebSocket services: streams live for hours. */
export const WEBSOCKET_UPSTREAM_TIMEOUT_MS = 3_600_000;

export function gatewayUpstreamServiceAnnotations(service: Pick<ServiceSpec, "routes">): Record<string, string> {
  const annotations: Record<string, string> = {
    // Kong sends to the Service's cluster IP instead of pod IPs, so Kong's sidecar applies the
    // VirtualService (per-route timeouts, idempotent-only retries) and the DestinationRule.
    "ingress.kubernetes.io/service-upstream": "true",
    // Kong never retries: it cannot tell an order POST from a GET, the mesh can (per route).
    "konghq.com/retries": "0",
  };
  if (service.routes.some((r) => r.websocket && r.exposed)) {
    // Kong's default 60 s read timeout would cut idle WebSocket streams.
    annotations["konghq.com/read-timeout"] = String(WEBSOCKET_UPSTREAM_TIMEOUT_MS);
    annotations["konghq.com/write-timeout"] = String(WEBSOCKET_UPSTREAM_TIMEOUT_MS);
  }
  return annotations;
}

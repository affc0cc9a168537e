/** Istio proxy annotations every meshed workload carries (owned by the mesh capability). */
import type { PlatformConfig } from "../config/schema";
import { meshProxyConfig, statsHistogramBucketsAnnotation } from "./proxy-config";

/** Memory request of each sidecar; counted in the local footprint. */
export const SIDECAR_MEMORY_REQUEST = "64Mi";

/** Annotations merged into each service's pod template. */
export function proxyPodAnnotations(config: PlatformConfig): Record<string, string> {
  return {
    "sidecar.istio.io/proxyCPU": config.kubernetes.sidecarCpuRequest,
    "sidecar.istio.io/proxyMemory": SIDECAR_MEMORY_REQUEST,
    // Limits keep a misbehaving proxy from starving the app container on a shared node.
    "sidecar.istio.io/proxyCPULimit": "1",
    "sidecar.istio.io/proxyMemoryLimit": "256Mi",
    // Hold the app until its proxy is ready; keep circuit-breaker and outlier stats.
    "proxy.istio.io/config": JSON.stringify(meshProxyConfig()),
    // Latency buckets with 50 ms and 200 ms bounds (the SLO thresholds).
    "sidecar.istio.io/statsHistogramBuckets": statsHistogramBucketsAnnotation(),
  };
}

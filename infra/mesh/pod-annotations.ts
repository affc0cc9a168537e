/** Istio proxy annotations every meshed workload carries (owned by the mesh capability). */
import { latencySloThresholdsMs } from "../catalog/derive";
import type { Catalog } from "../catalog/schema";
import type { PlatformConfig } from "../config/schema";
import { meshProxyConfig, statsHistogramBucketsAnnotation } from "./proxy-config";

/** Memory request of each sidecar; counted in the local footprint. */
export const SIDECAR_MEMORY_REQUEST = "64Mi";

/** Sidecar settings every meshed pod carries (services and the Kong gateway). */
export function sidecarAnnotations(config: PlatformConfig, catalog: Catalog): Record<string, string> {
  return {
    "sidecar.istio.io/proxyCPU": config.kubernetes.sidecarCpuRequest,
    "sidecar.istio.io/proxyMemory": SIDECAR_MEMORY_REQUEST,
    // Hold the app until its proxy is ready; keep circuit-breaker and outlier stats.
    "proxy.istio.io/config": JSON.stringify(meshProxyConfig()),
    // Latency buckets at every SLO threshold of the catalog (Istio's defaults lack 200 ms).
    "sidecar.istio.io/statsHistogramBuckets": statsHistogramBucketsAnnotation(latencySloThresholdsMs(catalog)),
  };
}

/** Annotations merged into each service's pod template; `drainSeconds` for pods holding streams. */
export function proxyPodAnnotations(config: PlatformConfig, catalog: Catalog, drainSeconds = 0): Record<string, string> {
  return {
    ...sidecarAnnotations(config, catalog),
    "proxy.istio.io/config": JSON.stringify(meshProxyConfig(drainSeconds)),
    // Limits keep a misbehaving proxy from starving the app container on a shared node.
    "sidecar.istio.io/proxyCPULimit": "1",
    "sidecar.istio.io/proxyMemoryLimit": "256Mi",
  };
}

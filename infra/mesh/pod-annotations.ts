/** Istio proxy annotations every meshed workload carries (owned by the mesh capability). */
import type { PlatformConfig } from "../config/schema";

/** Annotations merged into each service's pod template. */
export function proxyPodAnnotations(config: PlatformConfig): Record<string, string> {
  return {
    "sidecar.istio.io/proxyCPU": config.kubernetes.sidecarCpuRequest,
    "sidecar.istio.io/proxyMemory": "64Mi",
    // Start the app only when its proxy is ready.
    "proxy.istio.io/config": '{"holdApplicationUntilProxyStarts":true}',
  };
}

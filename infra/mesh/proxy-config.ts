/**
 * Envoy proxy settings shared by every meshed pod (services and the Kong gateway): latency
 * histogram buckets and the proxy stats that show circuit breakers at work. Pure data.
 */

/**
 * Istio's default request-duration buckets (ms) are 0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, ...:
 * 50 ms is there but 200 ms is not, so the API p90 < 200 ms SLO could only be read off the 250 ms
 * bucket. These buckets carry both SLO bounds: 50 ms (WebSocket delivery) and 200 ms (API p90).
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  1, 5, 10, 25, 50, 75, 100, 150, 200, 250, 300, 500, 750, 1000, 1500, 2000, 2500, 5000, 10000, 30000, 60000,
];

/**
 * Envoy stats kept beyond Istio's defaults (which drop most cluster stats): outlier ejections
 * (the circuit breaker tripping), connection-pool overflows (the bulkhead full) and retries.
 * The SLO `circuitBreakerMaxPercent` is computed from these.
 */
export const PROXY_STATS_INCLUSION_REGEXPS: readonly string[] = [
  ".*outlier_detection.*",
  ".*circuit_breakers.*",
  ".*upstream_rq_pending_overflow.*",
  ".*upstream_cx_overflow.*",
  ".*upstream_rq_retry.*",
  ".*upstream_rq_timeout.*",
];

/** The ProxyConfig fields we set on every meshed pod (annotation `proxy.istio.io/config`). */
export interface MeshProxyConfig {
  holdApplicationUntilProxyStarts: boolean;
  proxyStatsMatcher: { inclusionRegexps: string[] };
  /** Pods that hold long-lived streams: how long the proxy keeps draining after SIGTERM. */
  terminationDrainDuration?: string;
  proxyMetadata?: Record<string, string>;
}

/**
 * Proxy config; `drainSeconds` > 0 for pods that hold streams: Istio 1.29 injects a native
 * sidecar (stopped after the app), and where native sidecars are off the proxy still keeps the
 * app's streams for the whole drain and exits as soon as the last one is closed.
 */
export function meshProxyConfig(drainSeconds = 0): MeshProxyConfig {
  return {
    // Start the app only when its proxy is ready: no failed first calls at pod start.
    holdApplicationUntilProxyStarts: true,
    proxyStatsMatcher: { inclusionRegexps: [...PROXY_STATS_INCLUSION_REGEXPS] },
    ...(drainSeconds > 0 ? { terminationDrainDuration: `${drainSeconds}s`, proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true" } } : {}),
  };
}

/**
 * Value of `sidecar.istio.io/statsHistogramBuckets`: the `istiocustom` prefix covers Istio's
 * standard histograms (istio_request_duration_milliseconds, request/response bytes). Every
 * latency SLO threshold of the catalog gets a bucket of its own, so an SLO is read at its bound.
 */
export function statsHistogramBucketsAnnotation(sloThresholdsMs: readonly number[]): string {
  const buckets = [...new Set([...LATENCY_BUCKETS_MS, ...sloThresholdsMs])].sort((a, b) => a - b);
  return JSON.stringify({ istiocustom: buckets });
}

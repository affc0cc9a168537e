/**
 * Graceful drain on deploy and node drain (pure arithmetic, one place for every layer):
 * 1. preStop sleeps {@link ENDPOINT_PROPAGATION_SECONDS}: the pod is already out of its Service's
 *    endpoints, and Kong, the sidecars and the ALB stop opening new connections to it;
 * 2. SIGTERM: a WebSocket pod closes its sockets (close code 1012, "service restart") spread evenly
 *    over `realtime.drainSeconds`, so clients reconnect gradually to the other pods and resume
 *    from their last event id (replay); other services finish in-flight requests;
 * 3. the kubelet kills what is left after terminationGracePeriodSeconds (drain + margin).
 * Kong drains the same way (`kong quit --wait --timeout`), and the ALB's deregistration delay
 * covers Kong's whole drain, so a node leaving the target group does not cut streams early.
 */
import type { ServiceSpec } from "../catalog/schema";
import type { PlatformConfig } from "../config/schema";

/** Time for endpoint removal to reach kube-proxy, Envoy (EDS) and Kong's upstreams. */
export const ENDPOINT_PROPAGATION_SECONDS = 10;
/** Left to the process to flush and exit once its drain is over. */
export const EXIT_MARGIN_SECONDS = 15;
/** Request/response services: their longest request (SLO budget) fits well inside this. */
export const REQUEST_SERVICE_GRACE_SECONDS = 30;

export interface DrainTiming {
  /** preStop sleep before SIGTERM. */
  preStopSleepSeconds: number;
  /** Window over which the app closes its long-lived connections (0: none). */
  drainSeconds: number;
  terminationGracePeriodSeconds: number;
}

export function holdsStreams(service: Pick<ServiceSpec, "routes">): boolean {
  return service.routes.some((r) => r.websocket);
}

/** Drain timing of a catalog service's pods. */
export function serviceDrain(service: Pick<ServiceSpec, "routes">, config: Pick<PlatformConfig, "realtime">): DrainTiming {
  if (!holdsStreams(service)) {
    return { preStopSleepSeconds: ENDPOINT_PROPAGATION_SECONDS, drainSeconds: 0, terminationGracePeriodSeconds: REQUEST_SERVICE_GRACE_SECONDS };
  }
  const drainSeconds = config.realtime.drainSeconds;
  return {
    preStopSleepSeconds: ENDPOINT_PROPAGATION_SECONDS,
    drainSeconds,
    terminationGracePeriodSeconds: ENDPOINT_PROPAGATION_SECONDS + drainSeconds + EXIT_MARGIN_SECONDS,
  };
}

/** Kong's drain: `kong quit --wait=<propagation> --timeout=<drain>` inside its grace period. */
export function kongDrain(config: Pick<PlatformConfig, "realtime">): { quitCommand: string[]; terminationGracePeriodSeconds: number } {
  const drain = config.realtime.drainSeconds;
  return {
    quitCommand: ["kong", "quit", `--wait=${ENDPOINT_PROPAGATION_SECONDS}`, `--timeout=${drain}`],
    terminationGracePeriodSeconds: ENDPOINT_PROPAGATION_SECONDS + drain + EXIT_MARGIN_SECONDS,
  };
}

/** ALB target-group deregistration delay: a leaving target keeps its streams for Kong's whole drain. */
export function albDeregistrationDelaySeconds(config: Pick<PlatformConfig, "realtime">): number {
  return kongDrain(config).terminationGracePeriodSeconds;
}

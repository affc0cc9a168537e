/**
 * Resilience from the catalog, as pure arithmetic: per-route timeouts and retries that fit the
 * service's SLO budget, and per-service circuit breaker (outlier detection) and bulkhead
 * (connection pool) sized by criticality. The mesh objects (mesh/spec.ts) only render these.
 *
 * Rules (checked by a property test over every route of every service):
 * - route timeout = min(route.timeoutMs, slo.timeoutBudgetMs);
 * - non-idempotent routes get `attempts: 0`: Istio otherwise retries twice (503 included), and
 *   an order placed twice is a trade executed twice;
 * - idempotent routes: the catalog's `retries` is the total number of tries (1 = no retry), so
 *   Istio `attempts` (retries after the first try) = retries - 1, reduced until
 *   (attempts + 1) x perTryTimeout + attempts x backoff allowance <= route timeout and each try
 *   gets at least {@link MIN_PER_TRY_TIMEOUT_MS};
 * - WebSocket routes: no route timeout (long-lived), no retries, long idle timeout.
 */
import type { Criticality, RouteSpec, ServiceSpec } from "../catalog/schema";

/** Budget used when a service declares no SLO (the catalog's own default). */
export const DEFAULT_TIMEOUT_BUDGET_MS = 2000;
/** A try shorter than this is not worth making (JVM services answer in tens of ms at best). */
export const MIN_PER_TRY_TIMEOUT_MS = 50;
/**
 * Time reserved per retry for Envoy's back-off (base interval 25 ms, jittered). The route timeout
 * caps the whole exchange anyway; the allowance keeps the last try from being cut short.
 */
export const RETRY_BACKOFF_ALLOWANCE_MS = 25;
/** Retry conditions for idempotent routes: safe to repeat whatever the server did. */
export const IDEMPOTENT_RETRY_ON = "connect-failure,refused-stream,reset,unavailable,cancelled,5xx";
/** Idle timeout of long-lived WebSocket connections (market sessions last hours). */
export const WEBSOCKET_IDLE_TIMEOUT = "3600s";

export interface RouteRetryPolicy {
  /** Retries after the first try (Istio `attempts`); 0 disables retries. */
  attempts: number;
  perTryTimeoutMs?: number;
  retryOn?: string;
}

export interface RoutePolicy {
  service: string;
  route: string;
  method: RouteSpec["method"];
  path: string;
  idempotent: boolean;
  websocket: boolean;
  /** Total time of the route at the mesh, retries included; null = no timeout (WebSocket). */
  timeoutMs: number | null;
  retries: RouteRetryPolicy;
}

export function timeoutBudgetMs(service: Pick<ServiceSpec, "slo">): number {
  return service.slo?.timeoutBudgetMs ?? DEFAULT_TIMEOUT_BUDGET_MS;
}

/** Largest per-try timeout for `tries` tries inside `timeoutMs`, back-off included. */
function perTryTimeout(timeoutMs: number, tries: number): number {
  return Math.floor((timeoutMs - (tries - 1) * RETRY_BACKOFF_ALLOWANCE_MS) / tries);
}

/** The timeout and retry policy of one route. */
export function routePolicy(service: ServiceSpec, route: RouteSpec): RoutePolicy {
  const base = {
    service: service.name,
    route: route.name,
    method: route.method,
    path: route.path,
    idempotent: route.idempotent,
    websocket: route.websocket,
  };
  if (route.websocket) return { ...base, timeoutMs: null, retries: { attempts: 0 } };
  const timeoutMs = Math.min(route.timeoutMs, timeoutBudgetMs(service));
  if (!route.idempotent) return { ...base, timeoutMs, retries: { attempts: 0 } };
  let attempts = Math.max(0, route.retries - 1);
  while (attempts > 0 && perTryTimeout(timeoutMs, attempts + 1) < MIN_PER_TRY_TIMEOUT_MS) attempts--;
  if (attempts === 0) return { ...base, timeoutMs, retries: { attempts: 0 } };
  return {
    ...base,
    timeoutMs,
    retries: { attempts, perTryTimeoutMs: perTryTimeout(timeoutMs, attempts + 1), retryOn: IDEMPOTENT_RETRY_ON },
  };
}

/** Policies of every route of a service. */
export function routePolicies(service: ServiceSpec): RoutePolicy[] {
  return service.routes.map((r) => routePolicy(service, r));
}

/** Bulkhead: connection-pool limits of a service's upstream cluster (per calling proxy). */
export interface ConnectionPoolSizing {
  maxConnections: number;
  connectTimeoutMs: number;
  http1MaxPendingRequests: number;
  http2MaxRequests: number;
  maxRequestsPerConnection: number;
  /** Concurrent retries towards the service: a retry storm cannot exceed this. */
  maxRetries: number;
}

/** Circuit breaker: when an endpoint is ejected from the load-balancing pool. */
export interface OutlierDetectionSizing {
  consecutive5xxErrors: number;
  consecutiveGatewayErrors: number;
  intervalSeconds: number;
  baseEjectionTimeSeconds: number;
  /** Never eject more than this share of endpoints: a breaker must not take the service down. */
  maxEjectionPercent: number;
}

/**
 * Sizing by criticality. The critical trading path gets deep pools (it takes the market-open
 * burst) and a quick, short ejection (a bad pod leaves fast and comes back fast); standard
 * services get shallow pools so they can never hog proxies shared with the trading path.
 */
export const RESILIENCE_BY_CRITICALITY: Record<Criticality, { pool: ConnectionPoolSizing; outlier: OutlierDetectionSizing }> = {
  critical: {
    pool: { maxConnections: 1024, connectTimeoutMs: 250, http1MaxPendingRequests: 512, http2MaxRequests: 2048, maxRequestsPerConnection: 0, maxRetries: 64 },
    outlier: { consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, intervalSeconds: 5, baseEjectionTimeSeconds: 15, maxEjectionPercent: 34 },
  },
  standard: {
    pool: { maxConnections: 128, connectTimeoutMs: 500, http1MaxPendingRequests: 64, http2MaxRequests: 256, maxRequestsPerConnection: 0, maxRetries: 8 },
    outlier: { consecutive5xxErrors: 5, consecutiveGatewayErrors: 5, intervalSeconds: 10, baseEjectionTimeSeconds: 30, maxEjectionPercent: 50 },
  },
};

/** Istio duration string from milliseconds. */
export function ms(value: number): string {
  return `${value}ms`;
}

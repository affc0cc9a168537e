/** Namespaces of the platform: fixed names every component agrees on. */
import type { Catalog } from "../catalog/schema";

/** Platform (non-catalog) namespaces. */
export const PLATFORM_NAMESPACES = {
  istio: "istio-system",
  gateway: "kong",
  monitoring: "monitoring",
  tracing: "tracing",
  logging: "logging",
  kafka: "kafka",
  data: "data",
  operators: "operators",
} as const;

export type PlatformNamespace = keyof typeof PLATFORM_NAMESPACES;

/** Namespaces whose pods join the mesh (sidecar injected, STRICT mTLS). */
export const MESHED_PLATFORM_NAMESPACES: readonly string[] = [PLATFORM_NAMESPACES.gateway];

/** The distinct namespaces the catalog's services run in, sorted. */
export function serviceNamespaces(catalog: Catalog): string[] {
  return [...new Set(catalog.services.map((s) => s.namespace))].sort();
}

/** The OpenTelemetry Collector every service and proxy exports traces to. */
export const OTEL_COLLECTOR = {
  service: "otel-collector",
  namespace: PLATFORM_NAMESPACES.tracing,
  host: `otel-collector.${PLATFORM_NAMESPACES.tracing}.svc.cluster.local`,
  grpcPort: 4317,
  httpPort: 4318,
} as const;

/** The header that carries the request correlation id end to end. */
export const CORRELATION_HEADER = "X-Correlation-ID";

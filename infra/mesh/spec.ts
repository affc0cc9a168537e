/**
 * Pure builders of the mesh's objects: traffic policy (DestinationRule, VirtualService) from the
 * resilience arithmetic, Telemetry (tracing, access logs), Sidecar egress scoping, and the
 * computed Helm values of istiod. Everything here is plain data; mesh/index.ts declares it.
 */
import type { Catalog, ServiceSpec } from "../catalog/schema";
import { exposedRoutes, serviceHost } from "../catalog/derive";
import { CORRELATION_HEADER, OTEL_COLLECTOR, PLATFORM_NAMESPACES } from "../cluster/namespaces";
import type { PlatformConfig } from "../config/schema";
import { KONG_GATEWAY_POD_LABELS } from "../gateway/identity";
import { standardLabels, type KubeObject } from "../kube/object";
import { authorizationObjects, peerAuthentications } from "./authorization";
import { bySpecificity, pathMatch } from "./paths";
import { SIDECAR_MEMORY_REQUEST } from "./pod-annotations";
import { meshProxyConfig } from "./proxy-config";
import { ms, RESILIENCE_BY_CRITICALITY, routePolicies, timeoutBudgetMs, WEBSOCKET_IDLE_TIMEOUT, type RoutePolicy } from "./resilience";

export const NETWORKING_API = "networking.istio.io/v1";
export const TELEMETRY_API = "telemetry.istio.io/v1";
/** Extension providers declared in istiod's meshConfig and used by the Telemetry resource. */
export const TRACING_PROVIDER = "otel-tracing";
export const ACCESS_LOG_PROVIDER = "json-access-log";

/** Circuit breaker + bulkhead + mTLS for one service; WebSocket services keep idle streams open. */
export function destinationRule(service: ServiceSpec): KubeObject {
  const { pool, outlier } = RESILIENCE_BY_CRITICALITY[service.criticality];
  const websocket = service.routes.some((r) => r.websocket);
  const http: Record<string, unknown> = {
    http1MaxPendingRequests: pool.http1MaxPendingRequests,
    http2MaxRequests: pool.http2MaxRequests,
    maxRequestsPerConnection: pool.maxRequestsPerConnection,
    maxRetries: pool.maxRetries,
  };
  if (websocket) http.idleTimeout = WEBSOCKET_IDLE_TIMEOUT;
  return {
    apiVersion: NETWORKING_API,
    kind: "DestinationRule",
    metadata: { name: service.name, namespace: service.namespace, labels: standardLabels(service.name, "traffic") },
    spec: {
      host: serviceHost(service),
      trafficPolicy: {
        tls: { mode: "ISTIO_MUTUAL" },
        connectionPool: {
          tcp: {
            maxConnections: pool.maxConnections,
            connectTimeout: ms(pool.connectTimeoutMs),
            ...(websocket ? { tcpKeepalive: { time: "60s", interval: "20s", probes: 3 } } : {}),
          },
          http,
        },
        outlierDetection: {
          consecutive5xxErrors: outlier.consecutive5xxErrors,
          consecutiveGatewayErrors: outlier.consecutiveGatewayErrors,
          interval: `${outlier.intervalSeconds}s`,
          baseEjectionTime: `${outlier.baseEjectionTimeSeconds}s`,
          maxEjectionPercent: outlier.maxEjectionPercent,
        },
        // No affinity, WebSocket services included: any pod can serve any user (events reach
        // the user's pod through Redis, docs/adr/0001-websocket-fan-out.md), and an open stream is
        // one active request for its whole life, so LEAST_REQUEST balances open streams. A hash
        // would need a key the browser really sends and would pile a reconnect storm onto the
        // ring's survivors.
        loadBalancer: { simple: "LEAST_REQUEST" },
      },
    },
  };
}

function httpRoute(service: ServiceSpec, policy: RoutePolicy): Record<string, unknown> {
  const match = pathMatch(policy.path);
  const retries: Record<string, unknown> = { attempts: policy.retries.attempts };
  if (policy.retries.attempts > 0) {
    retries.perTryTimeout = ms(policy.retries.perTryTimeoutMs ?? 0);
    retries.retryOn = policy.retries.retryOn;
  }
  return {
    name: policy.route,
    match: [{ uri: match.kind === "prefix" ? { prefix: match.value } : { regex: match.value }, method: { exact: policy.method } }],
    route: [{ destination: { host: serviceHost(service), port: { number: service.ports.http } } }],
    // WebSocket: no route timeout (connections live for hours). Istio's default is "disabled";
    // "0s" is refused by the 1.29 CRD (CEL rule `duration(self) >= duration('1ms')`).
    ...(policy.timeoutMs === null ? {} : { timeout: ms(policy.timeoutMs) }),
    retries,
  };
}

/**
 * Per-route timeouts and retries, most specific route first. A final catch-all (paths not in
 * the catalog, e.g. a new endpoint) gets the SLO budget as timeout and no retries: unknown
 * routes are treated as non-idempotent.
 */
export function virtualService(service: ServiceSpec): KubeObject {
  const policies = routePolicies(service).sort(bySpecificity);
  return {
    apiVersion: NETWORKING_API,
    kind: "VirtualService",
    metadata: { name: service.name, namespace: service.namespace, labels: standardLabels(service.name, "traffic") },
    spec: {
      hosts: [serviceHost(service)],
      http: [
        ...policies.map((p) => httpRoute(service, p)),
        {
          name: "default",
          route: [{ destination: { host: serviceHost(service), port: { number: service.ports.http } } }],
          timeout: ms(timeoutBudgetMs(service)),
          retries: { attempts: 0 },
        },
      ],
    },
  };
}

/** Mesh-wide tracing (sampled per environment) and access logs, in the root namespace. */
export function telemetry(config: PlatformConfig): KubeObject {
  return {
    apiVersion: TELEMETRY_API,
    kind: "Telemetry",
    metadata: { name: "mesh-default", namespace: PLATFORM_NAMESPACES.istio, labels: standardLabels("mesh", "telemetry") },
    spec: {
      tracing: [
        {
          providers: [{ name: TRACING_PROVIDER }],
          randomSamplingPercentage: config.mesh.traceSamplingPercent,
          customTags: { environment: { literal: { value: config.environment } } },
        },
      ],
      accessLogging: [{ providers: [{ name: ACCESS_LOG_PROVIDER }], disabled: !config.mesh.accessLogs }],
    },
  };
}

/** Hosts every workload may reach besides its callees: control plane, telemetry, data. */
const PLATFORM_EGRESS = [
  `${PLATFORM_NAMESPACES.istio}/*`,
  `${PLATFORM_NAMESPACES.tracing}/*`,
  `${PLATFORM_NAMESPACES.kafka}/*`,
  `${PLATFORM_NAMESPACES.data}/*`,
];

/**
 * Egress scoping: each service's proxy knows only the services it calls (plus platform hosts),
 * which trims its config and makes an undeclared call fail fast. Namespace default: own
 * namespace + platform. Kong's proxy knows only the services it exposes.
 */
export function sidecars(catalog: Catalog): KubeObject[] {
  const byName = new Map(catalog.services.map((s) => [s.name, s]));
  const hostRef = (s: ServiceSpec) => `${s.namespace}/${serviceHost(s)}`;
  const labels = standardLabels("mesh", "egress");
  const namespaces = [...new Set(catalog.services.map((s) => s.namespace))].sort();
  const out: KubeObject[] = namespaces.map((ns) => ({
    apiVersion: NETWORKING_API,
    kind: "Sidecar",
    metadata: { name: "default", namespace: ns, labels },
    spec: { egress: [{ hosts: ["./*", ...PLATFORM_EGRESS] }] },
  }));
  for (const s of catalog.services) {
    const callees = s.calls.map((c) => byName.get(c)).filter((c): c is ServiceSpec => c !== undefined);
    out.push({
      apiVersion: NETWORKING_API,
      kind: "Sidecar",
      metadata: { name: s.name, namespace: s.namespace, labels },
      spec: {
        workloadSelector: { labels: { app: s.name } },
        egress: [{ hosts: [...callees.map(hostRef).sort(), ...PLATFORM_EGRESS] }],
      },
    });
  }
  out.push({
    apiVersion: NETWORKING_API,
    kind: "Sidecar",
    metadata: { name: "kong-gateway", namespace: PLATFORM_NAMESPACES.gateway, labels },
    spec: {
      workloadSelector: { labels: { ...KONG_GATEWAY_POD_LABELS } },
      egress: [{ hosts: [...catalog.services.filter((s) => exposedRoutes(s).length > 0).map(hostRef).sort(), ...PLATFORM_EGRESS] }],
    },
  });
  return out;
}

/** Every mesh object built from config and catalog (CRs only; charts are separate). */
export function meshObjects(config: PlatformConfig, catalog: Catalog): KubeObject[] {
  return [
    ...peerAuthentications(),
    ...authorizationObjects(catalog),
    telemetry(config),
    ...sidecars(catalog),
    ...catalog.services.flatMap((s) => [destinationRule(s), virtualService(s)]),
  ];
}

/** Access-log line (JSON): who, what, how long, and the correlation id of INT-003. */
export const ACCESS_LOG_LABELS: Record<string, string> = {
  start_time: "%START_TIME%",
  method: "%REQ(:METHOD)%",
  path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
  protocol: "%PROTOCOL%",
  response_code: "%RESPONSE_CODE%",
  response_flags: "%RESPONSE_FLAGS%",
  duration_ms: "%DURATION%",
  upstream_host: "%UPSTREAM_HOST%",
  upstream_cluster: "%UPSTREAM_CLUSTER%",
  source_principal: "%DOWNSTREAM_PEER_URI_SAN%",
  trace_id: "%REQ(TRACEPARENT)%",
  correlation_id: `%REQ(${CORRELATION_HEADER.toUpperCase()})%`,
};

/**
 * Program-computed istiod values (merged over charts/istiod YAML): mesh config with the tracing
 * and access-log providers, proxy defaults, sidecar resources, replicas.
 */
export function istiodValues(config: PlatformConfig): Record<string, unknown> {
  return {
    pilot: {
      replicaCount: config.mesh.istiodReplicas,
      autoscaleMin: config.mesh.istiodReplicas,
      cni: { enabled: true },
    },
    global: {
      proxy: {
        resources: {
          requests: { cpu: config.kubernetes.sidecarCpuRequest, memory: SIDECAR_MEMORY_REQUEST },
          limits: { cpu: "1", memory: "256Mi" },
        },
      },
    },
    meshConfig: {
      defaultConfig: meshProxyConfig(),
      extensionProviders: [
        { name: TRACING_PROVIDER, opentelemetry: { service: OTEL_COLLECTOR.host, port: OTEL_COLLECTOR.grpcPort } },
        { name: ACCESS_LOG_PROVIDER, envoyFileAccessLog: { path: "/dev/stdout", logFormat: { labels: ACCESS_LOG_LABELS } } },
      ],
    },
  };
}

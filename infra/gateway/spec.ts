/**
 * Pure builders of the gateway's objects: Kong plugins (global KongClusterPlugins and per-route
 * jwt), the Gateway API objects (GatewayClass, Gateway, one HTTPRoute per service with exposed
 * routes), the rate limiter's Redis Secret, and the computed Helm values of kong/ingress.
 *
 * Plugins (open-source Kong 3.9 only):
 * - correlation-id: X-Correlation-ID generated when absent, echoed downstream (INT-003);
 * - response-transformer: OWASP secure headers added (forced: removed first, then added) and
 *   leaky headers (Server, Via, X-Kong-*, X-Envoy-*) removed;
 * - cors: explicit origins from config; `*` refused outside local;
 * - rate-limiting: per client IP, limits from config, counters in Redis (password from a Secret);
 * - request-size-limiting: from config;
 * - prometheus: status, latency, bandwidth and upstream-health metrics. Kong's latency histogram
 *   buckets (1, 2, 5, 7, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, ... ms) already
 *   hold 50 and 200 ms, and the OSS plugin cannot change them;
 * - opentelemetry: traces to the collector over OTLP/HTTP, W3C context;
 * - jwt: on authenticated routes only; WebSocket routes take a short-lived stream token from a
 *   cookie (browsers cannot set headers on the handshake), never from the query string: URLs
 *   land in the ALB, CloudFront, Kong and Envoy access logs, cookies in none of them.
 * Compression: Kong OSS has no compression plugin; gzip is switched on with Kong's nginx directive
 * injection (`nginx_proxy_gzip*` in kongEnv) for JSON/text bodies above 1 KiB.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Catalog, ServiceSpec } from "../catalog/schema";
import { exposedRoutes, serviceHost } from "../catalog/derive";
import { CORRELATION_HEADER, OTEL_COLLECTOR, PLATFORM_NAMESPACES } from "../cluster/namespaces";
import type { PlatformConfig } from "../config/schema";
import { standardLabels, type KubeObject } from "../kube/object";
import { bySpecificity, pathMatch } from "../mesh/paths";
import { sidecarAnnotations } from "../mesh/pod-annotations";
import { KONG_API, type KongClusterPlugin, type KongPlugin } from "./crds";
import {
  KONG_CONTROLLER_SERVICE_ACCOUNT,
  KONG_GATEWAY_SERVICE_ACCOUNT,
  KONG_PROXY_CONTAINER_PORT,
  KONG_PROXY_NODE_PORTS,
} from "./identity";
import { kongDrain } from "../workloads/drain";
import { API_RESPONSE_HEADERS, LEAKY_RESPONSE_HEADERS } from "./security-headers";

export const GATEWAY_API = "gateway.networking.k8s.io/v1";
export const GATEWAY_CLASS = "kong";
export const GATEWAY_NAME = "kong";
export const INGRESS_CLASS = "kong";
export const REDIS_SECRET = "kong-rate-limit-redis";
/** Key of the Redis password in its Secret, JSON-encoded as KIC configPatches require. */
export const REDIS_SECRET_KEY = "password-json";
export const JWT_PLUGIN = "jwt-auth";
/** The jwt plugin of WebSocket routes: the browser's short-lived stream token in a cookie. */
export const JWT_STREAM_PLUGIN = "jwt-stream";

/** Where the rate limiter's counters live. */
export interface RateLimitRedis {
  host: pulumi.Input<string>;
  port: number;
  tls: boolean;
}

/** Public host of the API. */
export function apiHost(config: Pick<PlatformConfig, "domain">): string {
  return `api.${config.domain}`;
}

/** CORS origins, refusing a wildcard outside local (also a config rule; checked again here). */
export function corsOrigins(config: Pick<PlatformConfig, "environment" | "gateway">): string[] {
  const origins = config.gateway.corsOrigins;
  if (config.environment !== "local" && origins.includes("*")) {
    throw new Error(`gateway.corsOrigins: "*" is not allowed in ${config.environment}`);
  }
  return [...origins];
}

function globalPlugin(name: string, plugin: string, config: Record<string, unknown>, extra: Partial<KongClusterPlugin> = {}): KongClusterPlugin {
  return {
    apiVersion: KONG_API,
    kind: "KongClusterPlugin",
    metadata: {
      name,
      // `global: "true"` applies the plugin to every route of this Kong.
      labels: { ...standardLabels("kong", "plugin"), global: "true" },
      annotations: { "kubernetes.io/ingress.class": INGRESS_CLASS },
    },
    plugin,
    config,
    ...extra,
  };
}

/** The global plugins every exposed route carries. */
export function globalPlugins(config: PlatformConfig, redis: RateLimitRedis): KongClusterPlugin[] {
  const headerPairs = Object.entries(API_RESPONSE_HEADERS).map(([k, v]) => `${k}:${v}`);
  return [
    globalPlugin("correlation-id", "correlation-id", { header_name: CORRELATION_HEADER, generator: "uuid", echo_downstream: true }),
    globalPlugin("security-headers", "response-transformer", {
      // Removal runs before addition: upstream values are replaced, never duplicated.
      remove: { headers: [...LEAKY_RESPONSE_HEADERS, ...Object.keys(API_RESPONSE_HEADERS)] },
      add: { headers: headerPairs },
    }),
    globalPlugin("cors", "cors", {
      origins: corsOrigins(config),
      methods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      headers: ["Authorization", "Content-Type", CORRELATION_HEADER],
      exposed_headers: [CORRELATION_HEADER, "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"],
      credentials: true,
      max_age: 600,
      preflight_continue: false,
    }),
    globalPlugin(
      "rate-limiting",
      "rate-limiting",
      {
        second: config.gateway.rateLimit.perSecond,
        minute: config.gateway.rateLimit.perMinute,
        limit_by: "ip",
        policy: "redis",
        redis: { host: redis.host, port: redis.port, ssl: redis.tls, ssl_verify: redis.tls, timeout: 200, database: 0 },
        // Redis down must not take trading down: serve, and count again when Redis is back.
        fault_tolerant: true,
        hide_client_headers: false,
      },
      {
        configPatches: [
          { path: "/redis/password", valueFrom: { secretKeyRef: { name: REDIS_SECRET, namespace: PLATFORM_NAMESPACES.gateway, key: REDIS_SECRET_KEY } } },
        ],
      },
    ),
    globalPlugin("request-size-limiting", "request-size-limiting", {
      allowed_payload_size: config.gateway.requestSizeLimitMb,
      size_unit: "megabytes",
      require_content_length: false,
    }),
    globalPlugin("prometheus", "prometheus", {
      status_code_metrics: true,
      latency_metrics: true,
      bandwidth_metrics: true,
      upstream_health_metrics: true,
      per_consumer: false,
    }),
    globalPlugin("opentelemetry", "opentelemetry", {
      traces_endpoint: `http://${OTEL_COLLECTOR.host}:${OTEL_COLLECTOR.httpPort}/v1/traces`,
      resource_attributes: { "service.name": "kong-gateway", "deployment.environment": config.environment },
      propagation: { extract: ["w3c"], inject: ["preserve"], default_format: "w3c" },
    }),
  ];
}

/** The jwt plugin in a service namespace (KongPlugins are namespaced like the routes). */
export function jwtPlugin(namespace: string): KongPlugin {
  return {
    apiVersion: KONG_API,
    kind: "KongPlugin",
    metadata: { name: JWT_PLUGIN, namespace, labels: standardLabels("kong", "plugin"), annotations: { "kubernetes.io/ingress.class": INGRESS_CLASS } },
    plugin: "jwt",
    config: {
      key_claim_name: "iss",
      claims_to_verify: ["exp"],
      // Tokens valid for more than 15 minutes are refused (the auth service issues short ones).
      maximum_expiration: 900,
      header_names: ["authorization"],
      uri_param_names: [],
      cookie_names: [],
      secret_is_base64: false,
      run_on_preflight: false,
    },
  };
}

/**
 * The jwt plugin of WebSocket routes: the same issuer and checks, the token read from the stream
 * cookie (or the Authorization header of non-browser clients), never from a query parameter, and
 * refused when it lives longer than the stream token TTL: a leaked stream token is useless within
 * a minute, and a regular access token cannot open a stream.
 */
export function streamJwtPlugin(namespace: string, config: Pick<PlatformConfig, "realtime">): KongPlugin {
  const plugin = jwtPlugin(namespace);
  return {
    ...plugin,
    metadata: { ...plugin.metadata, name: JWT_STREAM_PLUGIN },
    config: {
      ...plugin.config,
      maximum_expiration: config.realtime.streamTokenTtlSeconds,
      cookie_names: [config.realtime.streamTokenCookie],
      header_names: ["authorization"],
      uri_param_names: [],
    },
  };
}

/** The cookie the auth service sets with the stream token (path-scoped to the WebSocket routes). */
export function streamTokenCookieAttributes(config: Pick<PlatformConfig, "realtime">, catalog: Catalog): { name: string; path: string; maxAgeSeconds: number; attributes: string } {
  const wsPaths = catalog.services.flatMap((s) => exposedRoutes(s).filter((r) => r.websocket).map((r) => r.path));
  // The longest common leading segment of every WebSocket route: the cookie goes nowhere else.
  const segments = wsPaths.map((p) => p.split("/").filter(Boolean));
  const common: string[] = [];
  for (let i = 0; segments.length && segments.every((seg) => seg[i] !== undefined && seg[i] === segments[0][i]); i++) common.push(segments[0][i]);
  const path = `/${common.join("/")}`;
  return {
    name: config.realtime.streamTokenCookie,
    path,
    maxAgeSeconds: config.realtime.streamTokenTtlSeconds,
    attributes: `Path=${path}; Max-Age=${config.realtime.streamTokenTtlSeconds}; HttpOnly; Secure; SameSite=Strict`,
  };
}

export function gatewayClass(): KubeObject {
  return {
    apiVersion: GATEWAY_API,
    kind: "GatewayClass",
    metadata: {
      name: GATEWAY_CLASS,
      labels: standardLabels("kong", "gateway"),
      // The chart runs Kong; KIC only configures it (unmanaged mode).
      annotations: { "konghq.com/gatewayclass-unmanaged": "true" },
    },
    spec: { controllerName: "konghq.com/kic-gateway-controller" },
  };
}

/** The Gateway: one HTTP listener for the API host, routes only from service namespaces. */
export function gateway(config: PlatformConfig, catalog: Catalog): KubeObject {
  const namespaces = [...new Set(catalog.services.filter((s) => exposedRoutes(s).length).map((s) => s.namespace))].sort();
  return {
    apiVersion: GATEWAY_API,
    kind: "Gateway",
    metadata: { name: GATEWAY_NAME, namespace: PLATFORM_NAMESPACES.gateway, labels: standardLabels("kong", "gateway") },
    spec: {
      gatewayClassName: GATEWAY_CLASS,
      listeners: [
        {
          name: "http",
          protocol: "HTTP",
          port: 80,
          hostname: apiHost(config),
          allowedRoutes: {
            kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
            namespaces: {
              from: "Selector",
              selector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: namespaces }] },
            },
          },
        },
      ],
    },
  };
}

/** One HTTPRoute per service: a rule per exposed route, jwt on authenticated ones. */
export function httpRoute(config: PlatformConfig, service: ServiceSpec): KubeObject | undefined {
  const routes = [...exposedRoutes(service)].sort(bySpecificity);
  if (!routes.length) return undefined;
  return {
    apiVersion: GATEWAY_API,
    kind: "HTTPRoute",
    metadata: {
      name: service.name,
      namespace: service.namespace,
      labels: standardLabels(service.name, "gateway-route"),
      annotations: { "konghq.com/strip-path": "false" },
    },
    spec: {
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: GATEWAY_NAME, namespace: PLATFORM_NAMESPACES.gateway }],
      hostnames: [apiHost(config)],
      rules: routes.map((r) => {
        const m = pathMatch(r.path);
        return {
          matches: [{ path: { type: m.kind === "prefix" ? "PathPrefix" : "RegularExpression", value: m.value }, method: r.method }],
          filters: [
            // Kong preserves the client's Host by default; Kong's sidecar routes by Host, so the
            // request must carry the service's mesh host to get its VirtualService and mTLS.
            { type: "URLRewrite", urlRewrite: { hostname: serviceHost(service) } },
            ...(r.authenticated
              ? [{ type: "ExtensionRef", extensionRef: { group: "configuration.konghq.com", kind: "KongPlugin", name: r.websocket ? JWT_STREAM_PLUGIN : JWT_PLUGIN } }]
              : []),
          ],
          backendRefs: [{ kind: "Service", name: service.name, port: service.ports.http }],
        };
      }),
    },
  };
}

export const JWT_CONSUMER = "api-clients";
export const JWT_CREDENTIAL_SECRET = "jwt-issuer";

/**
 * The consumer the jwt plugin authenticates tokens against: one credential for the auth
 * service's issuer (RS256, public key only). Values are inputs so the caller can mark them secret
 * (KIC reads credentials from Secrets; the plan never shows Secret contents).
 */
export function jwtConsumerObjects(jwt: { issuer: pulumi.Input<string>; publicKeyPem: pulumi.Input<string> }): KubeObject[] {
  const ns = PLATFORM_NAMESPACES.gateway;
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: JWT_CREDENTIAL_SECRET, namespace: ns, labels: { ...standardLabels("kong", "credential"), "konghq.com/credential": "jwt" } },
      type: "Opaque",
      stringData: { key: jwt.issuer, algorithm: "RS256", rsa_public_key: jwt.publicKeyPem },
    },
    {
      apiVersion: KONG_API,
      kind: "KongConsumer",
      metadata: { name: JWT_CONSUMER, namespace: ns, labels: standardLabels("kong", "consumer"), annotations: { "kubernetes.io/ingress.class": INGRESS_CLASS } },
      username: JWT_CONSUMER,
      credentials: [JWT_CREDENTIAL_SECRET],
    },
  ];
}

/** The rate limiter's Redis password, JSON-encoded (KIC configPatches read JSON values). */
export function redisSecret(passwordJson: pulumi.Input<string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: REDIS_SECRET, namespace: PLATFORM_NAMESPACES.gateway, labels: standardLabels("kong", "rate-limiting") },
    type: "Opaque",
    stringData: { [REDIS_SECRET_KEY]: passwordJson },
  };
}

/** Every gateway object (the Secret excepted: it needs the password output). */
export function gatewayObjects(config: PlatformConfig, catalog: Catalog, redis: RateLimitRedis): KubeObject[] {
  const authNamespaces = [
    ...new Set(catalog.services.filter((s) => exposedRoutes(s).some((r) => r.authenticated)).map((s) => s.namespace)),
  ].sort();
  const streamNamespaces = [
    ...new Set(catalog.services.filter((s) => exposedRoutes(s).some((r) => r.authenticated && r.websocket)).map((s) => s.namespace)),
  ].sort();
  return [
    gatewayClass(),
    gateway(config, catalog),
    ...globalPlugins(config, redis),
    ...authNamespaces.map(jwtPlugin),
    ...streamNamespaces.map((ns) => streamJwtPlugin(ns, config)),
    ...catalog.services.map((s) => httpRoute(config, s)).filter((o): o is KubeObject => o !== undefined),
  ];
}

/** Kong configuration through environment (KONG_*): leaks off, gzip on, tracing, real client IP. */
export function kongEnv(config: PlatformConfig): Record<string, string> {
  return {
    // No Server / Via / X-Kong-* headers on responses, no X-Kong-Request-Id upstream.
    headers: "off",
    headers_upstream: "off",
    // Response compression (no OSS plugin): nginx gzip in the proxy server block.
    nginx_proxy_gzip: "on",
    nginx_proxy_gzip_types: "application/json application/problem+json text/plain text/css application/javascript",
    nginx_proxy_gzip_min_length: "1024",
    nginx_proxy_gzip_proxied: "any",
    nginx_proxy_gzip_vary: "on",
    tracing_instrumentations: "request",
    tracing_sampling_rate: String(config.mesh.traceSamplingPercent / 100),
    // The client IP (rate limits are per IP) comes from the load balancer inside the VPC.
    real_ip_header: "X-Forwarded-For",
    real_ip_recursive: "on",
    trusted_ips: config.aws ? config.aws.vpcCidr : "0.0.0.0/0,::/0",
    // Never echo Kong's version in error pages.
    error_default_type: "application/json",
  };
}

/** Pinned images: open-source Kong 3.9 (the last OSS line) and its ingress controller. */
export const KONG_IMAGE = { repository: "kong", tag: "3.9.1" } as const;
export const KIC_IMAGE = { repository: "kong/kubernetes-ingress-controller", tag: "3.5.0" } as const;

/** Program-computed values of the kong/ingress chart (merged over charts/kong YAML). */
export function kongChartValues(config: PlatformConfig, catalog: Catalog): Record<string, unknown> {
  return {
    controller: {
      deployment: { serviceAccount: { create: true, name: KONG_CONTROLLER_SERVICE_ACCOUNT } },
      ingressController: { image: { ...KIC_IMAGE }, ingressClass: INGRESS_CLASS },
    },
    gateway: {
      image: { ...KONG_IMAGE },
      replicaCount: config.gateway.replicas,
      // Drain: stop taking connections, then let WebSocket streams go over the drain window.
      lifecycle: { preStop: { exec: { command: kongDrain(config).quitCommand } } },
      terminationGracePeriodSeconds: kongDrain(config).terminationGracePeriodSeconds,
      deployment: { serviceAccount: { create: true, name: KONG_GATEWAY_SERVICE_ACCOUNT } },
      env: kongEnv(config),
      // AWS: the edge load balancer targets the nodes on fixed ports (infra/edge).
      ...(config.onAws
        ? { proxy: { type: "NodePort", http: { nodePort: KONG_PROXY_NODE_PORTS.http }, tls: { nodePort: KONG_PROXY_NODE_PORTS.tls } } }
        : {}),
      podAnnotations: {
        ...sidecarAnnotations(config, catalog),
        // Clients reach Kong from the load balancer, outside the mesh: inbound is not intercepted
        // (Kong's own admin API uses its own mTLS). Outbound to services goes through the sidecar.
        "traffic.sidecar.istio.io/includeInboundPorts": "",
      },
    },
  };
}

/** Container port the load balancer targets (TLS re-encrypted to Kong on AWS). */
export { KONG_PROXY_CONTAINER_PORT };

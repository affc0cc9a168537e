/**
 * Tracing values (pure): the OpenTelemetry Collector with tail sampling in front of Jaeger v2.
 * Tail sampling keeps every trace with an error, every trace slower than
 * observability.tailSampling.latencyThresholdMs, and baseRatePercent of the rest. One collector
 * replica holds whole traces (tail sampling needs every span of a trace in one place).
 */
import { OTEL_COLLECTOR, PLATFORM_NAMESPACES } from "../cluster/namespaces";
import type { PlatformConfig } from "../config/schema";
import { JAEGER_ES_CLIENT_SECRET, JAEGER_ES_MOUNT, JAEGER_ES_USER } from "./trace-storage";

export const JAEGER_OTLP_ENDPOINT = `jaeger.${PLATFORM_NAMESPACES.tracing}.svc.cluster.local:4317`;

export function tailSamplingPolicies(config: PlatformConfig): Array<Record<string, unknown>> {
  const t = config.observability.tailSampling;
  return [
    { name: "keep-errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
    { name: "keep-slow", type: "latency", latency: { threshold_ms: t.latencyThresholdMs } },
    { name: "sample-rest", type: "probabilistic", probabilistic: { sampling_percentage: t.baseRatePercent } },
  ];
}

/** Values of the opentelemetry-collector chart (merged over charts/opentelemetry-collector). */
export function collectorValues(config: PlatformConfig): Record<string, unknown> {
  return {
    replicaCount: 1,
    ports: {
      otlp: { enabled: true, containerPort: OTEL_COLLECTOR.grpcPort, servicePort: OTEL_COLLECTOR.grpcPort, protocol: "TCP" },
      "otlp-http": { enabled: true, containerPort: OTEL_COLLECTOR.httpPort, servicePort: OTEL_COLLECTOR.httpPort, protocol: "TCP" },
      "jaeger-compact": { enabled: false },
      "jaeger-thrift": { enabled: false },
      "jaeger-grpc": { enabled: false },
      zipkin: { enabled: true },
    },
    config: {
      receivers: {
        otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${OTEL_COLLECTOR.grpcPort}` }, http: { endpoint: `0.0.0.0:${OTEL_COLLECTOR.httpPort}` } } },
        // Istio's Zipkin tracer (meshConfig.defaultConfig.tracing) can export here too.
        zipkin: { endpoint: "0.0.0.0:9411" },
      },
      processors: {
        memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
        tail_sampling: { decision_wait: "10s", num_traces: 50000, expected_new_traces_per_sec: 200, policies: tailSamplingPolicies(config) },
        batch: {},
      },
      exporters: { "otlp/jaeger": { endpoint: JAEGER_OTLP_ENDPOINT, tls: { insecure: true } } },
      service: {
        pipelines: {
          traces: { receivers: ["otlp", "zipkin"], processors: ["memory_limiter", "tail_sampling", "batch"], exporters: ["otlp/jaeger"] },
        },
      },
    },
  };
}

/** Prefix of Jaeger's Elasticsearch indices (its role may touch only `<prefix>-*`). */
export const JAEGER_INDEX_PREFIX = "jaeger";

/**
 * Jaeger v2 configuration: OTLP in, memory storage without logging, Elasticsearch with it —
 * authenticated as the least-privilege `jaeger` user (password file) and verifying the server
 * against the CA of its HTTP certificate (both from JAEGER_ES_CLIENT_SECRET, mounted read-only).
 */
export function jaegerValues(config: PlatformConfig, elasticsearchUrl: string | undefined): Record<string, unknown> {
  const backend = elasticsearchUrl
    ? {
        elasticsearch: {
          server_urls: [elasticsearchUrl],
          indices: { index_prefix: JAEGER_INDEX_PREFIX },
          auth: { basic: { username: JAEGER_ES_USER, password_file: `${JAEGER_ES_MOUNT}/password` } },
          tls: { insecure: false, ca_file: `${JAEGER_ES_MOUNT}/ca.crt` },
        },
      }
    : { memory: { max_traces: config.environment === "local" ? 20000 : 100000 } };
  return {
    fullnameOverride: "jaeger",
    ...(elasticsearchUrl ? { jaeger: { extraSecretMounts: [{ name: "es-client", secretName: JAEGER_ES_CLIENT_SECRET, mountPath: JAEGER_ES_MOUNT, readOnly: true }] } } : {}),
    userconfig: {
      service: {
        extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
        pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
      },
      extensions: {
        healthcheckv2: { use_v2: true, http: { endpoint: "0.0.0.0:13133" } },
        jaeger_query: { storage: { traces: "main" } },
        jaeger_storage: { backends: { main: backend } },
      },
      receivers: { otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } } } },
      processors: { batch: {} },
      exporters: { jaeger_storage_exporter: { trace_storage: "main" } },
    },
  };
}

/**
 * Pure builder of a catalog service's workload objects: ServiceAccount, ConfigMap, Secret,
 * Deployment, Service, HPA (KEDA ScaledObject for Kafka consumers) and PDB. Secure by default:
 * - non-root (uid 10001), no privilege escalation, all capabilities dropped, seccomp RuntimeDefault,
 *   read-only root filesystem (a memory-backed /tmp is mounted instead);
 * - no service-account token mounted (services never call the Kubernetes API);
 * - requests and limits from the catalog; startup, readiness and liveness probes;
 * - spread over zones (when the cluster has them) and nodes; PriorityClass by criticality.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Catalog, ServiceSpec } from "../catalog/schema";
import { broadcastGroupPrefix, consumerGroupId, deadLetterTopicName, serviceAccountName, sharedConsumes, topicsByName } from "../catalog/derive";
import { CORRELATION_HEADER, OTEL_COLLECTOR } from "../cluster/namespaces";
import { PRIORITY_CLASS } from "../cluster/spec";
import type { PlatformConfig } from "../config/schema";
import type { ServiceConnection } from "../contracts";
import { standardLabels, type KubeObject } from "../kube/object";
import { gatewayUpstreamServiceAnnotations } from "../gateway/service-annotations";
import { proxyPodAnnotations } from "../mesh/pod-annotations";
import { fanoutSettings } from "../data/fanout";
import { streamTokenCookieAttributes } from "../gateway/spec";
import { consumerScalingObjects, CPU_TARGET_PERCENT, KEDA_API, SCALING_BEHAVIOR } from "../addons/keda/spec";
import { holdsStreams, serviceDrain } from "./drain";

export const RUN_AS_USER = 10001;

export interface WorkloadInputs {
  service: ServiceSpec;
  config: PlatformConfig;
  /** The whole catalog: topic names and the mesh's latency buckets derive from it. */
  catalog: Catalog;
  /** Image repository override (ECR on AWS). */
  imageRepository?: string;
  /** Zones the cluster's nodes run in; empty on local. */
  zones: string[];
  connection: ServiceConnection;
}

export function selectorLabels(service: ServiceSpec): Record<string, string> {
  return { app: service.name };
}

export function podLabels(service: ServiceSpec): Record<string, string> {
  return {
    ...selectorLabels(service),
    ...standardLabels(service.name, "service", {
      version: service.image.tag,
      "trademaster.io/team": service.team,
      "trademaster.io/criticality": service.criticality,
    }),
  };
}

/** The non-secret settings of a service (also the content of its ConfigMap). */
export function settingsFor(inputs: WorkloadInputs): Record<string, pulumi.Input<string>> {
  const { service, config } = inputs;
  const topics = topicsByName(inputs.catalog);
  const topicName = (ref: string) => topics.get(ref)?.topicName ?? ref;
  const settings: Record<string, pulumi.Input<string>> = {
    SERVICE_NAME: service.name,
    ENVIRONMENT: config.environment,
    HTTP_PORT: String(service.ports.http),
    METRICS_PORT: String(service.ports.metrics),
    LOG_FORMAT: "json",
    CORRELATION_ID_HEADER: CORRELATION_HEADER,
    OTEL_SERVICE_NAME: service.name,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://${OTEL_COLLECTOR.host}:${OTEL_COLLECTOR.grpcPort}`,
    OTEL_PROPAGATORS: "tracecontext,baggage",
    ...service.settings,
  };
  if (service.produces.length) {
    settings.KAFKA_PRODUCE_TOPICS = service.produces.map(topicName).join(",");
    // The record key of each topic (catalog partitionKey): per-key ordering holds only if every
    // producer keys its records by it.
    settings.KAFKA_PARTITION_KEYS = service.produces.map((ref) => `${topicName(ref)}=${topics.get(ref)?.partitionKey ?? ""}`).join(",");
    // Ordering per key and no duplicates on producer retry (INT-001).
    settings.KAFKA_PRODUCER_ACKS = "all";
    settings.KAFKA_PRODUCER_ENABLE_IDEMPOTENCE = "true";
    settings.KAFKA_PRODUCER_MAX_IN_FLIGHT = "5";
    settings.KAFKA_PRODUCER_COMPRESSION = "lz4";
  }
  if (service.consumes.length) {
    settings.KAFKA_CONSUME_TOPICS = sharedConsumes(service).map(topicName).join(",");
    if (service.broadcast.length) {
      // Every pod reads these in full in a group of its own (prefix + POD_NAME), from the head,
      // committing nothing: a restarted pod starts live, replay comes from Redis.
      settings.KAFKA_BROADCAST_TOPICS = service.broadcast.map(topicName).join(",");
      settings.KAFKA_BROADCAST_GROUP_PREFIX = broadcastGroupPrefix(service);
      settings.KAFKA_BROADCAST_AUTO_OFFSET_RESET = "latest";
      settings.KAFKA_BROADCAST_ENABLE_AUTO_COMMIT = "false";
    }
    settings.KAFKA_CONSUMER_GROUP = consumerGroupId(service);
    settings.KAFKA_DEAD_LETTER_TOPIC = deadLetterTopicName(service);
    settings.KAFKA_CONSUMER_ISOLATION_LEVEL = "read_committed";
    settings.KAFKA_CONSUMER_AUTO_OFFSET_RESET = "earliest";
  }
  if (service.datastores.postgres) settings.DB_POOL_MAX_SIZE = String(service.datastores.postgres.poolSize);
  if (service.datastores.redis) {
    settings.CACHE_KEY_PREFIX = service.datastores.redis.keyPrefix;
    settings.CACHE_TTL_SECONDS = String(service.datastores.redis.ttlSeconds);
  }
  if (holdsStreams(service)) {
    settings.WS_DRAIN_SECONDS = String(serviceDrain(service, config).drainSeconds);
    // Browsers send Origin on the handshake: only the app's origins may open a stream.
    settings.WS_ALLOWED_ORIGINS = config.gateway.corsOrigins.join(",");
    settings.WS_STREAM_COOKIE = config.realtime.streamTokenCookie;
    if (service.datastores.redis?.channelPrefix) Object.assign(settings, fanoutSettings(service, config));
  }
  if (service.issuesTokens) {
    const cookie = streamTokenCookieAttributes(config, inputs.catalog);
    // Names avoid "TOKEN": the ConfigMap holds settings, the signing key stays in the Secret.
    settings.STREAM_COOKIE_TTL_SECONDS = String(cookie.maxAgeSeconds);
    settings.STREAM_COOKIE_NAME = cookie.name;
    settings.STREAM_COOKIE_ATTRIBUTES = cookie.attributes;
  }
  if (service.runtime === "jvm") {
    settings.JAVA_TOOL_OPTIONS = `-XX:MaxRAMPercentage=${service.jvmMaxRamPercentage} -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp`;
  } else {
    settings.NODE_OPTIONS = "--enable-source-maps";
  }
  for (const [k, v] of Object.entries(inputs.connection.config)) settings[k] = v;
  return settings;
}

function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}

/** Where the app serves metrics; Istio merges them into the sidecar's :15020 endpoint. */
export function metricsPath(service: ServiceSpec): string {
  // Spring Boot Actuator serves Prometheus metrics under /actuator/prometheus; Node services
  // (prom-client / OpenTelemetry Prometheus exporter) under /metrics.
  return service.runtime === "jvm" ? "/actuator/prometheus" : "/metrics";
}

/** Annotations Istio's metrics merging reads (it rewrites them to its own port at injection). */
export function metricsAnnotations(service: ServiceSpec): Record<string, string> {
  return {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(service.ports.metrics),
    "prometheus.io/path": metricsPath(service),
  };
}

export function configMapName(service: ServiceSpec): string {
  return `${service.name}-config`;
}

export function secretName(service: ServiceSpec): string {
  return `${service.name}-credentials`;
}

/** All workload objects of one service. */
export function workloadObjects(inputs: WorkloadInputs): KubeObject[] {
  const { service, config } = inputs;
  const sizing = service.environments[config.environment];
  const ns = service.namespace;
  const labels = podLabels(service);
  const selector = selectorLabels(service);
  const meta = (name: string) => ({ name, namespace: ns, labels });
  const hasSecrets = Object.keys(inputs.connection.secrets).length > 0;
  const image = `${inputs.imageRepository ?? service.image.repository}:${service.image.tag}`;
  const drain = serviceDrain(service, config);

  const objects: KubeObject[] = [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: meta(serviceAccountName(service)),
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(configMapName(service)),
      data: sortedRecord(settingsFor(inputs)),
    },
  ];
  if (hasSecrets) {
    objects.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(secretName(service)),
      type: "Opaque",
      stringData: sortedRecord(inputs.connection.secrets),
    });
  }

  const http = service.ports.http;
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: "http" },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  const spread = [
    ...(inputs.zones.length > 1
      ? [
          {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            // Critical services must not pile into one zone; others prefer not to.
            whenUnsatisfiable: service.criticality === "critical" ? "DoNotSchedule" : "ScheduleAnyway",
            labelSelector: { matchLabels: selector },
          },
        ]
      : []),
    { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
  ];
  const criticalPool = config.aws?.eks.nodeGroups.some((g) => g.workloadClass === "critical") ?? false;

  const container = {
    name: service.name,
    image,
    imagePullPolicy: "IfNotPresent",
    ports: [
      { name: "http", containerPort: http, protocol: "TCP" },
      { name: "http-metrics", containerPort: service.ports.metrics, protocol: "TCP" },
    ],
    envFrom: [{ configMapRef: { name: configMapName(service) } }, ...(hasSecrets ? [{ secretRef: { name: secretName(service) } }] : [])],
    // The pod's own name completes its broadcast consumer group.
    ...(service.broadcast.length ? { env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] } : {}),
    resources: {
      requests: { cpu: sizing.cpu.request, memory: sizing.memory.request },
      limits: { cpu: sizing.cpu.limit, memory: sizing.memory.limit },
    },
    startupProbe: probe(service.health.startup ?? service.health.liveness, 5, 36),
    readinessProbe: probe(service.health.readiness, 5, 3),
    livenessProbe: probe(service.health.liveness, 10, 3),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS_USER,
      runAsGroup: RUN_AS_USER,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    // Out of the endpoints first, then SIGTERM (no shell needed: the kubelet sleeps).
    lifecycle: { preStop: { sleep: { seconds: drain.preStopSleepSeconds } } },
  };

  objects.push({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(service.name),
    spec: {
      replicas: sizing.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels,
          annotations: { ...proxyPodAnnotations(config, inputs.catalog, drain.drainSeconds > 0 ? drain.preStopSleepSeconds + drain.drainSeconds : 0), ...metricsAnnotations(service) },
        },
        spec: {
          serviceAccountName: serviceAccountName(service),
          automountServiceAccountToken: false,
          priorityClassName: PRIORITY_CLASS[service.criticality],
          terminationGracePeriodSeconds: drain.terminationGracePeriodSeconds,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS_USER,
            runAsGroup: RUN_AS_USER,
            fsGroup: RUN_AS_USER,
            seccompProfile: { type: "RuntimeDefault" },
          },
          hostNetwork: false,
          hostPID: false,
          hostIPC: false,
          topologySpreadConstraints: spread,
          ...(criticalPool
            ? {
                affinity: {
                  nodeAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                      {
                        weight: 100,
                        preference: {
                          matchExpressions: [{ key: "workload-class", operator: "In", values: [service.criticality === "critical" ? "critical" : "general"] }],
                        },
                      },
                    ],
                  },
                },
              }
            : {}),
          containers: [container],
          volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }],
        },
      },
    },
  });
  const exposed = service.routes.some((r) => r.exposed);
  objects.push({
    apiVersion: "v1",
    kind: "Service",
    // Exposed services tell Kong to go through the mesh (cluster IP), never retry, keep streams open.
    metadata: exposed ? { ...meta(service.name), annotations: gatewayUpstreamServiceAnnotations(service) } : meta(service.name),
    spec: {
      type: "ClusterIP",
      selector,
      ports: [
        { name: "http", port: http, targetPort: "http", protocol: "TCP", appProtocol: "http" },
        { name: "http-metrics", port: service.ports.metrics, targetPort: "http-metrics", protocol: "TCP", appProtocol: "http" },
      ],
    },
  });
  const bootstrapServers = inputs.connection.config.KAFKA_BOOTSTRAP_SERVERS;
  if (service.consumes.length > 0 && bootstrapServers !== undefined) {
    // Consumers scale on their group's lag as well as CPU: KEDA owns their HPA.
    objects.push(
      ...consumerScalingObjects({ service, config, bootstrapServers, credentialsSecret: secretName(service), caCertificatePem: inputs.connection.config.KAFKA_SSL_CA_PEM }),
    );
  } else objects.push({
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: meta(service.name),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: service.name },
      minReplicas: sizing.replicas,
      maxReplicas: sizing.maxReplicas,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: CPU_TARGET_PERCENT } } }],
      // Scale up fast for market open, down slowly so a lull does not drop warm pods.
      behavior: structuredClone(SCALING_BEHAVIOR),
    },
  });
  objects.push({
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: meta(service.name),
    spec: {
      // With one replica a drain may proceed; with more, one pod at a time.
      maxUnavailable: 1,
      selector: { matchLabels: selector },
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    },
  });
  return objects;
}

/**
 * Fields of an object that another controller owns after creation, so `pulumi up` must not reset
 * them: a Deployment's `spec.replicas` once an HPA or a KEDA ScaledObject of the same objects scales it (the catalog's
 * replica count is the first size and, through the HPA's minReplicas, the floor).
 */
export function controllerOwnedFields(obj: KubeObject, objects: KubeObject[]): string[] {
  if (obj.apiVersion !== "apps/v1" || obj.kind !== "Deployment") return [];
  const scaled = objects.some((o) => {
    const scaler = o.kind === "HorizontalPodAutoscaler" || (o.apiVersion === KEDA_API && o.kind === "ScaledObject");
    if (!scaler || o.metadata.namespace !== obj.metadata.namespace) return false;
    const target = (o.spec as { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } } | undefined)?.scaleTargetRef;
    return target?.apiVersion === "apps/v1" && target.kind === "Deployment" && target.name === obj.metadata.name;
  });
  return scaled ? ["spec.replicas"] : [];
}

/**
 * Metrics exporters and their targets (pure): chart values and the Secrets they read.
 *
 * Secure by default:
 * - every password stays in a Kubernetes Secret (Pulumi secret) the chart references by name;
 *   chart values hold hosts, user names and Secret names only;
 * - TLS to every store: Kafka SASL/SCRAM over TLS (Strimzi's cluster CA verified locally, MSK's
 *   public chain on AWS), ElastiCache `rediss://` (transit encryption required), Postgres
 *   `sslmode` require or stricter, Elasticsearch over HTTPS verified with ECK's CA;
 * - each exporter has its own least-privilege identity (infra/data/exporter-access.ts), except
 *   Elasticsearch, which uses ECK's `elastic` user (see docs/runbooks/README.md);
 * - an exporter runs where the Secrets it must mount live: the local Kafka exporter beside
 *   Strimzi (its cluster CA), the Elasticsearch exporter beside ECK; the others in monitoring.
 */
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import type { PlatformConfig } from "../config/schema";
import type { ExporterTargets } from "../data/exporter-access";
import { KAFKA_EXPORTER_SECRET } from "../data/exporter-access";
import { standardLabels, type KubeObject } from "../kube/object";
import { ES_NAME, ES_URL } from "./logging";

export type ExporterKind = "kafka" | "redis" | "postgres" | "elasticsearch";

/** The `job` label of each exporter's series (the chart's fullname = its Service name). */
export const EXPORTER_JOBS: Record<ExporterKind, string> = {
  kafka: "kafka-exporter",
  redis: "redis-exporter",
  postgres: "postgres-exporter",
  elasticsearch: "elasticsearch-exporter",
};

/** Secrets (monitoring namespace) holding the exporters' passwords. */
export const EXPORTER_SECRETS = { redis: "redis-exporter-auth", postgres: "postgres-exporter-auth" } as const;

/** Exporters a stack runs: Elasticsearch only with logs on. */
export function exporterKinds(config: PlatformConfig): ExporterKind[] {
  return config.observability.logging.enabled ? ["kafka", "redis", "postgres", "elasticsearch"] : ["kafka", "redis", "postgres"];
}

export interface ExporterChart {
  kind: ExporterKind;
  /** Folder under charts/. */
  chart: string;
  namespace: string;
  values: Record<string, unknown>;
}

function interval(config: PlatformConfig): string {
  return `${config.observability.scrapeIntervalSeconds}s`;
}

function kafkaNamespace(targets: ExporterTargets): string {
  return targets.kafka.caSecret ? PLATFORM_NAMESPACES.kafka : PLATFORM_NAMESPACES.monitoring;
}

/** Secrets the observability component writes (the local Kafka one is written by the data layer). */
export function exporterSecrets(targets: ExporterTargets): KubeObject[] {
  const ns = PLATFORM_NAMESPACES.monitoring;
  const meta = (name: string) => ({ name, namespace: ns, labels: standardLabels("metrics-exporter", "credentials") });
  const out: KubeObject[] = [
    { apiVersion: "v1", kind: "Secret", metadata: meta(EXPORTER_SECRETS.redis), type: "Opaque", stringData: { password: targets.redis.password } },
    { apiVersion: "v1", kind: "Secret", metadata: meta(EXPORTER_SECRETS.postgres), type: "Opaque", stringData: { password: targets.postgres.password } },
  ];
  if (!targets.kafka.caSecret) {
    out.push({ apiVersion: "v1", kind: "Secret", metadata: meta(KAFKA_EXPORTER_SECRET), type: "Opaque", stringData: { username: targets.kafka.user, password: targets.kafka.password } });
  }
  return out;
}

/** Bootstrap list (comma-separated string or output of one) as the chart's list of servers. */
function serverList(bootstrap: pulumi.Input<string>): pulumi.Input<string[]> {
  // A known string (local) stays plain; MSK's output stays lazy for the engine.
  return typeof bootstrap === "string" ? bootstrap.split(",") : pulumi.output(bootstrap).apply((b) => b.split(","));
}

function redisUrl(r: ExporterTargets["redis"]): pulumi.Input<string> {
  const scheme = r.tls ? "rediss" : "redis";
  return typeof r.host === "string" ? `${scheme}://${r.host}:${r.port}` : pulumi.interpolate`${scheme}://${r.host}:${r.port}`;
}

/** Values of each exporter chart (merged over charts/<chart>/values*.yaml). */
export function exporterCharts(targets: ExporterTargets, config: PlatformConfig): ExporterChart[] {
  const monitorLabels = { "trademaster.io/monitoring": "enabled" };
  const serviceMonitor = { enabled: true, labels: monitorLabels, interval: interval(config) };
  const k = targets.kafka;
  const charts: ExporterChart[] = [
    {
      kind: "kafka",
      chart: "prometheus-kafka-exporter",
      namespace: kafkaNamespace(targets),
      values: {
        fullnameOverride: EXPORTER_JOBS.kafka,
        kafkaServer: serverList(k.bootstrapServers),
        sasl: { enabled: true, handshake: true, scram: { enabled: true, mechanism: "scram-sha512", secretName: KAFKA_EXPORTER_SECRET } },
        // Brokers are verified: with a mounted CA (Strimzi) or the image's public roots (MSK).
        tls: { enabled: true, insecureSkipVerify: false, ...(k.caSecret ? { mountPath: "/kafka-ca", secretName: k.caSecret } : {}) },
        prometheus: { serviceMonitor: { enabled: true, namespace: kafkaNamespace(targets), interval: interval(config), additionalLabels: monitorLabels } },
      },
    },
    {
      kind: "redis",
      chart: "prometheus-redis-exporter",
      namespace: PLATFORM_NAMESPACES.monitoring,
      values: {
        fullnameOverride: EXPORTER_JOBS.redis,
        redisAddress: redisUrl(targets.redis),
        auth: { enabled: true, redisUser: targets.redis.user, secret: { name: EXPORTER_SECRETS.redis, key: "password" } },
        redisTlsConfig: { enabled: targets.redis.tls, skipTlsVerification: false },
        serviceMonitor,
      },
    },
    {
      kind: "postgres",
      chart: "prometheus-postgres-exporter",
      namespace: PLATFORM_NAMESPACES.monitoring,
      values: {
        fullnameOverride: EXPORTER_JOBS.postgres,
        config: {
          datasource: {
            host: targets.postgres.host,
            port: String(targets.postgres.port),
            user: targets.postgres.user,
            database: "postgres",
            sslmode: targets.postgres.sslMode,
            passwordSecret: { name: EXPORTER_SECRETS.postgres, key: "password" },
          },
        },
        serviceMonitor,
      },
    },
  ];
  if (config.observability.logging.enabled) {
    charts.push({
      kind: "elasticsearch",
      chart: "prometheus-elasticsearch-exporter",
      namespace: PLATFORM_NAMESPACES.logging,
      values: {
        fullnameOverride: EXPORTER_JOBS.elasticsearch,
        es: { uri: ES_URL, sslSkipVerify: false, ssl: { enabled: true, useExistingSecrets: true, ca: { path: "/ssl/ca.crt" }, client: { enabled: false } } },
        env: { ES_USERNAME: "elastic" },
        extraEnvSecrets: { ES_PASSWORD: { secret: `${ES_NAME}-es-elastic-user`, key: "elastic" } },
        secretMounts: [{ name: "es-ca", secretName: `${ES_NAME}-es-http-certs-public`, path: "/ssl" }],
        serviceMonitor,
      },
    });
  }
  return charts;
}

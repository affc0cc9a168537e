/**
 * Pure builders of the in-cluster data stores of the local stack:
 * - Kafka: a Strimzi `kafka.strimzi.io/v1` Kafka in KRaft mode (one dual-role node pool), a TLS
 *   listener with SCRAM-SHA-512, simple authorization, KafkaTopic/KafkaUser from the catalog;
 * - Postgres: a CloudNativePG Cluster with one managed role and one Database per service;
 * - Redis: the official image as a StatefulSet, one ACL user per service scoped to its key prefix,
 *   the default user disabled.
 * Requests are small on purpose: the whole local stack must fit 4 vCPU / 8 GiB.
 * Passwords come in as inputs (from `@pulumi/random`) and only ever land in Secrets.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Catalog, ServiceSpec } from "../catalog/schema";
import { kafkaUserName } from "../catalog/derive";
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import { LOCAL_REDIS_MAXMEMORY_BYTES, type PlatformConfig } from "../config/schema";
import { standardLabels, type KubeObject } from "../kube/object";
import {
  CNPG_API,
  STRIMZI_API,
  STRIMZI_CLUSTER_LABEL,
  type CnpgCluster,
  type CnpgDatabase,
  type CnpgManagedRole,
  type StrimziKafka,
  type StrimziKafkaNodePool,
  type StrimziKafkaTopic,
  type StrimziKafkaUser,
} from "./crds";
import type { AclRule, TopicDefinition } from "./topics";

export const KAFKA_CLUSTER_NAME = "trademaster";
export const KAFKA_TLS_PORT = 9093;
export const POSTGRES_CLUSTER_NAME = "trademaster-pg";
export const REDIS_NAME = "redis";
export const REDIS_PORT = 6379;
/** Official Redis image (no Bitnami), pinned. UID 999 is the image's `redis` user. */
export const REDIS_IMAGE = "docker.io/library/redis:7.4.2-alpine";
export const REDIS_UID = 999;
/** CloudNativePG operand image (PostgreSQL major.minor from the stack config). */
export function postgresImage(engineVersion: string): string {
  return `ghcr.io/cloudnative-pg/postgresql:${engineVersion}`;
}

/** Small but explicit requests: the local footprint budget counts them. */
export const LOCAL_REQUESTS = {
  kafka: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "1536Mi" } },
  entityOperator: { requests: { cpu: "25m", memory: "128Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
  postgres: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
  redis: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
} as const;

export const kafkaBootstrap = `${KAFKA_CLUSTER_NAME}-kafka-bootstrap.${PLATFORM_NAMESPACES.kafka}.svc.cluster.local:${KAFKA_TLS_PORT}`;
export const postgresHost = `${POSTGRES_CLUSTER_NAME}-rw.${PLATFORM_NAMESPACES.data}.svc.cluster.local`;
export const redisHost = `${REDIS_NAME}.${PLATFORM_NAMESPACES.data}.svc.cluster.local`;

const labels = (component: string) => standardLabels("trademaster-data", component);

// ---- Kafka (Strimzi) ----------------------------------------------------------------------

/** Kafka cluster and its KRaft node pool. */
/** Secret (kafka namespace) holding the listener certificate chain and key. */
export const KAFKA_LISTENER_TLS_SECRET = "kafka-listener-tls";
/** Secret (kafka namespace) holding the listener's CA certificate, `ca.crt`. */
export const KAFKA_LISTENER_CA_SECRET = "kafka-listener-ca";

/** DNS names clients reach the TLS listener by: the bootstrap service and every broker pod. */
export function kafkaListenerDnsNames(): string[] {
  const ns = PLATFORM_NAMESPACES.kafka;
  return [`${KAFKA_CLUSTER_NAME}-kafka-bootstrap.${ns}.svc`, `*.${KAFKA_CLUSTER_NAME}-kafka-brokers.${ns}.svc`].flatMap((n) => [n, `${n}.cluster.local`]);
}

export function strimziKafkaObjects(config: PlatformConfig): [StrimziKafka, StrimziKafkaNodePool] {
  const k = config.kafka;
  const ns = PLATFORM_NAMESPACES.kafka;
  const kafka: StrimziKafka = {
    apiVersion: STRIMZI_API,
    kind: "Kafka",
    metadata: { name: KAFKA_CLUSTER_NAME, namespace: ns, labels: labels("kafka") },
    spec: {
      kafka: {
        version: k.version,
        // One listener only: TLS with SCRAM; no plaintext listener exists.
        // Its certificate is ours (infra/data/kafka.ts), so its CA can be handed to every client.
        listeners: [
          {
            name: "tls",
            port: KAFKA_TLS_PORT,
            type: "internal",
            tls: true,
            authentication: { type: "scram-sha-512" },
            configuration: { brokerCertChainAndKey: { secretName: KAFKA_LISTENER_TLS_SECRET, certificate: "tls.crt", key: "tls.key" } },
          },
        ],
        authorization: { type: "simple" },
        config: {
          "auto.create.topics.enable": false,
          "default.replication.factor": k.replicationFactor,
          "min.insync.replicas": k.minInsyncReplicas,
          "unclean.leader.election.enable": k.uncleanLeaderElection,
          "offsets.topic.replication.factor": k.replicationFactor,
          "transaction.state.log.replication.factor": k.replicationFactor,
          "transaction.state.log.min.isr": k.minInsyncReplicas,
          "log.retention.hours": k.replayRetentionHours,
        },
      },
      entityOperator: {
        topicOperator: { resources: LOCAL_REQUESTS.entityOperator },
        userOperator: { resources: LOCAL_REQUESTS.entityOperator },
      },
    },
  };
  const pool: StrimziKafkaNodePool = {
    apiVersion: STRIMZI_API,
    kind: "KafkaNodePool",
    metadata: { name: "dual-role", namespace: ns, labels: { ...labels("kafka"), [STRIMZI_CLUSTER_LABEL]: KAFKA_CLUSTER_NAME } },
    spec: {
      replicas: k.brokers,
      // KRaft: the same nodes are controllers and brokers (no ZooKeeper).
      roles: ["controller", "broker"],
      storage: {
        type: "jbod",
        volumes: [{ id: 0, type: "persistent-claim", size: "5Gi", deleteClaim: false, kraftMetadata: "shared" }],
      },
      resources: LOCAL_REQUESTS.kafka,
    },
  };
  return [kafka, pool];
}

/** One KafkaTopic per topic definition. */
export function strimziTopics(topics: TopicDefinition[]): StrimziKafkaTopic[] {
  return topics.map((t) => ({
    apiVersion: STRIMZI_API,
    kind: "KafkaTopic",
    metadata: {
      name: t.name.replace(/[^a-z0-9.-]/g, "-"),
      namespace: PLATFORM_NAMESPACES.kafka,
      labels: { ...labels("kafka-topic"), [STRIMZI_CLUSTER_LABEL]: KAFKA_CLUSTER_NAME },
      annotations: { "trademaster.io/partition-key": t.partitionKey },
    },
    spec: { topicName: t.name, partitions: t.partitions, replicas: t.replicationFactor, config: { ...t.config } },
  }));
}

/** Secret in the kafka namespace holding a user's SCRAM password (the KafkaUser references it). */
export function kafkaPasswordSecretName(service: Pick<ServiceSpec, "name">): string {
  return `${kafkaUserName(service)}-scram`;
}

/** The KafkaUser of a service with exactly its ACLs, and the Secret with its password. */
export function strimziUser(service: ServiceSpec, acls: AclRule[], password: pulumi.Input<string>): [StrimziKafkaUser, KubeObject] {
  const ns = PLATFORM_NAMESPACES.kafka;
  const secretName = kafkaPasswordSecretName(service);
  const user: StrimziKafkaUser = {
    apiVersion: STRIMZI_API,
    kind: "KafkaUser",
    metadata: { name: kafkaUserName(service), namespace: ns, labels: { ...labels("kafka-user"), [STRIMZI_CLUSTER_LABEL]: KAFKA_CLUSTER_NAME } },
    spec: {
      authentication: { type: "scram-sha-512", password: { valueFrom: { secretKeyRef: { name: secretName, key: "password" } } } },
      authorization: {
        type: "simple",
        acls: acls.map((a) => ({
          resource: { type: a.resourceType === "Topic" ? "topic" : "group", name: a.resourceName, patternType: a.patternType === "prefixed" ? "prefix" : "literal" },
          operations: [a.operation],
          host: "*",
          type: "allow",
        })),
      },
    },
  };
  const secret: KubeObject = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: secretName, namespace: ns, labels: labels("kafka-user") },
    type: "Opaque",
    stringData: { password },
  };
  return [user, secret];
}

// ---- Postgres (CloudNativePG) --------------------------------------------------------------

/** PostgreSQL role of a service: its database name with an `_app` suffix. */
export function postgresRoleName(service: ServiceSpec): string {
  const db = service.datastores.postgres?.database;
  if (!db) throw new Error(`service ${service.name} declares no postgres database`);
  return `${db}_app`;
}

/** Max connections of a service's role: its pool size with headroom for a rolling deploy. */
export function roleConnectionLimit(poolSize: number | undefined): number {
  return (poolSize ?? 10) * 2;
}

export function postgresServices(catalog: Catalog): ServiceSpec[] {
  return catalog.services.filter((s) => s.datastores.postgres);
}

function roleSecretName(service: ServiceSpec): string {
  return `pg-${service.name}-role`;
}

/** Cluster, one Database and one role Secret per service that declares a database. */
export function cnpgObjects(config: PlatformConfig, catalog: Catalog, passwords: Record<string, pulumi.Input<string>>, exporterPassword?: pulumi.Input<string>): KubeObject[] {
  const ns = PLATFORM_NAMESPACES.data;
  const services = postgresServices(catalog);
  const cluster: CnpgCluster = {
    apiVersion: CNPG_API,
    kind: "Cluster",
    metadata: { name: POSTGRES_CLUSTER_NAME, namespace: ns, labels: labels("postgres") },
    spec: {
      instances: config.postgres.instances ?? 1,
      imageName: postgresImage(config.postgres.engineVersion),
      // Services use their own roles; nobody gets the superuser.
      enableSuperuserAccess: false,
      storage: { size: `${config.postgres.allocatedStorageGb}Gi` },
      resources: LOCAL_REQUESTS.postgres,
      postgresql: {
        parameters: {
          max_connections: "200",
          shared_buffers: "64MB",
          log_min_duration_statement: "500",
          // Only TLS connections are accepted by CNPG's pg_hba for remote clients; enforce 1.2+.
          ssl_min_protocol_version: "TLSv1.2",
        },
      },
      managed: {
        roles: [
          ...services.map((s): CnpgManagedRole => ({
          name: postgresRoleName(s),
          ensure: "present",
          login: true,
          superuser: false,
          createdb: false,
          createrole: false,
          connectionLimit: roleConnectionLimit(s.datastores.postgres?.poolSize),
          passwordSecret: { name: roleSecretName(s) },
          comment: `role of service ${s.name}`,
          })),
          // The metrics exporter: statistics views only (pg_monitor), no database of its own.
          ...(exporterPassword === undefined
            ? []
            : [{ name: POSTGRES_EXPORTER_ROLE, ensure: "present", login: true, superuser: false, createdb: false, createrole: false, connectionLimit: 3, passwordSecret: { name: POSTGRES_EXPORTER_SECRET }, inRoles: ["pg_monitor"], comment: "metrics exporter" } satisfies CnpgManagedRole]),
        ],
      },
    },
  };
  const objects: KubeObject[] = [cluster];
  for (const s of services) {
    const db: CnpgDatabase = {
      apiVersion: CNPG_API,
      kind: "Database",
      metadata: { name: `${POSTGRES_CLUSTER_NAME}-${s.name}`, namespace: ns, labels: labels("postgres") },
      spec: {
        name: s.datastores.postgres!.database,
        owner: postgresRoleName(s),
        cluster: { name: POSTGRES_CLUSTER_NAME },
        ensure: "present",
        // Removing a service from the catalog must never drop its data.
        databaseReclaimPolicy: "retain",
      },
    };
    objects.push(db);
    const password = passwords[s.name];
    if (password === undefined) throw new Error(`no postgres password for service ${s.name}`);
    objects.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: roleSecretName(s), namespace: ns, labels: { ...labels("postgres"), "cnpg.io/reload": "true" } },
      // CloudNativePG reads role passwords from basic-auth Secrets.
      type: "kubernetes.io/basic-auth",
      stringData: { username: postgresRoleName(s), password },
    });
  }
  if (exporterPassword !== undefined) {
    objects.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: POSTGRES_EXPORTER_SECRET, namespace: ns, labels: { ...labels("postgres"), "cnpg.io/reload": "true" } },
      type: "kubernetes.io/basic-auth",
      stringData: { username: POSTGRES_EXPORTER_ROLE, password: exporterPassword },
    });
  }
  return objects;
}

/** basic-auth Secret (data namespace) CloudNativePG reads the exporter role's password from. */
export const POSTGRES_EXPORTER_SECRET = "pg-metrics-exporter-role";
/** Kept here (not in exporter-access.ts) so the local builders import nothing of it. */
export const POSTGRES_EXPORTER_ROLE = "tm_metrics_exporter";

// ---- Redis (official image) ----------------------------------------------------------------

export interface RedisAclUser {
  name: string;
  /** Key pattern the user may touch, e.g. `auth:session*`. */
  keyPattern: string;
  /** Pub/sub channel pattern the user may publish and subscribe to; absent: no channel at all. */
  channelPattern?: string;
  password: string;
  /** ACL rules replacing the key-pattern data rules (the metrics exporter: stats commands, no keys). */
  rules?: string;
}

/** Redis user name of a service. */
export function redisUserName(service: Pick<ServiceSpec, "name">): string {
  return `svc-${service.name}`;
}

/**
 * The gateway's rate limiter user and its key space. It is Redis' `default` user because the
 * gateway authenticates with a password only (`AUTH <password>`); it may touch only its keys.
 */
export const GATEWAY_REDIS_USER = { name: "default", keyPattern: "ratelimit:*" } as const;

/**
 * Redis ACL rules of a user: its own keys (and its own channels, when it has any), data commands
 * only, no admin or dangerous commands. SCAN and RANDOMKEY are refused too: Redis does not filter
 * them by key pattern, so they would list every service's key names (session ids among them).
 */
export function redisAccessRules(keyPattern: string, channelPattern?: string): string {
  const channels = channelPattern ? `resetchannels &${channelPattern}` : "resetchannels";
  const pubsub = channelPattern ? " +@pubsub" : "";
  return `~${keyPattern} ${channels} -@all +@read +@write +@connection${pubsub} -@dangerous -scan -randomkey`;
}

/**
 * Content of the Redis ACL file (a Secret: it holds passwords): one line per user, each limited
 * to its key pattern. The `default` user must be one of them (the gateway), so no user is left
 * with the image's open default.
 */
export function redisAclFile(users: RedisAclUser[]): string {
  for (const u of users) {
    if (!/^[A-Za-z0-9]{16,128}$/.test(u.password)) throw new Error(`redis user ${u.name}: password must be 16-128 letters or digits`);
  }
  if (!users.some((u) => u.name === "default")) throw new Error("redis ACL: the default user must be defined (and scoped)");
  const lines = [...users]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((u) => `user ${u.name} reset on >${u.password} ${u.rules ?? redisAccessRules(u.keyPattern, u.channelPattern)}`);
  return lines.join("\n") + "\n";
}

export function redisServices(catalog: Catalog): ServiceSpec[] {
  return catalog.services.filter((s) => s.datastores.redis);
}

/** Redis objects: ACL Secret, config, Service, StatefulSet (persistent, append-only). */
export function redisObjects(aclFile: pulumi.Input<string>): KubeObject[] {
  const ns = PLATFORM_NAMESPACES.data;
  const selector = { app: REDIS_NAME };
  const meta = (name: string) => ({ name, namespace: ns, labels: { ...labels("redis"), ...selector } });
  return [
    { apiVersion: "v1", kind: "Secret", metadata: meta(`${REDIS_NAME}-acl`), type: "Opaque", stringData: { "users.acl": aclFile } },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(`${REDIS_NAME}-config`),
      data: {
        "redis.conf": [
          `port ${REDIS_PORT}`,
          "protected-mode yes",
          "aclfile /etc/redis/acl/users.acl",
          "appendonly yes",
          "dir /data",
          `maxmemory ${LOCAL_REDIS_MAXMEMORY_BYTES / 2 ** 20}mb`,
          "maxmemory-policy volatile-lru",
          "",
        ].join("\n"),
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(REDIS_NAME),
      spec: { type: "ClusterIP", selector, ports: [{ name: "tcp-redis", port: REDIS_PORT, targetPort: "redis", protocol: "TCP" }] },
    },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta(REDIS_NAME),
      spec: {
        serviceName: REDIS_NAME,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels("redis"), ...selector } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: REDIS_UID,
              runAsGroup: REDIS_UID,
              fsGroup: REDIS_UID,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
              {
                name: "redis",
                image: REDIS_IMAGE,
                command: ["redis-server", "/etc/redis/conf/redis.conf"],
                ports: [{ name: "redis", containerPort: REDIS_PORT, protocol: "TCP" }],
                resources: LOCAL_REQUESTS.redis,
                readinessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 10, failureThreshold: 3 },
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: REDIS_UID,
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                  seccompProfile: { type: "RuntimeDefault" },
                },
                volumeMounts: [
                  { name: "data", mountPath: "/data" },
                  { name: "conf", mountPath: "/etc/redis/conf", readOnly: true },
                  { name: "acl", mountPath: "/etc/redis/acl", readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: "conf", configMap: { name: `${REDIS_NAME}-config` } },
              { name: "acl", secret: { secretName: `${REDIS_NAME}-acl`, defaultMode: 0o400 } },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "data" },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
          },
        ],
      },
    },
  ];
}

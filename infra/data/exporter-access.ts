/**
 * Least-privilege identities of the metrics exporters and the targets they scrape (pure).
 * Each exporter reads metadata and statistics only, never data:
 * - Kafka: `Describe` on every topic and group and on the cluster (metadata, offsets, lag); no
 *   Read, so it cannot consume a single record;
 * - Redis: `INFO`, `PING`, `CLIENT LIST`, `SLOWLOG GET|LEN`, `LATENCY LATEST`; no key pattern, so
 *   no key is readable; nothing ElastiCache disables (no CONFIG);
 * - Postgres: a LOGIN role in `pg_monitor` (statistics views), no database of its own.
 * Passwords come from `@pulumi/random` and only ever land in Secrets.
 */
import type * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import { standardLabels, type KubeObject } from "../kube/object";
import { STRIMZI_API, STRIMZI_CLUSTER_LABEL, type StrimziKafkaUser } from "./crds";
import { KAFKA_CLUSTER_NAME, POSTGRES_EXPORTER_ROLE } from "./local";

export const KAFKA_EXPORTER_USER = "tm-kafka-exporter";
export const REDIS_EXPORTER_USER = "tm-redis-exporter";
export { POSTGRES_EXPORTER_ROLE };

/** Redis ACL rules of the exporter (local ACL file and ElastiCache access string alike). */
export const REDIS_EXPORTER_RULES = "resetchannels -@all +ping +info +client|list +slowlog|get +slowlog|len +latency|latest";

export interface KafkaExporterAcl {
  resourceType: "Topic" | "Group" | "Cluster";
  /** `*` (literal) matches every resource of the type in Kafka's ACL model. */
  resourceName: string;
  operation: "Describe";
}

/** Describe-only: what kafka_exporter needs for topic offsets and consumer-group lag. */
export function kafkaExporterAcls(): KafkaExporterAcl[] {
  return [
    { resourceType: "Cluster", resourceName: "kafka-cluster", operation: "Describe" },
    { resourceType: "Group", resourceName: "*", operation: "Describe" },
    { resourceType: "Topic", resourceName: "*", operation: "Describe" },
  ];
}

/** Secret (kafka namespace) with the exporter's SCRAM credentials: Strimzi and the exporter read it. */
export const KAFKA_EXPORTER_SECRET = "kafka-exporter-scram";

/** Local: the exporter's KafkaUser (Describe-only ACLs) and the Secret holding its password. */
export function strimziExporterUser(password: pulumi.Input<string>): [StrimziKafkaUser, KubeObject] {
  const ns = PLATFORM_NAMESPACES.kafka;
  const labels = standardLabels("trademaster-data", "kafka-user");
  const user: StrimziKafkaUser = {
    apiVersion: STRIMZI_API,
    kind: "KafkaUser",
    metadata: { name: KAFKA_EXPORTER_USER, namespace: ns, labels: { ...labels, [STRIMZI_CLUSTER_LABEL]: KAFKA_CLUSTER_NAME } },
    spec: {
      authentication: { type: "scram-sha-512", password: { valueFrom: { secretKeyRef: { name: KAFKA_EXPORTER_SECRET, key: "password" } } } },
      authorization: {
        type: "simple",
        acls: kafkaExporterAcls().map((a) => ({
          resource: a.resourceType === "Cluster" ? { type: "cluster" as const } : { type: a.resourceType === "Topic" ? ("topic" as const) : ("group" as const), name: a.resourceName, patternType: "literal" as const },
          operations: [a.operation],
          host: "*",
          type: "allow" as const,
        })),
      },
    },
  };
  const secret: KubeObject = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: KAFKA_EXPORTER_SECRET, namespace: ns, labels },
    type: "Opaque",
    stringData: { username: KAFKA_EXPORTER_USER, password },
  };
  return [user, secret];
}

/** Idempotent SQL: the exporter's role, statistics only (`pg_monitor`). Holds a password: Secret only. */
export function postgresExporterSql(password: string): string {
  if (!/^[A-Za-z0-9]{16,}$/.test(password)) throw new Error(`password of ${POSTGRES_EXPORTER_ROLE} must be 16+ letters or digits`);
  const r = POSTGRES_EXPORTER_ROLE;
  return [
    `SELECT 'CREATE ROLE ${r} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${r}')\\gexec`,
    `ALTER ROLE ${r} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE CONNECTION LIMIT 3 PASSWORD '${password}';`,
    `GRANT pg_monitor TO ${r};`,
    // Its statistics live in the maintenance database, closed to PUBLIC by infra/data/sql.ts.
    `GRANT CONNECT ON DATABASE postgres TO ${r};`,
    "",
  ].join("\n");
}

/** Where and how each exporter reaches its store; passwords are Pulumi secrets. */
export interface ExporterTargets {
  kafka: {
    bootstrapServers: pulumi.Input<string>;
    user: string;
    password: pulumi.Input<string>;
    /** Local: Strimzi's cluster CA Secret (kafka namespace) to verify the brokers; AWS: public CA. */
    caSecret?: string;
  };
  redis: { host: pulumi.Input<string>; port: number; tls: boolean; user: string; password: pulumi.Input<string> };
  postgres: { host: pulumi.Input<string>; port: number; sslMode: "require" | "verify-full"; user: string; password: pulumi.Input<string> };
}

/**
 * Typed custom resources of this capability (Strimzi `kafka.strimzi.io/v1`, CloudNativePG
 * `postgresql.cnpg.io/v1`): the types cover the fields we write, so the builders are checked by
 * the compiler. The objects themselves are validated by the plan against the CRDs of the pinned
 * Strimzi 1.0.0 and CloudNativePG chart 0.29.0 releases (schema and CEL rules).
 */

export const STRIMZI_API = "kafka.strimzi.io/v1";
export const CNPG_API = "postgresql.cnpg.io/v1";
/** Label that binds node pools, topics and users to their Kafka cluster. */
export const STRIMZI_CLUSTER_LABEL = "strimzi.io/cluster";

export interface ResourceRequirements {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface StrimziListener {
  name: string;
  port: number;
  type: "internal" | "cluster-ip" | "route" | "loadbalancer" | "nodeport" | "ingress";
  tls: boolean;
  authentication?: { type: "tls" | "scram-sha-512" | "custom" };
  /** Our own listener certificate (its CA is handed to clients), instead of Strimzi's cluster CA. */
  configuration?: { brokerCertChainAndKey?: { secretName: string; certificate: string; key: string } };
}

// The object types are type aliases, not interfaces: an alias is assignable to KubeObject (whose
// index signature an interface cannot meet), so they are declared without casts.
export type StrimziKafka = {
  apiVersion: typeof STRIMZI_API;
  kind: "Kafka";
  metadata: Meta;
  spec: {
    kafka: {
      version?: string;
      listeners: StrimziListener[];
      authorization?: { type: "simple"; superUsers?: string[] };
      config?: Record<string, string | number | boolean>;
    };
    entityOperator?: {
      topicOperator?: { resources?: ResourceRequirements };
      userOperator?: { resources?: ResourceRequirements };
    };
  };
};

export type StrimziKafkaNodePool = {
  apiVersion: typeof STRIMZI_API;
  kind: "KafkaNodePool";
  metadata: Meta;
  spec: {
    replicas: number;
    roles: Array<"controller" | "broker">;
    storage: {
      type: "jbod";
      volumes: Array<{ id: number; type: "persistent-claim"; size: string; deleteClaim: boolean; kraftMetadata?: "shared" }>;
    };
    resources?: ResourceRequirements;
  };
};

export type StrimziKafkaTopic = {
  apiVersion: typeof STRIMZI_API;
  kind: "KafkaTopic";
  metadata: Meta;
  spec: { topicName?: string; partitions: number; replicas: number; config?: Record<string, string | number | boolean> };
};

export type StrimziAclOperation = "Read" | "Write" | "Create" | "Delete" | "Alter" | "Describe" | "ClusterAction" | "AlterConfigs" | "DescribeConfigs" | "IdempotentWrite" | "All";

export type StrimziKafkaUser = {
  apiVersion: typeof STRIMZI_API;
  kind: "KafkaUser";
  metadata: Meta;
  spec: {
    authentication: {
      type: "scram-sha-512" | "tls";
      password?: { valueFrom: { secretKeyRef: { name: string; key: string } } };
    };
    authorization: {
      type: "simple";
      acls: Array<{
        resource: { type: "topic" | "group" | "cluster" | "transactionalId"; name?: string; patternType?: "literal" | "prefix" };
        operations: StrimziAclOperation[];
        host?: string;
        type?: "allow" | "deny";
      }>;
    };
  };
};

export interface CnpgManagedRole {
  name: string;
  ensure: "present" | "absent";
  login: boolean;
  superuser?: boolean;
  createdb?: boolean;
  createrole?: boolean;
  connectionLimit?: number;
  passwordSecret?: { name: string };
  /** Roles it is a member of (the metrics exporter: `pg_monitor`). */
  inRoles?: string[];
  comment?: string;
}

export type CnpgCluster = {
  apiVersion: typeof CNPG_API;
  kind: "Cluster";
  metadata: Meta;
  spec: {
    instances: number;
    imageName?: string;
    enableSuperuserAccess?: boolean;
    storage: { size: string; storageClass?: string };
    resources?: ResourceRequirements;
    postgresql?: { parameters?: Record<string, string> };
    managed?: { roles?: CnpgManagedRole[] };
    monitoring?: { enablePodMonitor?: boolean };
  };
};

export type CnpgDatabase = {
  apiVersion: typeof CNPG_API;
  kind: "Database";
  metadata: Meta;
  spec: { name: string; owner: string; cluster: { name: string }; ensure?: "present" | "absent"; databaseReclaimPolicy?: "retain" | "delete" };
};

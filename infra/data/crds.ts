/**
 * Typed CRDs of this capability without an npm schema package (Strimzi `kafka.strimzi.io/v1`,
 * CloudNativePG `postgresql.cnpg.io/v1`), and their validators. The types cover the fields we
 * write; the validators refuse unknown keys (usually typos), wrong enums and bad quantities, so a
 * mistake shows in the offline plan instead of as a rejected apply. Field names follow the
 * Strimzi 1.0 and CloudNativePG 1.30 API references.
 */
import { crdValidator, type CrdValidators } from "../kube/crd-validator";
import {
  bool,
  CPU_QUANTITY,
  int,
  list,
  MEMORY_QUANTITY,
  obj,
  oneOf,
  optional,
  record,
  str,
  type Check,
  type Issue,
} from "../validation/schema";

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

// ---- validators ---------------------------------------------------------------------------

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SECRET_REF_NAME = DNS_SUBDOMAIN;

const scalar: Check<string | number | boolean> = (v, path, issues) => {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  issues.push({ path, expected: "a string, number or boolean", found: typeof v });
  return undefined;
};

const resources = obj({
  requests: optional(obj({ cpu: optional(str({ pattern: CPU_QUANTITY, patternName: "a CPU quantity" })), memory: optional(str({ pattern: MEMORY_QUANTITY, patternName: "a memory quantity" })) })),
  limits: optional(obj({ cpu: optional(str({ pattern: CPU_QUANTITY, patternName: "a CPU quantity" })), memory: optional(str({ pattern: MEMORY_QUANTITY, patternName: "a memory quantity" })) })),
});

const metadata = (requireClusterLabel: boolean) =>
  obj({
    name: str({ pattern: DNS_SUBDOMAIN, patternName: "a DNS subdomain name" }),
    namespace: optional(str({ pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, patternName: "a namespace name" })),
    labels: requireClusterLabel
      ? ((v, path, issues) => {
          const r = record(str())(v, path, issues);
          if (r && !r[STRIMZI_CLUSTER_LABEL]) {
            issues.push({ path, expected: `the label ${STRIMZI_CLUSTER_LABEL} naming the Kafka cluster`, found: "no such label" });
            return undefined;
          }
          return r;
        }) as Check<Record<string, string>>
      : optional(record(str())),
    annotations: optional(record(str())),
  });

const listener = obj({
  name: str({ pattern: /^[a-z0-9]{1,11}$/, patternName: "a listener name of up to 11 lowercase letters or digits" }),
  // 9404 (metrics) and 9999 (JMX) are reserved by Strimzi; client listeners start at 9092.
  port: ((v, path, issues) => {
    const n = int({ min: 9092, max: 65535 })(v, path, issues);
    if (n === 9404 || n === 9999) {
      issues.push({ path, expected: "a port other than 9404 and 9999 (reserved by Strimzi)", found: String(n) });
      return undefined;
    }
    return n;
  }) as Check<number>,
  type: oneOf(["internal", "cluster-ip", "route", "loadbalancer", "nodeport", "ingress"] as const),
  tls: bool,
  authentication: optional(obj({ type: oneOf(["tls", "scram-sha-512", "custom"] as const) })),
  configuration: optional(
    obj({
      brokerCertChainAndKey: optional(obj({ secretName: str({ minLength: 1 }), certificate: str({ minLength: 1 }), key: str({ minLength: 1 }) })),
    }),
  ),
});

const kafkaCheck = obj({
  apiVersion: oneOf([STRIMZI_API] as const),
  kind: oneOf(["Kafka"] as const),
  metadata: metadata(false),
  spec: obj({
    kafka: obj({
      version: optional(str({ pattern: /^\d+\.\d+\.\d+$/, patternName: "a Kafka version like 4.1.0" })),
      listeners: list(listener, { minItems: 1 }),
      authorization: optional(obj({ type: oneOf(["simple"] as const), superUsers: optional(list(str())) })),
      config: optional(record(scalar)),
    }),
    entityOperator: optional(
      obj({
        topicOperator: optional(obj({ resources: optional(resources) })),
        userOperator: optional(obj({ resources: optional(resources) })),
      }),
    ),
  }),
});

const nodePoolCheck = obj({
  apiVersion: oneOf([STRIMZI_API] as const),
  kind: oneOf(["KafkaNodePool"] as const),
  metadata: metadata(true),
  spec: obj({
    replicas: int({ min: 1 }),
    roles: list(oneOf(["controller", "broker"] as const), { minItems: 1 }),
    storage: obj({
      type: oneOf(["jbod"] as const),
      volumes: list(
        obj({
          id: int({ min: 0 }),
          type: oneOf(["persistent-claim"] as const),
          size: str({ pattern: MEMORY_QUANTITY, patternName: "a size like 10Gi" }),
          deleteClaim: bool,
          kraftMetadata: optional(oneOf(["shared"] as const)),
        }),
        { minItems: 1 },
      ),
    }),
    resources: optional(resources),
  }),
});

const topicCheck = obj({
  apiVersion: oneOf([STRIMZI_API] as const),
  kind: oneOf(["KafkaTopic"] as const),
  metadata: metadata(true),
  spec: obj({
    topicName: optional(str({ pattern: /^[a-zA-Z0-9._-]{1,249}$/, patternName: "a Kafka topic name" })),
    partitions: int({ min: 1 }),
    replicas: int({ min: 1, max: 32767 }),
    config: optional(record(scalar)),
  }),
});

const ACL_OPERATIONS = ["Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "AlterConfigs", "DescribeConfigs", "IdempotentWrite", "All"] as const;

const userCheck = obj({
  apiVersion: oneOf([STRIMZI_API] as const),
  kind: oneOf(["KafkaUser"] as const),
  metadata: metadata(true),
  spec: obj({
    authentication: obj({
      type: oneOf(["scram-sha-512", "tls"] as const),
      password: optional(obj({ valueFrom: obj({ secretKeyRef: obj({ name: str({ pattern: SECRET_REF_NAME, patternName: "a Secret name" }), key: str({ minLength: 1 }) }) }) })),
    }),
    authorization: obj({
      type: oneOf(["simple"] as const),
      acls: list(
        obj({
          resource: obj({
            type: oneOf(["topic", "group", "cluster", "transactionalId"] as const),
            name: optional(str({ minLength: 1 })),
            patternType: optional(oneOf(["literal", "prefix"] as const)),
          }),
          // Strimzi 1.0 removed the singular `operation`: only `operations` is accepted.
          operations: list(oneOf(ACL_OPERATIONS), { minItems: 1 }),
          host: optional(str({ minLength: 1 })),
          type: optional(oneOf(["allow", "deny"] as const)),
        }),
      ),
    }),
  }),
});

const clusterCheck = obj({
  apiVersion: oneOf([CNPG_API] as const),
  kind: oneOf(["Cluster"] as const),
  metadata: metadata(false),
  spec: obj({
    instances: int({ min: 1 }),
    imageName: optional(str({ pattern: /^[a-z0-9.\-/]+:[A-Za-z0-9._-]+$/, patternName: "an image with a pinned tag" })),
    enableSuperuserAccess: optional(bool),
    storage: obj({ size: str({ pattern: MEMORY_QUANTITY, patternName: "a size like 5Gi" }), storageClass: optional(str({ minLength: 1 })) }),
    resources: optional(resources),
    postgresql: optional(obj({ parameters: optional(record(str())) })),
    managed: optional(
      obj({
        roles: optional(
          list(
            obj({
              name: str({ pattern: /^[a-z_][a-z0-9_]{0,62}$/, patternName: "a PostgreSQL role name" }),
              ensure: oneOf(["present", "absent"] as const),
              login: bool,
              superuser: optional(bool),
              createdb: optional(bool),
              createrole: optional(bool),
              connectionLimit: optional(int({ min: -1 })),
              passwordSecret: optional(obj({ name: str({ pattern: SECRET_REF_NAME, patternName: "a Secret name" }) })),
              inRoles: optional(list(str({ pattern: /^[a-z_][a-z0-9_]{0,62}$/, patternName: "a PostgreSQL role name" }))),
              comment: optional(str()),
            }),
          ),
        ),
      }),
    ),
    monitoring: optional(obj({ enablePodMonitor: optional(bool) })),
  }),
});

const databaseCheck = obj({
  apiVersion: oneOf([CNPG_API] as const),
  kind: oneOf(["Database"] as const),
  metadata: metadata(false),
  spec: obj({
    name: str({ pattern: /^[a-z_][a-z0-9_]{0,62}$/, patternName: "a PostgreSQL database name" }),
    owner: str({ pattern: /^[a-z_][a-z0-9_]{0,62}$/, patternName: "a PostgreSQL role name" }),
    cluster: obj({ name: str({ pattern: DNS_SUBDOMAIN, patternName: "a Cluster name" }) }),
    ensure: optional(oneOf(["present", "absent"] as const)),
    databaseReclaimPolicy: optional(oneOf(["retain", "delete"] as const)),
  }),
});

/** A node pool must be able to hold the KRaft metadata log when it is a controller. */
function nodePoolRules(o: Record<string, unknown>, issues: Issue[]): void {
  const spec = o.spec as StrimziKafkaNodePool["spec"];
  if (spec.roles.includes("controller") && !spec.storage.volumes.some((v) => v.kraftMetadata === "shared")) {
    issues.push({ path: "spec.storage.volumes", expected: "one volume with kraftMetadata: shared on a controller pool", found: "none" });
  }
}

/** Validators by `apiVersion/kind`, used by the plan's schema check. */
export const DATA_CRD_VALIDATORS: CrdValidators = {
  [`${STRIMZI_API}/Kafka`]: crdValidator(kafkaCheck),
  [`${STRIMZI_API}/KafkaNodePool`]: crdValidator(nodePoolCheck, nodePoolRules),
  [`${STRIMZI_API}/KafkaTopic`]: crdValidator(topicCheck),
  [`${STRIMZI_API}/KafkaUser`]: crdValidator(userCheck),
  [`${CNPG_API}/Cluster`]: crdValidator(clusterCheck),
  [`${CNPG_API}/Database`]: crdValidator(databaseCheck),
};

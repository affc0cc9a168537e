/**
 * Kafka topics and ACLs derived from the catalog. Pure: the same definitions feed the Strimzi
 * KafkaTopic/KafkaUser objects (local) and the `@pulumi/kafka` Topic/Acl resources (AWS).
 *
 * Topics: every catalog topic plus one dead-letter topic per consuming service (its consumer
 * group). ACLs are least privilege: a service writes only the topics it produces, reads only the
 * topics it consumes, reads offsets only of its own group, and owns only its own dead-letter topic.
 */
import type { Catalog, ServiceSpec, TopicSpec } from "../catalog/schema";
import { broadcastGroupPrefix, consumerGroupId, deadLetterTopicName, kafkaUserName, topicsByName } from "../catalog/derive";
import type { PlatformConfig } from "../config/schema";

type KafkaConfig = PlatformConfig["kafka"];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Partitions of a dead-letter topic: failures are rare, a few partitions keep per-key order. */
export const DEAD_LETTER_PARTITIONS = 3;
/** Dead letters stay at least this long so an operator can inspect and replay them. */
export const DEAD_LETTER_MIN_RETENTION_DAYS = 14;

export interface TopicDefinition {
  /** Kafka topic name. */
  name: string;
  /** `event` for catalog topics, `dead-letter` for derived per-group DLQs. */
  kind: "event" | "dead-letter";
  partitions: number;
  replicationFactor: number;
  /** Broker-side topic configuration (string values as Kafka expects them). */
  config: Record<string, string>;
  /** Record key that orders events (catalog `partitionKey`; DLQs keep the original key). */
  partitionKey: string;
  /** Service owning a dead-letter topic. */
  owner?: string;
}

/** Retention of a catalog topic in milliseconds: replay window or audit period from the stack config. */
export function retentionMs(topic: Pick<TopicSpec, "retention">, kafka: KafkaConfig): number {
  return topic.retention === "audit" ? kafka.auditRetentionDays * DAY_MS : kafka.replayRetentionHours * HOUR_MS;
}

function baseConfig(kafka: KafkaConfig): Record<string, string> {
  return {
    "min.insync.replicas": String(kafka.minInsyncReplicas),
    "unclean.leader.election.enable": String(kafka.uncleanLeaderElection),
  };
}

/** Services that consume at least one topic (each gets a consumer group and a dead-letter topic). */
export function consumers(catalog: Catalog): ServiceSpec[] {
  return catalog.services.filter((s) => s.consumes.length > 0);
}

/** Every topic of the platform, sorted by name. */
export function topicDefinitions(catalog: Catalog, kafka: KafkaConfig): TopicDefinition[] {
  const events: TopicDefinition[] = catalog.topics.map((t) => ({
    name: t.topicName,
    kind: "event",
    partitions: t.partitions,
    replicationFactor: kafka.replicationFactor,
    partitionKey: t.partitionKey,
    config: {
      ...baseConfig(kafka),
      "cleanup.policy": t.compacted ? "compact" : "delete",
      "retention.ms": String(retentionMs(t, kafka)),
    },
  }));
  const dlqRetention = Math.max(kafka.replayRetentionHours * HOUR_MS, DEAD_LETTER_MIN_RETENTION_DAYS * DAY_MS);
  const deadLetters: TopicDefinition[] = consumers(catalog).map((s) => ({
    name: deadLetterTopicName(s),
    kind: "dead-letter",
    partitions: DEAD_LETTER_PARTITIONS,
    replicationFactor: kafka.replicationFactor,
    partitionKey: "originalKey",
    owner: s.name,
    config: { ...baseConfig(kafka), "cleanup.policy": "delete", "retention.ms": String(dlqRetention) },
  }));
  return [...events, ...deadLetters].sort((a, b) => a.name.localeCompare(b.name));
}

export type AclResourceType = "Topic" | "Group";
export type AclOperation = "Read" | "Write" | "Describe";

/** One allow rule for one principal on one resource (a literal name, or a name prefix). */
export interface AclRule {
  /** Kafka user name (principal `User:<user>`). */
  user: string;
  service: string;
  resourceType: AclResourceType;
  resourceName: string;
  operation: AclOperation;
  /** `prefixed` only for a service's own per-pod group prefix (broadcast topics). */
  patternType: "literal" | "prefixed";
}

/** Stable identity of a rule, used for names and set comparisons (literal rules keep their old key). */
export function aclKey(rule: AclRule): string {
  const base = `${rule.user}|${rule.resourceType}|${rule.resourceName}|${rule.operation}`;
  return rule.patternType === "prefixed" ? `${base}|prefixed` : base;
}

/** Services that talk to Kafka at all (produce or consume): only they get a Kafka user. */
export function kafkaClients(catalog: Catalog): ServiceSpec[] {
  return catalog.services.filter((s) => s.produces.length > 0 || s.consumes.length > 0);
}

/** The ACLs of one service; throws on a topic reference the catalog does not define. */
export function serviceAcls(catalog: Catalog, service: ServiceSpec): AclRule[] {
  const topics = topicsByName(catalog);
  const user = kafkaUserName(service);
  const topicName = (ref: string): string => {
    const t = topics.get(ref);
    if (!t) throw new Error(`catalog: service ${service.name} references unknown topic "${ref}"`);
    return t.topicName;
  };
  const rules: AclRule[] = [];
  const add = (resourceType: AclResourceType, resourceName: string, ops: AclOperation[], patternType: AclRule["patternType"] = "literal") => {
    for (const operation of ops) rules.push({ user, service: service.name, resourceType, resourceName, operation, patternType });
  };
  for (const ref of service.produces) add("Topic", topicName(ref), ["Write", "Describe"]);
  for (const ref of service.consumes) add("Topic", topicName(ref), ["Read", "Describe"]);
  if (service.consumes.length > 0) {
    add("Group", consumerGroupId(service), ["Read", "Describe"]);
    // Its own dead-letter topic: park failed records and replay them later.
    add("Topic", deadLetterTopicName(service), ["Write", "Read", "Describe"]);
  }
  // One group per pod for broadcast topics: a prefix under the service's own group name. Service
  // names are DNS labels (no dots), so `tm.<service>.pod.` can match no other service's group.
  if (service.broadcast.length > 0) add("Group", broadcastGroupPrefix(service), ["Read", "Describe"], "prefixed");
  const seen = new Set<string>();
  return rules
    .filter((r) => (seen.has(aclKey(r)) ? false : (seen.add(aclKey(r)), true)))
    .sort((a, b) => aclKey(a).localeCompare(aclKey(b)));
}

/** All ACLs of the platform, sorted. */
export function platformAcls(catalog: Catalog): AclRule[] {
  return kafkaClients(catalog)
    .flatMap((s) => serviceAcls(catalog, s))
    .sort((a, b) => aclKey(a).localeCompare(aclKey(b)));
}

/** Names and relations derived from the catalog, shared by every component that needs them. */
import type { Catalog, ServiceSpec, TopicSpec } from "./schema";

/** Kafka consumer group of a service: one group per service, so ACLs can be scoped to it. */
export function consumerGroupId(service: Pick<ServiceSpec, "name">): string {
  return `tm.${service.name}`;
}

/** Prefix of the per-pod consumer groups of a service's broadcast topics (`tm.<service>.pod.<pod>`). */
export function broadcastGroupPrefix(service: Pick<ServiceSpec, "name">): string {
  return `${consumerGroupId(service)}.pod.`;
}

/** Topics a service consumes through its shared group (broadcast topics excluded). */
export function sharedConsumes(service: Pick<ServiceSpec, "consumes" | "broadcast">): string[] {
  return service.consumes.filter((t) => !service.broadcast.includes(t));
}

/** Dead-letter topic of a consumer group (only services that consume get one). */
export function deadLetterTopicName(service: Pick<ServiceSpec, "name">): string {
  return `dlq.${service.name}.v1`;
}

/** Kafka principal/user name of a service. */
export function kafkaUserName(service: Pick<ServiceSpec, "name">): string {
  return `svc-${service.name}`;
}

export function topicsByName(catalog: Catalog): Map<string, TopicSpec> {
  return new Map(catalog.topics.map((t) => [t.name, t]));
}

/** Services that call `service` (reverse call graph). */
export function callersOf(catalog: Catalog, service: string): ServiceSpec[] {
  return catalog.services.filter((s) => s.calls.includes(service));
}

/** Every call edge `from -> to` of the catalog, sorted. */
export function callEdges(catalog: Catalog): Array<{ from: string; to: string }> {
  return catalog.services
    .flatMap((s) => s.calls.map((to) => ({ from: s.name, to })))
    .sort((a, b) => `${a.from}>${a.to}`.localeCompare(`${b.from}>${b.to}`));
}

/** In-cluster DNS name of a service. */
export function serviceHost(service: Pick<ServiceSpec, "name" | "namespace">): string {
  return `${service.name}.${service.namespace}.svc.cluster.local`;
}

/** Kubernetes service account (and so SPIFFE identity) of a service. */
export function serviceAccountName(service: Pick<ServiceSpec, "name">): string {
  return service.name;
}

/** Istio principal of a service: cluster.local/ns/<ns>/sa/<sa>. */
export function meshPrincipal(service: Pick<ServiceSpec, "name" | "namespace">): string {
  return `cluster.local/ns/${service.namespace}/sa/${serviceAccountName(service)}`;
}

/** Latency SLO thresholds (ms) of the catalog: the mesh must export a histogram bucket at each. */
export function latencySloThresholdsMs(catalog: Catalog): number[] {
  return [...new Set(catalog.services.flatMap((s) => (s.slo ? [s.slo.latency.thresholdMs] : [])))].sort((a, b) => a - b);
}

/** Exposed routes of a service (reachable through the gateway). */
export function exposedRoutes(service: ServiceSpec): ServiceSpec["routes"] {
  return service.routes.filter((r) => r.exposed);
}

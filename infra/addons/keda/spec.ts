/**
 * Lag-based autoscaling of the catalog's Kafka consumers (pure): a KEDA ScaledObject per
 * consuming service, in place of its CPU-only HPA (KEDA creates and owns the HPA; its admission
 * webhook refuses a second HPA on the same Deployment), with two triggers:
 * - kafka: the service's own consumer group, target lag per replica = a quarter of the catalog's
 *   `slo.maxConsumerLag`, so capacity arrives before the lag SLO is at risk; replicas never
 *   exceed the partitions (`allowIdleConsumers: false`; the catalog validates partitions >=
 *   maxReplicas);
 * - cpu: 70 % utilization, as the HPA it replaces.
 * The scaler authenticates as the service itself (its SCRAM user can Describe its group and
 * topics): a TriggerAuthentication maps the service's Secret, no new Kafka principal or ACL.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceSpec } from "../../catalog/schema";
import { consumerGroupId, kafkaUserName } from "../../catalog/derive";
import type { PlatformConfig } from "../../config/schema";
import { standardLabels, type KubeObject } from "../../kube/object";

export const KEDA_API = "keda.sh/v1alpha1";
/** Target CPU utilization (same as the services' HPAs). */
export const CPU_TARGET_PERCENT = 70;
/** Lag target when the catalog gives no bound (messages per replica). */
export const DEFAULT_LAG_PER_REPLICA = 1000;
/** Share of the lag SLO at which another replica is asked for. */
export const LAG_TARGET_SHARE_OF_SLO = 0.25;
/** How often KEDA reads the lag (s): a burst is seen within one scrape interval. */
export const POLLING_INTERVAL_SECONDS = 15;

/** Target lag per replica of a consumer. */
export function lagPerReplica(service: Pick<ServiceSpec, "slo">): number {
  const bound = service.slo?.maxConsumerLag;
  return bound === undefined ? DEFAULT_LAG_PER_REPLICA : Math.max(1, Math.floor(bound * LAG_TARGET_SHARE_OF_SLO));
}

/** Scaling behaviour shared with the HPAs: up fast for the market open, down slowly. */
export const SCALING_BEHAVIOR = {
  scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Percent", value: 100, periodSeconds: 30 }] },
  scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
} as const;

export interface ScalerInputs {
  service: ServiceSpec;
  config: PlatformConfig;
  /** Kafka bootstrap servers of the service's connection. */
  bootstrapServers: pulumi.Input<string>;
  /** Secret holding the service's Kafka password (key KAFKA_SASL_PASSWORD). */
  credentialsSecret: string;
  /** The brokers' CA when it is not a public one (local), public data. */
  caCertificatePem?: pulumi.Input<string>;
}

export function scalerSecretName(service: Pick<ServiceSpec, "name">): string {
  return `${service.name}-kafka-scaler`;
}

/** ScaledObject + TriggerAuthentication + the scaler's non-secret settings Secret of one consumer. */
export function consumerScalingObjects(inputs: ScalerInputs): KubeObject[] {
  const { service, config } = inputs;
  const sizing = service.environments[config.environment];
  const ns = service.namespace;
  const labels = standardLabels(service.name, "autoscaling");
  const auth = `${service.name}-kafka`;
  const settings = scalerSecretName(service);
  return [
    {
      // KEDA reads authentication parameters from Secrets only; these four are not secret.
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: settings, namespace: ns, labels },
      type: "Opaque",
      stringData: {
        sasl: "scram_sha512",
        username: kafkaUserName(service),
        tls: "enable",
        ...(inputs.caCertificatePem !== undefined ? { ca: inputs.caCertificatePem } : {}),
      },
    },
    {
      apiVersion: KEDA_API,
      kind: "TriggerAuthentication",
      metadata: { name: auth, namespace: ns, labels },
      spec: {
        secretTargetRef: [
          { parameter: "sasl", name: settings, key: "sasl" },
          { parameter: "username", name: settings, key: "username" },
          { parameter: "tls", name: settings, key: "tls" },
          ...(inputs.caCertificatePem !== undefined ? [{ parameter: "ca", name: settings, key: "ca" }] : []),
          { parameter: "password", name: inputs.credentialsSecret, key: "KAFKA_SASL_PASSWORD" },
        ],
      },
    },
    {
      apiVersion: KEDA_API,
      kind: "ScaledObject",
      metadata: { name: service.name, namespace: ns, labels },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: service.name },
        minReplicaCount: sizing.replicas,
        maxReplicaCount: sizing.maxReplicas,
        pollingInterval: POLLING_INTERVAL_SECONDS,
        cooldownPeriod: 300,
        advanced: { horizontalPodAutoscalerConfig: { name: service.name, behavior: structuredClone(SCALING_BEHAVIOR) } },
        triggers: [
          { type: "cpu", metricType: "Utilization", metadata: { value: String(CPU_TARGET_PERCENT) } },
          {
            type: "kafka",
            metadata: {
              bootstrapServers: inputs.bootstrapServers,
              consumerGroup: consumerGroupId(service),
              lagThreshold: String(lagPerReplica(service)),
              offsetResetPolicy: "earliest",
              allowIdleConsumers: "false",
            },
            authenticationRef: { name: auth },
          },
        ],
      },
    },
  ];
}

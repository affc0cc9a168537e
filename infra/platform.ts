/**
 * The whole platform for one stack, from the validated config and catalog. Shared by the Pulumi
 * entry point (index.ts) and the offline plan, so both evaluate exactly the same program.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ClusterAddons } from "./addons";
import { EventAutoscaler } from "./addons/keda";
import { AwsFoundation } from "./aws";
import { DeployRunner } from "./aws/deploy-runner";
import { ClusterBase } from "./cluster";
import type { ClusterTarget, PlatformContext, ServiceConnection } from "./contracts";
import { DataStores } from "./data";
import { AwsEdge } from "./edge";
import { ApiGateway } from "./gateway";
import { TokenSigning } from "./identity";
import { ServiceMesh } from "./mesh";
import { Observability } from "./observability";
import { ServiceWorkload } from "./workloads";

export interface PlatformOutputs {
  environment: string;
  services: string[];
  namespaces: string[];
}

/** The token issuer's connection plus its signing key (secret) and issuer (config). */
function withSigningKey(connection: ServiceConnection, signing: TokenSigning): ServiceConnection {
  return {
    config: { ...connection.config, JWT_ISSUER: signing.issuer },
    secrets: signing.privateKeyPem ? { ...connection.secrets, JWT_SIGNING_KEY_PEM: signing.privateKeyPem } : connection.secrets,
  };
}

/** Declares every component of the platform. Config and catalog must already be validated. */
export function definePlatform(ctx: PlatformContext): PlatformOutputs {
  const { config, catalog } = ctx;
  let foundation: AwsFoundation | undefined;
  let target: ClusterTarget;
  if (config.aws) {
    foundation = new AwsFoundation("aws", { ...ctx, aws: config.aws });
    target = foundation.clusterTarget;
  } else {
    const provider = new k8s.Provider("local", {
      ...(config.kubernetes.context ? { context: config.kubernetes.context } : {}),
      enableServerSideApply: true,
    });
    target = { provider, zones: [], imageRepositories: {} };
  }
  const onCluster: pulumi.ComponentResourceOptions = { providers: [target.provider] };

  const cluster = new ClusterBase("cluster", ctx, onCluster);
  const afterCluster = { ...onCluster, dependsOn: [cluster] };
  // EKS add-ons: volumes (EBS CSI + default StorageClass), metrics for the HPAs, node autoscaling.
  const addons = foundation ? new ClusterAddons("addons", { ...ctx, foundation }, afterCluster) : undefined;
  const afterStorage = { ...onCluster, dependsOn: addons ? [cluster, addons] : [cluster] };
  const mesh = new ServiceMesh("mesh", ctx, afterCluster);
  const data = new DataStores("data", { ...ctx, foundation }, afterStorage);
  new Observability("observability", { ...ctx, exporterTargets: data.exporterTargets }, afterStorage);

  const signing = new TokenSigning("token-signing", ctx);
  // Kafka consumers scale on lag as well as CPU (their ScaledObjects wait for KEDA's CRDs).
  const autoscaler = new EventAutoscaler("autoscaling", ctx, afterCluster);

  for (const service of catalog.services) {
    const connection = data.connections[service.name];
    new ServiceWorkload(
      service.name,
      {
        ...ctx,
        service,
        connection: service.issuesTokens ? withSigningKey(connection, signing) : connection,
        zones: target.zones,
        imageRepository: target.imageRepositories[service.name],
        autoscaler: autoscaler.chart,
      },
      { ...onCluster, dependsOn: [cluster, ...mesh.controlPlane] },
    );
  }
  new ApiGateway(
    "gateway",
    { ...ctx, redis: data.gatewayRedis, jwt: { issuer: signing.issuer, publicKeyPem: signing.publicKeyPem } },
    { ...onCluster, dependsOn: [cluster, mesh] },
  );
  if (foundation) new AwsEdge("edge", { ...ctx, foundation }, onCluster);
  // The in-VPC runners of `pulumi preview` / `pulumi up` (the EKS endpoint and MSK are private).
  if (foundation && config.aws && data.eventBus.adminPolicy && data.eventBus.clusterArn) {
    new DeployRunner("deploy", { stack: config.stack, aws: config.aws, foundation, kafkaClusterArn: data.eventBus.clusterArn, kafkaAdminPolicy: data.eventBus.adminPolicy, tags: { "trademaster:stack": config.stack, "managed-by": "pulumi" }, protect: config.protectData });
  }

  return {
    environment: config.environment,
    services: catalog.services.map((s) => s.name),
    namespaces: Object.keys(cluster.namespaces),
  };
}

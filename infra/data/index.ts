/**
 * Event bus and data stores: Kafka, Redis, Postgres, in-cluster on local and managed on AWS.
 * STUB: to be completed by issue 3.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext, RedisEndpoint, ServiceConnection } from "../contracts";
import type { AwsFoundation } from "../aws";

export interface DataStoresArgs extends PlatformContext {
  /** Present on AWS stacks. */
  foundation?: AwsFoundation;
}

export class DataStores extends pulumi.ComponentResource {
  /** Connection settings per catalog service name. */
  readonly connections: Record<string, ServiceConnection>;
  /** Redis for the gateway's rate limiter. */
  readonly gatewayRedis: RedisEndpoint;

  constructor(name: string, args: DataStoresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:data:DataStores", name, {}, opts);
    this.connections = Object.fromEntries(args.catalog.services.map((s) => [s.name, { config: {}, secrets: {} }]));
    this.gatewayRedis = { host: "redis.data.svc.cluster.local", port: 6379, password: pulumi.secret("stub"), tls: false };
    this.registerOutputs({});
  }
}

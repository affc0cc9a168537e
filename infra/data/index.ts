/**
 * Event bus and data stores: Kafka, Redis, Postgres; in-cluster on local, managed on AWS.
 * Each service receives exactly the connection settings and credentials of the stores it
 * declares in the catalog (non-secret in `config`, passwords in `secrets`), never another's.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext, RedisEndpoint, ServiceConnection } from "../contracts";
import type { AwsFoundation } from "../aws";
import { serviceConnection } from "./connections";
import type { ExporterTargets } from "./exporter-access";
import { EventBus } from "./kafka";
import { KAFKA_LISTENER_CA_SECRET } from "./local";
import { RelationalDatabase } from "./postgres";
import { Cache } from "./redis";

export interface DataStoresArgs extends PlatformContext {
  /** Present on AWS stacks: managed stores go into its data subnets, encrypted with its keys. */
  foundation?: AwsFoundation;
}

export type { ExporterTargets };

export class DataStores extends pulumi.ComponentResource {
  /** Connection settings per catalog service name. */
  readonly connections: Record<string, ServiceConnection>;
  /** Redis for the gateway's rate limiter (its own user, `ratelimit:*` keys only). */
  readonly gatewayRedis: RedisEndpoint;
  readonly eventBus: EventBus;
  readonly cache: Cache;
  readonly database: RelationalDatabase;
  /** Endpoints and least-privilege credentials of the metrics exporters (passwords secret). */
  readonly exporterTargets: ExporterTargets;

  constructor(name: string, args: DataStoresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:data:DataStores", name, {}, opts);
    const childArgs = { config: args.config, catalog: args.catalog, foundation: args.foundation };
    // Siblings, not chained: on AWS none of the long creations waits for another.
    this.eventBus = new EventBus(`${name}-kafka`, childArgs, { parent: this });
    this.cache = new Cache(`${name}-redis`, childArgs, { parent: this });
    this.database = new RelationalDatabase(`${name}-postgres`, childArgs, { parent: this });

    const endpoints = { kafka: this.eventBus.endpoint, postgres: this.database.endpoint, redis: this.cache.endpoint };
    this.connections = Object.fromEntries(
      args.catalog.services.map((s) => [
        s.name,
        serviceConnection(s, endpoints, {
          kafkaPassword: this.eventBus.passwords[s.name],
          postgres: this.database.credentials[s.name],
          redis: this.cache.credentials[s.name],
        }),
      ]),
    );
    this.gatewayRedis = this.cache.gateway;
    this.exporterTargets = {
      kafka: {
        bootstrapServers: this.eventBus.endpoint.bootstrapServers,
        ...this.eventBus.exporter,
        // Local brokers present our listener certificate (its CA in a Secret); MSK's chain to a public CA.
        ...(args.foundation ? {} : { caSecret: KAFKA_LISTENER_CA_SECRET }),
      },
      redis: { ...this.cache.endpoint, ...this.cache.exporter },
      postgres: { ...this.database.exporterEndpoint, ...this.database.exporter },
    };
    this.registerOutputs({ services: Object.keys(this.connections) });
  }
}

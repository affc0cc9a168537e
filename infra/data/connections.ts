/**
 * What each service receives: only the stores it declares in the catalog, only its own
 * credentials. Non-secret settings go to `config` (its ConfigMap), passwords to `secrets` (its
 * Secret). Pure: endpoints and passwords are inputs.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceSpec } from "../catalog/schema";
import { kafkaUserName } from "../catalog/derive";
import type { ServiceConnection } from "../contracts";

export interface KafkaEndpoint {
  bootstrapServers: pulumi.Input<string>;
  /** Always SASL over TLS: no plaintext listener exists. */
  securityProtocol: "SASL_SSL";
  saslMechanism: "SCRAM-SHA-512";
  /** PEM CA that signs the brokers' certificate, when it is not a public one (local). Public data. */
  caCertificatePem?: pulumi.Input<string>;
}

export interface PostgresEndpoint {
  host: pulumi.Input<string>;
  port: number;
  /** libpq sslmode: `verify-full` where the server certificate is publicly trusted (RDS Proxy). */
  sslMode: "require" | "verify-full";
}

export interface RedisServiceEndpoint {
  host: pulumi.Input<string>;
  port: number;
  tls: boolean;
}

export interface DataEndpoints {
  kafka: KafkaEndpoint;
  postgres: PostgresEndpoint;
  redis: RedisServiceEndpoint;
}

/** The credentials issued to one service (absent when it does not use the store). */
export interface ServiceCredentials {
  kafkaPassword?: pulumi.Input<string>;
  postgres?: { user: string; password: pulumi.Input<string> };
  redis?: { user: string; password: pulumi.Input<string> };
}

export function usesKafka(service: ServiceSpec): boolean {
  return service.produces.length > 0 || service.consumes.length > 0;
}

/** Connection settings of one service; throws when a declared store has no credential. */
export function serviceConnection(service: ServiceSpec, endpoints: DataEndpoints, creds: ServiceCredentials): ServiceConnection {
  const config: Record<string, pulumi.Input<string>> = {};
  const secrets: Record<string, pulumi.Input<string>> = {};
  const missing = (store: string) => new Error(`service ${service.name} uses ${store} but has no credential for it`);

  if (usesKafka(service)) {
    if (creds.kafkaPassword === undefined) throw missing("kafka");
    config.KAFKA_BOOTSTRAP_SERVERS = endpoints.kafka.bootstrapServers;
    config.KAFKA_SECURITY_PROTOCOL = endpoints.kafka.securityProtocol;
    config.KAFKA_SASL_MECHANISM = endpoints.kafka.saslMechanism;
    config.KAFKA_SASL_USERNAME = kafkaUserName(service);
    // Clients verify the brokers: the CA is public, so it travels in the ConfigMap.
    if (endpoints.kafka.caCertificatePem !== undefined) config.KAFKA_SSL_CA_PEM = endpoints.kafka.caCertificatePem;
    secrets.KAFKA_SASL_PASSWORD = creds.kafkaPassword;
  }
  const pg = service.datastores.postgres;
  if (pg) {
    if (!creds.postgres) throw missing("postgres");
    config.DB_HOST = endpoints.postgres.host;
    config.DB_PORT = String(endpoints.postgres.port);
    config.DB_NAME = pg.database;
    config.DB_USER = creds.postgres.user;
    config.DB_SSLMODE = endpoints.postgres.sslMode;
    secrets.DB_PASSWORD = creds.postgres.password;
  }
  const redis = service.datastores.redis;
  if (redis) {
    if (!creds.redis) throw missing("redis");
    config.REDIS_HOST = endpoints.redis.host;
    config.REDIS_PORT = String(endpoints.redis.port);
    config.REDIS_TLS = String(endpoints.redis.tls);
    config.REDIS_USERNAME = creds.redis.user;
    secrets.REDIS_PASSWORD = creds.redis.password;
  }
  return { config, secrets };
}

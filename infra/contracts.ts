/**
 * The values components hand each other. Kept in one small module so each capability can be
 * built and tested on its own.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { Catalog } from "./catalog/schema";
import type { PlatformConfig } from "./config/schema";

/** Every component gets the validated stack config and catalog. */
export interface PlatformContext {
  config: PlatformConfig;
  catalog: Catalog;
}

/**
 * What one service needs to reach its datastores and the event bus: non-secret settings go to
 * its ConfigMap, secrets to its own Secret. A service never receives another's credentials.
 */
export interface ServiceConnection {
  /** Environment variables that are not secret (hosts, ports, topic names, client ids). */
  config: Record<string, pulumi.Input<string>>;
  /** Environment variables that are secret (passwords, tokens, SASL credentials). */
  secrets: Record<string, pulumi.Input<string>>;
}

/** Where the gateway's rate limiter finds Redis. */
export interface RedisEndpoint {
  host: pulumi.Input<string>;
  port: number;
  /** Secret: the auth token / password. */
  password: pulumi.Input<string>;
  tls: boolean;
}

/** What the cluster layer (EKS on AWS, a kube context locally) provides to everything in it. */
export interface ClusterTarget {
  provider: k8s.Provider;
  /** Zones nodes run in; empty when the cluster has no zones (local). */
  zones: string[];
  /**
   * Image repository per service name (ECR on AWS, a deterministic URL known at preview);
   * absent means use the catalog's repository.
   */
  imageRepositories: Record<string, string>;
}

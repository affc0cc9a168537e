/**
 * Kong API gateway: open-source Kong 3.9, DB-less, driven by its ingress controller through the
 * Gateway API, inside the mesh (outbound via its sidecar with the Kong principal that the
 * services' AuthorizationPolicies admit). Secure by default:
 * - routes only for the catalog's exposed routes; jwt on authenticated ones;
 * - OWASP secure headers on every response, stack-revealing headers stripped;
 * - per-IP rate limits in Redis (password in a Kubernetes Secret, never in a plugin's config);
 * - CORS with explicit origins (no `*` outside local), request size limit;
 * - admin API TLS-only and not exposed; Kong Manager off.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformContext, RedisEndpoint } from "../contracts";
import { pinnedChart } from "../charts/pinned";
import { declareKubeObject, declareKubeObjects } from "../kube/object";
import { gatewayObjects, jwtConsumerObjects, kongChartValues, redisSecret } from "./spec";

/** Gateway API CRDs (standard channel), pinned; KIC serves HTTPRoute / Gateway from them. */
export const GATEWAY_API_VERSION = "v1.2.1";
export const GATEWAY_API_CRDS_URL = `https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/standard-install.yaml`;

export interface ApiGatewayArgs extends PlatformContext {
  /** Redis used by the rate-limiting plugin (policy: redis). */
  redis: RedisEndpoint;
  /**
   * Issuer and RS256 public key the jwt plugin trusts. Absent: no credential is registered and
   * every authenticated route answers 401 (fail closed).
   */
  jwt?: { issuer: pulumi.Input<string>; publicKeyPem: pulumi.Input<string> };
}

export class ApiGateway extends pulumi.ComponentResource {
  /** Resource names of the gateway's Kubernetes objects (routes, plugins, credentials), sorted. */
  readonly objectNames: string[];

  constructor(name: string, args: ApiGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:gateway:ApiGateway", name, {}, opts);
    const { config, catalog, redis } = args;

    const crds = new k8s.yaml.v2.ConfigFile(`${name}-gateway-api-crds`, { file: GATEWAY_API_CRDS_URL }, { parent: this });
    const kong = pinnedChart(
      `${name}-kong`,
      { chart: "kong", stack: config.stack, values: kongChartValues(config, catalog) },
      { parent: this, dependsOn: [crds] },
    );

    // KIC reads JSON values from Secrets in configPatches: the password is JSON-encoded, secret.
    const passwordJson = pulumi.secret(pulumi.output(redis.password).apply((p) => JSON.stringify(p)));
    const secret = declareKubeObject(redisSecret(passwordJson), { parent: this });

    const objects = declareKubeObjects(gatewayObjects(config, catalog, { host: redis.host, port: redis.port, tls: redis.tls }), {
      parent: this,
      dependsOn: [crds, kong, secret],
    });
    // Without a configured issuer no credential exists and authenticated routes fail closed (401).
    if (args.jwt) {
      const { issuer, publicKeyPem } = args.jwt;
      const consumer = declareKubeObjects(jwtConsumerObjects({ issuer: pulumi.secret(issuer), publicKeyPem: pulumi.secret(publicKeyPem) }), {
        parent: this,
        dependsOn: [crds, kong],
      });
      Object.assign(objects, consumer);
    }
    this.objectNames = Object.keys(objects).sort();
    this.registerOutputs({ objects: this.objectNames });
  }
}

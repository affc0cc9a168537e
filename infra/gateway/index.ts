/**
 * Kong API gateway (DB-less, in the mesh) with security plugins.
 * STUB: to be completed by issue 4.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext, RedisEndpoint } from "../contracts";

export interface ApiGatewayArgs extends PlatformContext {
  /** Redis used by the rate-limiting plugin (policy: redis). */
  redis: RedisEndpoint;
}

export class ApiGateway extends pulumi.ComponentResource {
  constructor(name: string, _args: ApiGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:gateway:ApiGateway", name, {}, opts);
    this.registerOutputs({});
  }
}

/**
 * Istio service mesh: STRICT mTLS, call-graph authorization, resilience from SLO budgets.
 * STUB: to be completed by issue 4.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../contracts";

export type ServiceMeshArgs = PlatformContext;

export class ServiceMesh extends pulumi.ComponentResource {
  constructor(name: string, _args: ServiceMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:mesh:ServiceMesh", name, {}, opts);
    this.registerOutputs({});
  }
}

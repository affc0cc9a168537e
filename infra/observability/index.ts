/**
 * Observability: kube-prometheus-stack, SLO alerts, Alertmanager, dashboards, tracing, logs.
 * STUB: to be completed by issue 5.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../contracts";

export type ObservabilityArgs = PlatformContext;

export class Observability extends pulumi.ComponentResource {
  constructor(name: string, _args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:observability:Observability", name, {}, opts);
    this.registerOutputs({});
  }
}

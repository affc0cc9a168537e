/**
 * KEDA, the event-driven autoscaler: its pinned chart (charts/keda) in the operators namespace,
 * on every stack. The ScaledObjects themselves are part of each consumer's workload
 * (infra/addons/keda/spec.ts) and wait for this chart, which installs their CRDs.
 * No AWS identity: the Kafka scaler authenticates with each service's own SCRAM credentials.
 */
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../../cluster/namespaces";
import { pinnedChart } from "../../charts/pinned";
import type { PlatformContext } from "../../contracts";
import { withNamespaceDependency } from "../../kube/object";

export class EventAutoscaler extends pulumi.ComponentResource {
  /** The KEDA release (operator, metrics API server, admission webhooks, CRDs). */
  readonly chart: pulumi.Resource;

  constructor(name: string, args: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:addons:EventAutoscaler", name, {}, opts);
    this.chart = pinnedChart(`${name}-keda`, { chart: "keda", stack: args.config.stack }, withNamespaceDependency(PLATFORM_NAMESPACES.operators, { parent: this }));
    this.registerOutputs({ chart: "keda" });
  }
}

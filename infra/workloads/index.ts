/** One catalog service as a workload: the objects of workloads/spec.ts as Pulumi resources. */
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSpec } from "../catalog/schema";
import type { PlatformContext, ServiceConnection } from "../contracts";
import { declareKubeObject } from "../kube/object";
import { KEDA_API } from "../addons/keda/spec";
import { controllerOwnedFields, workloadObjects } from "./spec";

export interface ServiceWorkloadArgs extends PlatformContext {
  /** The catalog entry. */
  service: ServiceSpec;
  /** The service's own datastore and event-bus settings and credentials. */
  connection: ServiceConnection;
  /** Zones the cluster runs in (spread constraints); empty on local. */
  zones: string[];
  /** Image repository override (ECR on AWS). */
  imageRepository?: string;
  /** The KEDA release: a consumer's ScaledObject and TriggerAuthentication wait for its CRDs. */
  autoscaler?: pulumi.Resource;
}

/** Deployment, Service, ServiceAccount, ConfigMap, Secret, HPA (or KEDA ScaledObject) and PDB of one service. */
export class ServiceWorkload extends pulumi.ComponentResource {
  constructor(name: string, args: ServiceWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:workloads:ServiceWorkload", name, {}, opts);
    // Pods must be created after the mesh's injector exists, or they would run without a sidecar.
    const children = { parent: this, dependsOn: opts?.dependsOn };
    const objects = workloadObjects({
      service: args.service,
      config: args.config,
      catalog: args.catalog,
      imageRepository: args.imageRepository,
      zones: args.zones,
      connection: args.connection,
    });
    // Autoscaling objects are not pods (no sidecar to wait for), but their CRDs come with KEDA.
    const afterKeda = { parent: this, dependsOn: args.autoscaler ? [args.autoscaler] : [] };
    for (const o of objects) {
      // The HPA owns the replica count after creation: an update must not scale the service down.
      const owned = controllerOwnedFields(o, objects);
      const base = o.apiVersion === KEDA_API ? afterKeda : children;
      declareKubeObject(o, owned.length ? { ...base, ignoreChanges: owned } : base);
    }
    this.registerOutputs({ service: args.service.name });
  }
}

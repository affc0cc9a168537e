/** Cluster base: namespaces (mesh injection, Pod Security) and priority classes. */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformContext } from "../contracts";
import { declareKubeObjects, registerNamespaceResources } from "../kube/object";
import { namespaceObjects, priorityClassObjects, SYSTEM_NAMESPACE, systemNamespaceLabels } from "./spec";

export type ClusterBaseArgs = PlatformContext;

export class ClusterBase extends pulumi.ComponentResource {
  /** Namespace resources by namespace name, for dependsOn. */
  readonly namespaces: Record<string, pulumi.CustomResource>;

  constructor(name: string, args: ClusterBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:cluster:ClusterBase", name, {}, opts);
    const nsObjects = namespaceObjects(args.catalog, args.config.aws?.eks.version);
    const declared = declareKubeObjects(nsObjects, { parent: this });
    this.namespaces = Object.fromEntries(nsObjects.map((o, i) => [o.metadata.name, Object.values(declared)[i]]));
    registerNamespaceResources(this.namespaces);
    declareKubeObjects(priorityClassObjects(), { parent: this });
    // kube-system exists already: its Pod Security labels are patched (server-side apply), never the namespace replaced.
    new k8s.core.v1.NamespacePatch(SYSTEM_NAMESPACE, { metadata: { name: SYSTEM_NAMESPACE, labels: systemNamespaceLabels(args.config.aws?.eks.version) } }, { parent: this });
    this.registerOutputs({ namespaces: Object.keys(this.namespaces) });
  }
}

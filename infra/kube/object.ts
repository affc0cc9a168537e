/**
 * Kubernetes objects as plain data: pure builders return {@link KubeObject}s and
 * {@link declareKubeObject} turns one into the matching Pulumi resource, so specs are testable
 * without the engine and every object lands in the plan under its real type token.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** A Kubernetes object; values may be Pulumi inputs where they come from other resources. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Standard labels every object of ours carries (app.kubernetes.io recommended labels). */
export function standardLabels(app: string, component: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "app.kubernetes.io/name": app,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "trademaster",
    "app.kubernetes.io/managed-by": "pulumi",
    ...extra,
  };
}

// The typed classes share a constructor shape; their args types differ per kind, so the
// object is handed over as the kind's own args (validated later against the real schemas).
type KubeCtor = new (name: string, args: never, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const TYPED: Record<string, KubeCtor> = {
  "v1/Namespace": k8s.core.v1.Namespace,
  "v1/ServiceAccount": k8s.core.v1.ServiceAccount,
  "v1/ConfigMap": k8s.core.v1.ConfigMap,
  "v1/Secret": k8s.core.v1.Secret,
  "v1/Service": k8s.core.v1.Service,
  "v1/PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
  "storage.k8s.io/v1/StorageClass": k8s.storage.v1.StorageClass,
  "apps/v1/Deployment": k8s.apps.v1.Deployment,
  "apps/v1/StatefulSet": k8s.apps.v1.StatefulSet,
  "apps/v1/DaemonSet": k8s.apps.v1.DaemonSet,
  "autoscaling/v2/HorizontalPodAutoscaler": k8s.autoscaling.v2.HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
  "scheduling.k8s.io/v1/PriorityClass": k8s.scheduling.v1.PriorityClass,
  "networking.k8s.io/v1/NetworkPolicy": k8s.networking.v1.NetworkPolicy,
  "networking.k8s.io/v1/Ingress": k8s.networking.v1.Ingress,
  "rbac.authorization.k8s.io/v1/Role": k8s.rbac.v1.Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": k8s.rbac.v1.RoleBinding,
  "rbac.authorization.k8s.io/v1/ClusterRole": k8s.rbac.v1.ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": k8s.rbac.v1.ClusterRoleBinding,
  "batch/v1/CronJob": k8s.batch.v1.CronJob,
  "batch/v1/Job": k8s.batch.v1.Job,
};

// Namespace resources of the current program, so namespaced objects wait for their namespace.
const namespaceResources = new Map<string, pulumi.Resource>();

/** Called by the cluster layer once namespaces are declared (replaces earlier registrations). */
export function registerNamespaceResources(namespaces: Record<string, pulumi.Resource>): void {
  namespaceResources.clear();
  for (const [name, res] of Object.entries(namespaces)) namespaceResources.set(name, res);
}

/** Adds the namespace's resource to `opts.dependsOn` when the namespace is one of ours. */
export function withNamespaceDependency<T extends pulumi.ResourceOptions>(namespace: string | undefined, opts: T): T {
  const ns = namespace ? namespaceResources.get(namespace) : undefined;
  if (!ns) return opts;
  const existing = opts.dependsOn;
  if (existing === undefined) return { ...opts, dependsOn: [ns] };
  if (Array.isArray(existing)) return { ...opts, dependsOn: [...existing, ns] };
  if (pulumi.Resource.isInstance(existing)) return { ...opts, dependsOn: [existing, ns] };
  // A promise or output of one resource or a list of them.
  const lifted = pulumi.output(existing as pulumi.Input<pulumi.Resource | pulumi.Resource[]>);
  return { ...opts, dependsOn: lifted.apply((d) => [...(Array.isArray(d) ? d : [d]), ns]) };
}

/** Logical Pulumi name of an object: unique per kind, namespace and name. */
export function resourceName(obj: KubeObject): string {
  const ns = obj.metadata.namespace ? `${obj.metadata.namespace}-` : "";
  return `${obj.kind.toLowerCase()}-${ns}${obj.metadata.name}`;
}

const SECRET_DATA_FIELDS = ["data", "stringData"] as const;

/**
 * `core.v1.Secret` wraps its whole `data`/`stringData` map in one secret, so a preview (and the
 * plan) sees a single masked value, or nothing at all when any value is unknown. The keys are
 * not secret (`kubectl describe secret` lists them) and the program knows them: this
 * transformation passes the map itself with each value a secret of its own, so the engine still
 * never sees a value in plain text but shows which keys a Secret carries.
 */
function secretValuesPerKey(obj: KubeObject): pulumi.ResourceTransformation {
  return (args) => {
    if (args.type !== "kubernetes:core/v1:Secret") return undefined;
    const props = { ...args.props };
    for (const field of SECRET_DATA_FIELDS) {
      const map = obj[field];
      if (map && typeof map === "object" && !pulumi.Output.isInstance(map)) {
        props[field] = Object.fromEntries(Object.entries(map as Record<string, pulumi.Input<string>>).map(([key, value]) => [key, pulumi.secret(value)]));
      }
    }
    return { props, opts: args.opts };
  };
}

/**
 * Declares one object as a Pulumi resource of its own type (typed class for core kinds,
 * CustomResource for CRDs). `opts.parent` should be the component that owns it.
 */
export function declareKubeObject(obj: KubeObject, opts: pulumi.CustomResourceOptions, name = resourceName(obj)): pulumi.CustomResource {
  const ctor = TYPED[`${obj.apiVersion}/${obj.kind}`];
  let withNs = obj.kind === "Namespace" ? opts : withNamespaceDependency(obj.metadata.namespace, opts);
  if (obj.apiVersion === "v1" && obj.kind === "Secret") withNs = { ...withNs, transformations: [...(withNs.transformations ?? []), secretValuesPerKey(obj)] };
  if (ctor) return new ctor(name, obj as never, withNs);
  return new k8s.apiextensions.CustomResource(name, obj as k8s.apiextensions.CustomResourceArgs, withNs);
}

/** Declares many objects under one parent; returns them by resource name. */
export function declareKubeObjects(objs: KubeObject[], opts: pulumi.CustomResourceOptions): Record<string, pulumi.CustomResource> {
  const out: Record<string, pulumi.CustomResource> = {};
  for (const o of objs) out[resourceName(o)] = declareKubeObject(o, opts);
  return out;
}

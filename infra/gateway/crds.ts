/**
 * Kong's custom resources (configuration.konghq.com/v1) as TypeScript types for the builders.
 * The objects are validated by the plan against the CRDs of the pinned Kong ingress chart 0.20.0
 * (schema and CEL rules such as "config xor configFrom", "username or custom_id").
 */

export const KONG_API = "configuration.konghq.com/v1";

export interface SecretKeyRef {
  name: string;
  key: string;
  /** Required on KongClusterPlugin (cluster-scoped), absent on KongPlugin. */
  namespace?: string;
}

export interface ConfigPatch {
  /** JSON pointer into `config`, e.g. `/redis/password`. */
  path: string;
  valueFrom: { secretKeyRef: SecretKeyRef };
}

// Type aliases, not interfaces: an alias is assignable to KubeObject (whose index signature an
// interface cannot meet), so the objects are declared without casts.
type PluginBody = {
  plugin: string;
  config?: Record<string, unknown>;
  configFrom?: { secretKeyRef: SecretKeyRef };
  configPatches?: ConfigPatch[];
  disabled?: boolean;
  protocols?: string[];
  instance_name?: string;
};

export type KongPlugin = PluginBody & {
  apiVersion: typeof KONG_API;
  kind: "KongPlugin";
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

export type KongClusterPlugin = PluginBody & {
  apiVersion: typeof KONG_API;
  kind: "KongClusterPlugin";
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

export type KongConsumer = {
  apiVersion: typeof KONG_API;
  kind: "KongConsumer";
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  username?: string;
  custom_id?: string;
  credentials?: string[];
};

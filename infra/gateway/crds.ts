/**
 * Kong's CRDs (configuration.konghq.com/v1), which have no npm schema package: TypeScript types
 * and validators for the plan's schema check. The validators follow the CRD's OpenAPI schema
 * (KongPlugin/KongClusterPlugin: `plugin` required, `config` xor `configFrom`, configPatches
 * entries with a JSON-pointer path and a secret reference; KongConsumer: username or custom_id)
 * and, for the plugins we use, the required fields of each plugin's own config schema.
 */
import { crdValidator, type CrdValidators } from "../kube/crd-validator";
import { anyMapping, bool, list, obj, optional, record, str, type Issue } from "../validation/schema";

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

const PROTOCOLS = ["http", "https", "grpc", "grpcs", "tcp", "tls", "udp", "ws", "wss"] as const;
const PLUGIN_NAME = /^[a-z][a-z0-9-]*$/;

/** Required config keys of the open-source plugins we configure (Kong 3.9 schemas). */
export const PLUGIN_REQUIRED_CONFIG: Readonly<Record<string, readonly string[]>> = {
  jwt: ["key_claim_name", "claims_to_verify"],
  "rate-limiting": ["policy", "limit_by"],
  cors: ["origins", "methods"],
  "correlation-id": ["header_name", "generator", "echo_downstream"],
  "response-transformer": [],
  "request-size-limiting": ["allowed_payload_size", "size_unit"],
  prometheus: [],
  opentelemetry: ["traces_endpoint"],
};

/** Enterprise-only plugins: refused, the platform runs open-source Kong. */
const ENTERPRISE_PLUGINS = new Set(["openid-connect", "rate-limiting-advanced", "request-validator", "mtls-auth", "jwt-signer", "oauth2-introspection", "opa"]);

const nonEmpty = str({ minLength: 1 });
const labels = optional(record(str()));
/** KongClusterPlugin is cluster-scoped: its secret references name their namespace. */
const secretKeyRef = (clusterScoped: boolean) =>
  obj({ name: nonEmpty, key: nonEmpty, namespace: clusterScoped ? nonEmpty : optional(nonEmpty) });
const metadata = (namespaced: boolean) =>
  obj({ name: nonEmpty, ...(namespaced ? { namespace: nonEmpty } : {}), labels, annotations: labels });

function pluginCheck(clusterScoped: boolean) {
  const ref = secretKeyRef(clusterScoped);
  return obj({
    apiVersion: optional(str()),
    kind: optional(str()),
    metadata: metadata(!clusterScoped),
    plugin: str({ pattern: PLUGIN_NAME, patternName: "a plugin name like rate-limiting" }),
    config: optional(anyMapping),
    configFrom: optional(obj({ secretKeyRef: ref })),
    configPatches: optional(list(obj({ path: str({ pattern: /^\/[^\s]*$/, patternName: "a JSON pointer like /redis/password" }), valueFrom: obj({ secretKeyRef: ref }) }))),
    protocols: optional(list(str({ oneOf: PROTOCOLS }))),
    disabled: optional(bool),
    instance_name: optional(nonEmpty),
    ordering: optional(anyMapping),
  });
}

/** What the CRD's structure cannot say: open-source only, one config source, plugin-required keys. */
function pluginRules(o: Record<string, unknown>, issues: Issue[]): void {
  const p = o as PluginBody;
  if (ENTERPRISE_PLUGINS.has(p.plugin)) issues.push({ path: "plugin", expected: "an open-source Kong plugin", found: `"${p.plugin}" (Enterprise only)` });
  if (p.config !== undefined && p.configFrom !== undefined) issues.push({ path: "configFrom", expected: "only one of config or configFrom", found: "both" });
  if (p.configPatches !== undefined && p.configFrom !== undefined) issues.push({ path: "configPatches", expected: "no configPatches with configFrom", found: "both" });
  const config = p.config;
  for (const key of (config && PLUGIN_REQUIRED_CONFIG[p.plugin]) || []) {
    if (config?.[key] === undefined) issues.push({ path: `config.${key}`, expected: `a value (required by the ${p.plugin} plugin)`, found: "nothing (missing)" });
  }
}

const consumerCheck = obj({
  apiVersion: optional(str()),
  kind: optional(str()),
  metadata: metadata(true),
  username: optional(nonEmpty),
  custom_id: optional(nonEmpty),
  credentials: optional(list(nonEmpty)),
  consumerGroups: optional(list(nonEmpty)),
});

function consumerRules(o: Record<string, unknown>, issues: Issue[]): void {
  if (o.username === undefined && o.custom_id === undefined) issues.push({ path: "username", expected: "a username or custom_id", found: "neither" });
}

/** Validators by `apiVersion/kind`, used by the plan's schema check. */
export const GATEWAY_CRD_VALIDATORS: CrdValidators = {
  [`${KONG_API}/KongPlugin`]: crdValidator(pluginCheck(false), pluginRules),
  [`${KONG_API}/KongClusterPlugin`]: crdValidator(pluginCheck(true), pluginRules),
  [`${KONG_API}/KongConsumer`]: crdValidator(consumerCheck, consumerRules),
};

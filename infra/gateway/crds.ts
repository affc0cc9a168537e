/**
 * Kong's CRDs (configuration.konghq.com/v1), which have no npm schema package: TypeScript types
 * and validators for the plan's schema check. The validators follow the CRD's OpenAPI schema
 * (KongPlugin/KongClusterPlugin: `plugin` required, `config` xor `configFrom`, configPatches
 * entries with a JSON-pointer path and a secret reference; KongConsumer: username or custom_id)
 * and, for the plugins we use, the required fields of each plugin's own config schema.
 */
import type { CrdValidator, CrdValidators } from "../kube/crd-validator";
import { describe, isPlainObject, type Issue } from "../validation/schema";

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

const PROTOCOLS = new Set(["http", "https", "grpc", "grpcs", "tcp", "tls", "udp", "ws", "wss"]);
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

function checkSecretRef(ref: unknown, path: string, needNamespace: boolean, issues: Issue[]): void {
  if (!isPlainObject(ref)) {
    issues.push({ path, expected: "a secretKeyRef {name, key}", found: describe(ref) });
    return;
  }
  for (const f of ["name", "key", ...(needNamespace ? ["namespace"] : [])]) {
    if (typeof ref[f] !== "string" || ref[f] === "") issues.push({ path: `${path}.${f}`, expected: "a non-empty string", found: describe(ref[f]) });
  }
}

function pluginValidator(clusterScoped: boolean): CrdValidator {
  return (o) => {
    const issues: Issue[] = [];
    const meta = o.metadata;
    if (!isPlainObject(meta) || typeof meta.name !== "string") issues.push({ path: "metadata.name", expected: "a name", found: describe(isPlainObject(meta) ? meta.name : meta) });
    else if (clusterScoped && meta.namespace !== undefined) issues.push({ path: "metadata.namespace", expected: "nothing (KongClusterPlugin is cluster-scoped)", found: describe(meta.namespace) });
    else if (!clusterScoped && typeof meta.namespace !== "string") issues.push({ path: "metadata.namespace", expected: "a namespace", found: describe(meta.namespace) });
    const plugin = o.plugin;
    if (typeof plugin !== "string" || !PLUGIN_NAME.test(plugin)) {
      issues.push({ path: "plugin", expected: "a plugin name like rate-limiting", found: describe(plugin) });
    } else if (ENTERPRISE_PLUGINS.has(plugin)) {
      issues.push({ path: "plugin", expected: "an open-source Kong plugin", found: `"${plugin}" (Enterprise only)` });
    }
    if (o.config !== undefined && o.configFrom !== undefined) issues.push({ path: "configFrom", expected: "only one of config or configFrom", found: "both" });
    if (o.config !== undefined && !isPlainObject(o.config)) issues.push({ path: "config", expected: "an object", found: describe(o.config) });
    if (o.configFrom !== undefined) {
      if (!isPlainObject(o.configFrom)) issues.push({ path: "configFrom", expected: "{secretKeyRef}", found: describe(o.configFrom) });
      else checkSecretRef(o.configFrom.secretKeyRef, "configFrom.secretKeyRef", clusterScoped, issues);
    }
    if (o.configPatches !== undefined) {
      if (!Array.isArray(o.configPatches)) issues.push({ path: "configPatches", expected: "a list", found: describe(o.configPatches) });
      else {
        if (o.configFrom !== undefined) issues.push({ path: "configPatches", expected: "no configPatches with configFrom", found: "both" });
        o.configPatches.forEach((p: unknown, i: number) => {
          const at = `configPatches[${i}]`;
          if (!isPlainObject(p)) return void issues.push({ path: at, expected: "{path, valueFrom}", found: describe(p) });
          if (typeof p.path !== "string" || !/^\/[^\s]*$/.test(p.path)) issues.push({ path: `${at}.path`, expected: "a JSON pointer like /redis/password", found: describe(p.path) });
          if (!isPlainObject(p.valueFrom)) issues.push({ path: `${at}.valueFrom`, expected: "{secretKeyRef}", found: describe(p.valueFrom) });
          else checkSecretRef(p.valueFrom.secretKeyRef, `${at}.valueFrom.secretKeyRef`, clusterScoped, issues);
        });
      }
    }
    if (o.protocols !== undefined) {
      if (!Array.isArray(o.protocols)) issues.push({ path: "protocols", expected: "a list", found: describe(o.protocols) });
      else o.protocols.forEach((p: unknown, i: number) => {
        if (typeof p !== "string" || !PROTOCOLS.has(p)) issues.push({ path: `protocols[${i}]`, expected: `one of ${[...PROTOCOLS].join(" | ")}`, found: describe(p) });
      });
    }
    if (o.disabled !== undefined && typeof o.disabled !== "boolean") issues.push({ path: "disabled", expected: "true or false", found: describe(o.disabled) });
    const required = typeof plugin === "string" ? PLUGIN_REQUIRED_CONFIG[plugin] : undefined;
    if (required && isPlainObject(o.config)) {
      for (const key of required) if (o.config[key] === undefined) issues.push({ path: `config.${key}`, expected: `a value (required by the ${plugin} plugin)`, found: "nothing (missing)" });
    }
    return issues;
  };
}

const consumerValidator: CrdValidator = (o) => {
  const issues: Issue[] = [];
  if (typeof o.username !== "string" && typeof o.custom_id !== "string") issues.push({ path: "username", expected: "a username or custom_id", found: "neither" });
  if (o.credentials !== undefined && (!Array.isArray(o.credentials) || o.credentials.some((c: unknown) => typeof c !== "string"))) {
    issues.push({ path: "credentials", expected: "a list of Secret names", found: describe(o.credentials) });
  }
  return issues;
};

/** Validators by `apiVersion/kind`, used by the plan's schema check. */
export const GATEWAY_CRD_VALIDATORS: CrdValidators = {
  [`${KONG_API}/KongPlugin`]: pluginValidator(false),
  [`${KONG_API}/KongClusterPlugin`]: pluginValidator(true),
  [`${KONG_API}/KongConsumer`]: consumerValidator,
};

/**
 * The key rules the API server applies and OpenAPI schemas do not express: label keys and values,
 * annotation keys, ConfigMap and Secret data keys. Pure; run on every object of the plan so a key
 * such as "BAD KEY" is refused offline, whatever produced it.
 */
import type { KubeObjectRef } from "../plan/output";
import type { SchemaIssue } from "../plan/schemas";
import { SECRET, UNKNOWN } from "../plan/types";
import { configMapKey, isLabelValue, isPlainObject, labelKey, type KeyRule } from "./schema";

/** Where an object holds label maps (metadata, pod templates, selectors). */
const LABEL_MAPS = ["metadata.labels", "spec.template.metadata.labels", "spec.selector.matchLabels", "spec.selector"];

function at(obj: Record<string, unknown>, dotted: string): unknown {
  let v: unknown = obj;
  for (const k of dotted.split(".")) v = isPlainObject(v) && Object.hasOwn(v, k) ? v[k] : undefined;
  return v;
}

/** Every key-rule violation of the objects, one issue per bad key. */
export function kubeKeyIssues(objects: readonly KubeObjectRef[]): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  for (const { urn, object } of objects) {
    const meta = isPlainObject(object.metadata) ? object.metadata : {};
    const base = {
      urn,
      apiVersion: String(object.apiVersion ?? ""),
      kind: String(object.kind ?? ""),
      name: typeof meta.name === "string" ? meta.name : "",
      ...(typeof meta.namespace === "string" ? { namespace: meta.namespace } : {}),
    };
    const checkKeys = (where: string, rule: KeyRule, values?: (v: unknown) => string | undefined) => {
      const map = at(object, where);
      // spec.selector is a label map only on Services (elsewhere it holds matchLabels).
      if (!isPlainObject(map) || (where === "spec.selector" && base.kind !== "Service")) return;
      for (const [k, v] of Object.entries(map)) {
        if (!rule.test(k)) issues.push({ ...base, path: `${where}.${k}`, message: `expected ${rule.name}, found key ${JSON.stringify(k)}` });
        const bad = values?.(v);
        if (bad) issues.push({ ...base, path: `${where}.${k}`, message: bad });
      }
    };
    const labelValue = (v: unknown) =>
      typeof v === "string" && v !== UNKNOWN && v !== SECRET && !isLabelValue(v) ? `expected a label value (at most 63 letters, digits, '-', '_', '.', alphanumeric at both ends), found ${JSON.stringify(v.slice(0, 70))}` : undefined;
    for (const where of LABEL_MAPS) checkKeys(where, labelKey, labelValue);
    checkKeys("metadata.annotations", labelKey);
    checkKeys("spec.template.metadata.annotations", labelKey);
    if (base.kind === "ConfigMap" && base.apiVersion === "v1") for (const where of ["data", "binaryData"]) checkKeys(where, configMapKey);
    if (base.kind === "Secret" && base.apiVersion === "v1") for (const where of ["data", "stringData"]) checkKeys(where, configMapKey);
  }
  return issues;
}

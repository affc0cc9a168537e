/**
 * Renders a cached chart the way `helm.sh/v4:Chart` does: the Helm SDK's install in client
 * dry-run (here `helm template`) with the release's namespace, the cluster's Kubernetes version
 * and API versions, CRDs included (`skipCrds` defaults to false), and only the release manifest
 * applied: **hooks are dropped** (pulumi-kubernetes#3284). Namespaced objects without a namespace
 * get the release's, as the provider does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { runToolChecked } from "../io/spawn";
import { isPlainObject } from "../validation/schema";
import { helmCommand } from "./helm";

export type KubeDoc = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> } };

export interface RenderOptions {
  /** Release name (the Chart resource's name). */
  release: string;
  namespace: string;
  /** `major.minor[.patch]` of the cluster. */
  kubeVersion: string;
  /** Extra API versions (group/version of installed CRDs) for `.Capabilities.APIVersions`. */
  apiVersions: string[];
  values: Record<string, unknown>;
}

export interface RenderedChart {
  /** The release manifest: what the provider applies. */
  objects: KubeDoc[];
  /** Objects annotated `helm.sh/hook`: rendered by Helm, never applied by helm.sh/v4:Chart. */
  hooks: KubeDoc[];
}

/** Kinds of the built-in API that are cluster-scoped (everything else built-in is namespaced). */
export const CLUSTER_SCOPED_KINDS = new Set([
  "APIService",
  "CertificateSigningRequest",
  "ClusterRole",
  "ClusterRoleBinding",
  "ClusterTrustBundle",
  "ComponentStatus",
  "CSIDriver",
  "CSINode",
  "CustomResourceDefinition",
  "FlowSchema",
  "IngressClass",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "MutatingWebhookConfiguration",
  "Namespace",
  "Node",
  "PersistentVolume",
  "PriorityClass",
  "PriorityLevelConfiguration",
  "RuntimeClass",
  "StorageClass",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "ValidatingWebhookConfiguration",
  "VolumeAttachment",
]);

/** Parses a multi-document manifest; `List` objects are flattened, empty documents skipped. */
export function parseManifest(text: string): KubeDoc[] {
  const out: KubeDoc[] = [];
  const add = (d: unknown) => {
    if (!isPlainObject(d)) return;
    if (d.kind === "List" && Array.isArray(d.items)) return d.items.forEach(add);
    if (typeof d.apiVersion !== "string" || typeof d.kind !== "string" || !isPlainObject(d.metadata)) return;
    out.push(d as KubeDoc);
  };
  yaml.loadAll(text, add);
  return out;
}

export const isHook = (o: KubeDoc) => typeof o.metadata.annotations?.["helm.sh/hook"] === "string";

/**
 * Renders with the real helm. `clusterScoped` says which custom kinds (`group/Kind`) are
 * cluster-scoped, so that only namespaced objects receive the release namespace.
 */
export function renderChart(renderPath: string, opts: RenderOptions, clusterScoped: (apiVersion: string, kind: string) => boolean): RenderedChart {
  const args = ["template", opts.release, renderPath, "--namespace", opts.namespace, "--kube-version", opts.kubeVersion, "--include-crds", "--values", "-"];
  for (const a of [...new Set(opts.apiVersions)].sort()) args.push("--api-versions", a);
  const r = runToolChecked(helmCommand(), args, { input: JSON.stringify(opts.values), timeoutMs: 120_000 });
  const objects: KubeDoc[] = [];
  const hooks: KubeDoc[] = [];
  for (const o of parseManifest(r.stdout)) {
    if (!o.metadata.namespace && !clusterScoped(o.apiVersion, o.kind)) o.metadata = { ...o.metadata, namespace: opts.namespace };
    (isHook(o) ? hooks : objects).push(o);
  }
  return { objects, hooks };
}

/** Helm's functions whose output changes on every render (generated certificates, random strings, time). */
const RANDOM_FUNCTIONS = /\b(genCA|genCAWithKey|genSelfSignedCert|genSelfSignedCertWithKey|genSignedCert|genSignedCertWithKey|genPrivateKey|randAlphaNum|randAlpha|randNumeric|randAscii|randBytes|randInt|uuidv4|now)\b/;

/** Whether any template file of an unpacked chart (subcharts included) matches `re`. */
export function templatesMention(chartDir: string, re: RegExp): boolean {
  const visit = (dir: string): boolean =>
    fs.readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return visit(p);
      return /\.(ya?ml|tpl|txt|json)$/.test(e.name) && re.test(fs.readFileSync(p, "utf8"));
    });
  return fs.existsSync(chartDir) && visit(chartDir);
}

/** Whether a chart calls a random or time function (its output differs on every render). */
export const usesRandomness = (chartDir: string) => templatesMention(chartDir, RANDOM_FUNCTIONS);

/** JSON paths (`/`-joined) where two renders differ: the values the engine only knows at deploy time. */
export function differingPaths(a: unknown, b: unknown, at = ""): string[] {
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((x, i) => differingPaths(x, b[i], `${at}/${i}`));
  if (isPlainObject(a) && isPlainObject(b) && Object.keys(a).join("\0") === Object.keys(b).join("\0")) {
    return Object.keys(a).flatMap((k) => differingPaths(a[k], b[k], `${at}/${k}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

/** A copy of `x` with the value at each path replaced by `marker` (paths that do not exist are skipped). */
export function maskPaths<T>(x: T, paths: string[], marker: unknown): T {
  if (!paths.length) return x;
  const copy = structuredClone(x) as unknown;
  for (const p of paths) {
    const parts = p.split("/").slice(1);
    let node: unknown = copy;
    for (const k of parts.slice(0, -1)) node = isPlainObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[k] : undefined;
    if (isPlainObject(node) || Array.isArray(node)) {
      const last = parts[parts.length - 1];
      if (last in (node as object)) (node as Record<string, unknown>)[last] = marker;
    }
  }
  return copy as T;
}

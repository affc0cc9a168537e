/**
 * Workload policies: the Pod Security level of the namespace plus our standards (read-only root,
 * resources, probes, pinned images) for every kind with a pod spec, ours and chart-rendered, and no
 * secret as a literal in env vars or ConfigMaps.
 */
import { UnknownValueError, type PolicyResource, type ReportViolation, type StackValidationArgs } from "@pulumi/policy";
import { containersOf, ENFORCE_LABEL, isPodSecurityLevel, podSecurityFindings, type PodSecurityLevel } from "../../infra/kube/pod-security";
import { SECRET } from "../../infra/plan/types";
import { asArray, asBool, asObject, asString, at, atPath, isChartRendered, isKube, podSpecOf, readKnown, type Json } from "../lib/props";
import { asvs, cisK8s, levels, owasp, pci, type TrademasterStackPolicy } from "../lib/types";

/** Image references that name an exact version: a digest, or a tag that is not floating. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  if (colon < 0) return false;
  const tag = image.slice(colon + 1);
  return tag.length > 0 && !/^(latest|stable|main|master|edge|nightly|dev)$/i.test(tag) && /\d/.test(tag);
}

/** The Pod Security level each namespace of the plan declares for admission (its enforce label). */
export function namespaceLevels(resources: PolicyResource[]): Map<string, PodSecurityLevel> {
  const out = new Map<string, PodSecurityLevel>();
  for (const r of resources) {
    // A NamespacePatch declares the level of a namespace the cluster already has (kube-system).
    if (!isKube(r.type, "core", "Namespace") && !isKube(r.type, "core", "NamespacePatch")) continue;
    const name = asString(at(r.props, "metadata", "name"));
    const level = at(r.props, "metadata", "labels", ENFORCE_LABEL);
    // A namespace without the label is held to restricted: an exception must be declared.
    if (name) out.set(name, isPodSecurityLevel(level) ? level : "restricted");
  }
  return out;
}

/** A finding at a property path relative to what was checked (a container, a pod spec). */
export interface Finding {
  path: string;
  message: string;
}

/**
 * The Pod Security findings of a workload at property paths relative to the resource: `podPath`
 * is its pod spec's, `metaPath` its pod template metadata's. A property both levels check
 * (added capabilities, seccomp) is reported once, in restricted's words.
 */
export function podSecurityAt(pod: Json, podPath: string, metaPath: string, level: PodSecurityLevel, annotations: Record<string, string> = {}): Finding[] {
  const byPath = new Map<string, Finding>();
  for (const f of podSecurityFindings(pod, level, annotations)) {
    const path = `${f.onMetadata ? metaPath : podPath}.${f.path}`;
    if (!byPath.has(path) || f.level === "restricted") byPath.set(path, { path, message: f.message });
  }
  return [...byPath.values()];
}

/**
 * Our standards beyond Pod Security, per container: resources, probes, pinned image, read-only
 * root. `cpuLimit: false` (chart-rendered containers) asks for a memory limit only: a chart's
 * controllers and sidecars are sized by requests, and a CPU limit only throttles them.
 */
export function containerStandards(c: Json, opts: { probes: boolean; readOnlyRoot: boolean; cpuLimit?: boolean }): Finding[] {
  const f: Finding[] = [];
  if (opts.readOnlyRoot && asBool(at(c, "securityContext", "readOnlyRootFilesystem")) !== true) {
    f.push({ path: "securityContext.readOnlyRootFilesystem", message: "is not true" });
  }
  for (const kind of ["requests", "limits"]) {
    const r = asObject(at(c, "resources", kind));
    const needed = kind === "limits" && opts.cpuLimit === false ? ["memory"] : ["cpu", "memory"];
    const missing = needed.filter((k) => r?.[k] === undefined);
    if (missing.length) f.push({ path: `resources.${kind}`, message: `has no ${missing.join(" and ")}` });
  }
  if (opts.probes) {
    if (!asObject(c.readinessProbe)) f.push({ path: "readinessProbe", message: "is missing" });
    if (!asObject(c.livenessProbe)) f.push({ path: "livenessProbe", message: "is missing" });
  }
  // An image from another resource (an ECR URL) is unknown in preview: nothing to pin-check then.
  const image = readKnown(c, "image");
  if (image !== undefined && !isPinnedImage(asString(image) ?? "")) f.push({ path: "image", message: `"${String(image)}" is not pinned to a version tag or digest` });
  return f;
}

function checkWorkload(r: PolicyResource, nsLevels: Map<string, PodSecurityLevel>, report: ReportViolation): void {
  const w = podSpecOf(r.type, r.props);
  if (!w) return;
  if (!w.pod) {
    report(atPath(w.path, "is missing: no pod spec to check"), r.urn);
    return;
  }
  const ns = asString(at(r.props, "metadata", "namespace")) ?? "default";
  const level = nsLevels.get(ns) ?? "restricted";
  // The pod template's metadata sits beside its spec (`spec.template.spec` → `spec.template.metadata`).
  const metaPath = w.path.replace(/(^|\.)spec$/, "$1metadata");
  const annotations = Object.fromEntries(Object.entries(asObject(at(r.props, ...metaPath.split("."), "annotations")) ?? {}).filter((e): e is [string, string] => typeof e[1] === "string"));
  for (const f of podSecurityAt(w.pod, w.path, metaPath, level, annotations)) report(atPath(f.path, `${f.message} (Pod Security ${level} of namespace ${ns})`), r.urn);
  // A chart's probes are the chart's design (sidecars such as grafana's k8s-sidecar have none).
  const chart = isChartRendered(r);
  for (const { c, path, init } of containersOf(w.pod)) {
    const opts = { probes: w.longRunning && !init && !chart, readOnlyRoot: level !== "privileged", cpuLimit: !chart };
    for (const f of containerStandards(c, opts)) report(atPath(`${w.path}.${path}.${f.path}`, `(container "${asString(c.name) ?? "?"}") ${f.message}`), r.urn);
  }
}

export const workloadHardening: TrademasterStackPolicy = {
  kind: "stack",
  name: "workload-hardening",
  description:
    "Every workload with a pod spec (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod; ours and chart-rendered) meets the Pod Security level its namespace enforces (restricted unless the namespace declares otherwise), with a read-only root filesystem, requests, limits, probes and pinned images.",
  severity: "high",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  controls: [
    cisK8s("5.2.2", "Minimize the admission of privileged containers"),
    cisK8s("5.2.3-5.2.5", "Minimize host PID, IPC and network namespace sharing"),
    cisK8s("5.2.6", "Minimize the admission of root containers"),
    cisK8s("5.2.7", "Minimize the admission of containers with allowPrivilegeEscalation"),
    cisK8s("5.2.9", "Minimize the admission of containers with capabilities assigned"),
    cisK8s("5.2.12", "Minimize the admission of HostPath volumes"),
    cisK8s("5.7.2", "Ensure seccomp profile is set to docker/default (RuntimeDefault)"),
    owasp("API4:2023", "Unrestricted Resource Consumption"),
    asvs("V14.1.1", "Secure, repeatable build and deployment"),
    pci("2.2.1", "Configuration standards address known vulnerabilities"),
    pci("6.3.2", "Inventory of bespoke and third-party software components"),
  ],
  remediation:
    "In the pod spec set securityContext { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }, and per container securityContext { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] }, readOnlyRootFilesystem: true } (mount an emptyDir for /tmp), resources.requests and resources.limits for cpu and memory, readinessProbe and livenessProbe on long-running containers, and an image pinned to a semver tag or digest; never hostNetwork/hostPID/hostIPC, hostPath or privileged. A workload that truly needs host access (CNI, node agents) runs in a namespace whose pod-security.kubernetes.io/enforce label declares that level (baseline or privileged).",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const nsLevels = namespaceLevels(args.resources);
    let unknown: UnknownValueError | undefined;
    for (const r of args.resources) {
      try {
        checkWorkload(r, nsLevels, report);
      } catch (e) {
        // A value unknown in preview stops this workload's checks only; the engine's "can't run
        // during preview" note is raised after every other workload was checked.
        if (!(e instanceof UnknownValueError)) throw e;
        unknown ??= e;
      }
    }
    if (unknown) throw unknown;
  },
};

/** Names that announce a secret (PASS and PWD as a word: DB_PASS, PGPWD is not matched, DB_PWD is). */
export const SECRET_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API[_-]?KEY|PRIVATE[_-]?KEY|CREDENTIAL|JAAS|AUTH[_-]?KEY|ACCESS[_-]?KEY|(^|[_-])(PASS|PWD)($|[_-]))/i;
/** Names that only point at a secret or describe it (a Secret's name, a file, an ARN, a TTL). */
const REFERENCE_NAME = /(_NAME|_REF|_FILE|_PATH|_HEADER|_TTL|_TTL_SECONDS|_ARN|_URL|_ENABLED|_KEY_ID)$/i;
/** `scheme://user:password@host`: the password part, unless it is a variable reference. */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:([^@\s/]+)@/i;

/** True when `name` announces a secret and `value` is a literal that could be one. */
export function isLiteralSecret(name: string, value: string): boolean {
  if (!SECRET_NAME.test(name) || REFERENCE_NAME.test(name)) return false;
  const v = value.trim();
  if (v === "") return false;
  // Numbers, booleans, durations, file paths and variable references are not secrets.
  if (/^(true|false|\d+(\.\d+)?(ms|s|m|h|d)?)$/i.test(v)) return false;
  if (/^\/[\w./-]*$/.test(v) || /^\$[({]\w+[)}]$/.test(v)) return false;
  return true;
}

/** True when a value is a URL carrying a literal password (`postgresql://user:pw@db`), whatever its name. */
export function hasUrlCredentials(value: string): boolean {
  const m = URL_CREDENTIALS.exec(value);
  return m !== null && !/^\$[({]\w+[)}]$/.test(m[1]);
}

export const noPlaintextSecrets: TrademasterStackPolicy = {
  kind: "stack",
  name: "no-plaintext-secrets",
  description: "No secret as a literal: environment variables and ConfigMaps of every workload kind never carry passwords, tokens, keys or URLs with credentials (use a Secret via secretKeyRef/secretRef).",
  severity: "critical",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  controls: [
    cisK8s("5.4.1", "Prefer using secrets as files over secrets as environment variables"),
    owasp("API8:2023", "Security Misconfiguration"),
    asvs("V2.10.4", "Secrets are not stored in configuration or source"),
    pci("8.3.2", "Authentication factors are protected (strong cryptography)"),
    pci("3.6.1", "Cryptographic keys are protected"),
  ],
  remediation:
    "Move the value into a Kubernetes Secret created from a Pulumi secret (random.RandomPassword or pulumi.secret) and reference it with env[].valueFrom.secretKeyRef or envFrom.secretRef; keep only non-secret settings in ConfigMaps; build connection URLs without the password (pass it separately from a Secret).",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    // A value that names a Secret of the same namespace is a reference (WEBHOOK_SECRET=<secret name>).
    const secrets = new Set(
      args.resources.filter((r) => isKube(r.type, "core", "Secret")).map((r) => `${asString(at(r.props, "metadata", "namespace")) ?? "default"}/${asString(at(r.props, "metadata", "name")) ?? ""}`),
    );
    for (const r of args.resources) {
      const ns = asString(at(r.props, "metadata", "namespace")) ?? "default";
      if (isKube(r.type, "core", "ConfigMap")) {
        const data = asObject(r.props.data) ?? {};
        // Values unknown in preview come from other resources' outputs: they are not literals.
        for (const key of Object.keys(data)) {
          const v = asString(readKnown(data, key)) ?? "";
          const path = `data.${key}`;
          if (v === SECRET) report(atPath(path, "holds a Pulumi secret: it is stored unencrypted in a ConfigMap"), r.urn);
          else if (isLiteralSecret(key, v) && !secrets.has(`${ns}/${v}`)) report(atPath(path, "looks like a secret with a literal value"), r.urn);
          else if (hasUrlCredentials(v)) report(atPath(path, "is a URL with a literal password"), r.urn);
        }
        continue;
      }
      const w = podSpecOf(r.type, r.props);
      if (!w?.pod) continue;
      for (const { c, path } of containersOf(w.pod)) {
        for (const [i, env] of asArray(at(c, "env")).entries()) {
          const name = asString(at(env, "name")) ?? "";
          if (!Object.prototype.hasOwnProperty.call(asObject(env) ?? {}, "value")) continue;
          const value = asString(readKnown(env, "value")) ?? "";
          const where = `${w.path}.${path}.env[${i}].value`;
          const container = `(container "${asString(at(c, "name")) ?? "?"}", env ${name})`;
          if (value === SECRET) report(atPath(where, `${container} holds a Pulumi secret as a plain value`), r.urn);
          else if (isLiteralSecret(name, value) && !secrets.has(`${ns}/${value}`)) report(atPath(where, `${container} has a literal secret-like value`), r.urn);
          else if (hasUrlCredentials(value)) report(atPath(where, `${container} is a URL with a literal password`), r.urn);
        }
      }
    }
  },
};

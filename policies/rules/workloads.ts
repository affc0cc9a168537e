/**
 * Workload policies: Pod Security "restricted" hardening, resources, probes and pinned images for
 * our Deployments/StatefulSets/DaemonSets, and no secret as a literal in env vars or ConfigMaps.
 */
import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { SECRET } from "../../infra/plan/types";
import { asArray, asBool, asObject, asString, at, isKube, readKnown, WORKLOAD_TYPES, type Json } from "../lib/props";
import { asvs, cisK8s, levels, owasp, pci, type TrademasterResourcePolicy } from "../lib/types";

/** Image references that name an exact version: a digest, or a tag that is not floating. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  if (colon < 0) return false;
  const tag = image.slice(colon + 1);
  return tag.length > 0 && !/^(latest|stable|main|master|edge|nightly|dev)$/i.test(tag) && /\d/.test(tag);
}

function podSpecOf(props: Json): Json | undefined {
  return asObject(at(props, "spec", "template", "spec"));
}

/** What a container lacks for the Pod Security "restricted" profile and our standards. */
export function containerProblems(c: Json, pod: Json, opts: { main: boolean }): string[] {
  const name = asString(c.name) ?? "?";
  const sc = asObject(c.securityContext) ?? {};
  const podSc = asObject(pod.securityContext) ?? {};
  const problems: string[] = [];
  const nonRoot = asBool(sc.runAsNonRoot) ?? asBool(podSc.runAsNonRoot);
  if (nonRoot !== true) problems.push("runAsNonRoot is not true");
  if ((at(sc, "runAsUser") ?? at(podSc, "runAsUser")) === 0) problems.push("runAsUser is 0 (root)");
  if (asBool(sc.allowPrivilegeEscalation) !== false) problems.push("allowPrivilegeEscalation is not false");
  if (asBool(sc.privileged) === true) problems.push("privileged is true");
  const drop = asArray(at(sc, "capabilities", "drop")).map((d) => asString(d));
  if (!drop.includes("ALL")) problems.push("capabilities.drop does not include ALL");
  const added = asArray(at(sc, "capabilities", "add")).map((d) => asString(d)).filter((d) => d !== "NET_BIND_SERVICE");
  if (added.length) problems.push(`capabilities.add ${added.join(", ")}`);
  const seccomp = asString(at(sc, "seccompProfile", "type")) ?? asString(at(podSc, "seccompProfile", "type"));
  if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") problems.push("seccompProfile.type is not RuntimeDefault");
  if (asBool(sc.readOnlyRootFilesystem) !== true) problems.push("readOnlyRootFilesystem is not true");
  for (const kind of ["requests", "limits"]) {
    const r = asObject(at(c, "resources", kind));
    const missing = ["cpu", "memory"].filter((k) => r?.[k] === undefined);
    if (missing.length) problems.push(`resources.${kind} without ${missing.join(" and ")}`);
  }
  if (opts.main) {
    if (!asObject(c.readinessProbe)) problems.push("no readinessProbe");
    if (!asObject(c.livenessProbe)) problems.push("no livenessProbe");
  }
  // The image may come from another resource (ECR) and be unknown in preview: checked by the caller then.
  const image = readKnown(c, "image");
  if (image !== undefined && !isPinnedImage(asString(image) ?? "")) problems.push(`image "${String(image)}" is not pinned to a version tag or digest`);
  return problems.map((p) => `container "${name}": ${p}`);
}

export const workloadHardening: TrademasterResourcePolicy = {
  kind: "resource",
  name: "workload-hardening",
  description:
    "Deployments, StatefulSets and DaemonSets meet Pod Security 'restricted': non-root, no privilege escalation, drop ALL, seccomp RuntimeDefault, read-only root filesystem, no host namespaces; with requests, limits, probes and pinned images.",
  severity: "high",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  controls: [
    cisK8s("5.2.2", "Minimize the admission of privileged containers"),
    cisK8s("5.2.3-5.2.5", "Minimize host PID, IPC and network namespace sharing"),
    cisK8s("5.2.6", "Minimize the admission of root containers"),
    cisK8s("5.2.7", "Minimize the admission of containers with allowPrivilegeEscalation"),
    cisK8s("5.2.9", "Minimize the admission of containers with capabilities assigned"),
    cisK8s("5.7.2", "Ensure seccomp profile is set to docker/default (RuntimeDefault)"),
    owasp("API4:2023", "Unrestricted Resource Consumption"),
    asvs("V14.1.1", "Secure, repeatable build and deployment"),
    pci("2.2.1", "Configuration standards address known vulnerabilities"),
    pci("6.3.2", "Inventory of bespoke and third-party software components"),
  ],
  remediation:
    "In the pod template set securityContext { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }, and per container securityContext { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] }, readOnlyRootFilesystem: true } (mount an emptyDir for /tmp), resources.requests and resources.limits for cpu and memory, readinessProbe and livenessProbe, and an image pinned to a semver tag or digest. Never set hostNetwork/hostPID/hostIPC.",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (!(WORKLOAD_TYPES as readonly string[]).includes(args.type)) return;
    const pod = podSpecOf(args.props);
    if (!pod) {
      report("no pod template spec");
      return;
    }
    const hostNs = ["hostNetwork", "hostPID", "hostIPC"].filter((k) => asBool(pod[k]) === true);
    if (hostNs.length) report(`shares host namespaces: ${hostNs.join(", ")}`);
    if (asArray(pod.volumes).some((v) => asObject(at(v, "hostPath")))) report("mounts a hostPath volume");
    const problems = [
      ...asArray(pod.initContainers).flatMap((c) => containerProblems(asObject(c) ?? {}, pod, { main: false })),
      ...asArray(pod.containers).flatMap((c) => containerProblems(asObject(c) ?? {}, pod, { main: true })),
    ];
    for (const p of problems) report(p);
    // Reading an unknown image last makes the engine report "can't run during preview" for the
    // pin check only, after every other finding has been reported.
    for (const c of [...asArray(pod.initContainers), ...asArray(pod.containers)]) void at(c, "image");
  },
};

/** Names that announce a secret. */
export const SECRET_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API[_-]?KEY|PRIVATE[_-]?KEY|CREDENTIAL|JAAS|AUTH[_-]?KEY|ACCESS[_-]?KEY)/i;
/** Names that only point at a secret or describe it (a Secret's name, a file, an ARN, a TTL). */
const REFERENCE_NAME = /(_NAME|_REF|_FILE|_PATH|_HEADER|_TTL|_TTL_SECONDS|_ARN|_URL|_ENABLED|_KEY_ID)$/i;

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

export const noPlaintextSecrets: TrademasterResourcePolicy = {
  kind: "resource",
  name: "no-plaintext-secrets",
  description: "No secret as a literal: environment variables and ConfigMaps never carry passwords, tokens or keys (use a Secret via secretKeyRef/secretRef).",
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
    "Move the value into a Kubernetes Secret created from a Pulumi secret (random.RandomPassword or pulumi.secret) and reference it with env[].valueFrom.secretKeyRef or envFrom.secretRef; keep only non-secret settings in ConfigMaps.",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (isKube(args.type, "core", "ConfigMap")) {
      const data = asObject(args.props.data) ?? {};
      // Values unknown in preview come from other resources' outputs: they are not literals.
      for (const key of Object.keys(data)) {
        const s = asString(readKnown(data, key)) ?? "";
        if (s === SECRET) report(`ConfigMap key "${key}" holds a Pulumi secret: it is stored unencrypted in a ConfigMap`);
        else if (isLiteralSecret(key, s)) report(`ConfigMap key "${key}" looks like a secret with a literal value`);
      }
      return;
    }
    if (!(WORKLOAD_TYPES as readonly string[]).includes(args.type) && !isKube(args.type, "batch", "Job") && !isKube(args.type, "batch", "CronJob")) return;
    const pod = asObject(at(args.props, "spec", "template", "spec")) ?? asObject(at(args.props, "spec", "jobTemplate", "spec", "template", "spec"));
    for (const c of [...asArray(pod?.initContainers), ...asArray(pod?.containers)]) {
      for (const env of asArray(at(c, "env"))) {
        const name = asString(at(env, "name")) ?? "";
        if (!Object.prototype.hasOwnProperty.call(asObject(env) ?? {}, "value")) continue;
        const value = asString(readKnown(env, "value")) ?? "";
        if (value === SECRET) report(`container "${asString(at(c, "name"))}": env ${name} holds a Pulumi secret as a plain value`);
        else if (isLiteralSecret(name, value)) report(`container "${asString(at(c, "name"))}": env ${name} has a literal secret-like value`);
      }
    }
  },
};

/**
 * Pod Security admission, as the API server applies it: every pod template is checked against the
 * `pod-security.kubernetes.io/enforce` level of its namespace (Pod Security Standards, `baseline`
 * and `restricted`; `privileged` admits everything). Pure.
 *
 * The controls (`podSecurityFindings`) are the one implementation: the plan's admission check
 * reads them as short reasons (`podSecurityViolations`), the CrossGuard workload policy as
 * property paths.
 *
 * Pods are checked as they are created, i.e. after Istio's injection webhook (which runs before
 * validating admission): where injection applies, the sidecar and its init container are added
 * with the security context Istio 1.29's injection template gives them.
 */
import { isPlainObject } from "../validation/schema";

export const POD_SECURITY_LEVELS = ["privileged", "baseline", "restricted"] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];
/** The namespace label whose level admission enforces. */
export const ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";

export function isPodSecurityLevel(v: unknown): v is PodSecurityLevel {
  return typeof v === "string" && (POD_SECURITY_LEVELS as readonly string[]).includes(v);
}

type Obj = Record<string, unknown>;
type SecurityContext = {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  appArmorProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  windowsOptions?: { hostProcess?: boolean };
  sysctls?: Array<{ name: string }>;
};
type Container = { name?: string; securityContext?: SecurityContext; ports?: Array<{ hostPort?: number }> };
export type PodSpec = {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Array<Record<string, unknown> & { name?: string }>;
};

/** Where a pod template sits in a workload kind. */
export function podTemplateOf(obj: Obj): { spec: PodSpec; metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } } | undefined {
  const spec = obj.spec as Obj | undefined;
  const pick = (t: unknown) => (isPlainObject(t) && isPlainObject(t.spec) ? { spec: t.spec as PodSpec, metadata: (t.metadata ?? {}) as { labels?: Record<string, string> } } : undefined);
  switch (obj.kind) {
    case "Pod":
      return pick(obj);
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      return pick(spec?.template);
    case "CronJob":
      return pick((spec?.jobTemplate as Obj | undefined)?.spec && ((spec?.jobTemplate as Obj).spec as Obj).template);
    default:
      return undefined;
  }
}

const BASELINE_CAPABILITIES = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);
/** The "safe" sysctls baseline allows (v1.33). */
const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);
const RESTRICTED_VOLUMES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);
const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

/** One thing a pod does that its Pod Security level forbids. */
export interface PodSecurityFinding {
  /** Property path relative to the pod spec (`containers[0].securityContext.privileged`), or to the pod template's metadata when `onMetadata`. */
  path: string;
  onMetadata?: true;
  /** The level whose control this is (restricted includes every baseline control). */
  level: "baseline" | "restricted";
  /** The control, in the API server's short words ("privileged", "allowPrivilegeEscalation != false"). */
  control: string;
  /** What the control concerns: `container "app"`, `pod`, a volume, port or sysctl name. */
  subject: string;
  /** What is wrong at `path` ("is true (privileged container)"). */
  message: string;
}

const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const strs = (v: unknown): string[] => arr(v).map((x) => str(x) ?? "");

/** Every container of a pod with its path: init, regular and ephemeral (`init` for all but regular). */
export function containersOf(pod: object): Array<{ c: Obj; path: string; init: boolean; subject: string }> {
  const kinds = { initContainers: "initContainer", containers: "container", ephemeralContainers: "ephemeralContainer" } as const;
  return (Object.keys(kinds) as Array<keyof typeof kinds>).flatMap((field) =>
    arr((pod as Obj)[field]).map((raw, i) => {
      const c = obj(raw);
      return { c, path: `${field}[${i}]`, init: field !== "containers", subject: `${kinds[field]} "${str(c.name) ?? "?"}"` };
    }),
  );
}

/**
 * The controls of the Pod Security Standards (v1.33) a pod spec breaks at `level` (none for
 * `privileged`), each with the property path it concerns. `annotations` are the pod template's
 * (AppArmor's legacy per-container annotations). A property both levels check (added capabilities,
 * seccomp) yields a finding per level.
 */
export function podSecurityFindings(pod: object, level: PodSecurityLevel, annotations: Record<string, string> = {}): PodSecurityFinding[] {
  if (level === "privileged") return [];
  const out: PodSecurityFinding[] = [];
  const spec = pod as Obj;
  const podSc = obj(spec.securityContext);
  const containers = containersOf(pod);
  let lvl: PodSecurityFinding["level"] = "baseline";
  const add = (path: string, control: string, subject: string, message: string) => out.push({ path, level: lvl, control, subject, message });
  // Checks both the pod's and every container's securityContext hold to.
  const contexts = [{ sc: podSc, base: "securityContext", subject: "pod" }, ...containers.map(({ c, path, subject }) => ({ sc: obj(c.securityContext), base: `${path}.securityContext`, subject }))];

  // baseline
  for (const { sc, base, subject } of contexts) if (obj(sc.windowsOptions).hostProcess === true) add(`${base}.windowsOptions.hostProcess`, "hostProcess", subject, "is true (Windows HostProcess)");
  for (const k of ["hostNetwork", "hostPID", "hostIPC"]) if (spec[k] === true) add(k, "host namespaces", `${k}=true`, "shares a host namespace");
  for (const { c, path, subject } of containers) {
    const sc = obj(c.securityContext);
    const base = `${path}.securityContext`;
    if (sc.privileged === true) add(`${base}.privileged`, "privileged", subject, "is true (privileged container)");
    const added = strs(obj(sc.capabilities).add).filter((a) => !BASELINE_CAPABILITIES.has(a));
    if (added.length) add(`${base}.capabilities.add`, "non-default capabilities added", subject, `adds ${added.join(", ")}`);
    const proc = str(sc.procMount);
    if (proc !== undefined && proc !== "Default") add(`${base}.procMount`, "procMount", subject, `is ${proc}`);
    for (const [j, p] of arr(c.ports).entries()) {
      const hostPort = obj(p).hostPort;
      if (hostPort !== undefined && hostPort !== 0) add(`${path}.ports[${j}].hostPort`, "hostPort", str(c.name) ?? "?", `binds host port ${String(hostPort)}`);
    }
  }
  for (const [i, v] of arr(spec.volumes).entries()) if (obj(v).hostPath !== undefined) add(`volumes[${i}].hostPath`, "hostPath volumes", str(obj(v).name) ?? "?", "mounts a hostPath volume");
  for (const { sc, base, subject } of contexts) {
    const apparmor = str(obj(sc.appArmorProfile).type);
    if (apparmor !== undefined && apparmor !== "RuntimeDefault" && apparmor !== "Localhost") add(`${base}.appArmorProfile.type`, "forbidden AppArmor profile", subject, `is ${apparmor}`);
  }
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith(APPARMOR_ANNOTATION) && v !== "runtime/default" && !v.startsWith("localhost/")) {
      out.push({ path: `annotations["${k}"]`, onMetadata: true, level: lvl, control: "forbidden AppArmor annotation", subject: `${k}=${v}`, message: `is ${v}` });
    }
  }
  for (const { sc, base, subject } of contexts) {
    if (!isPlainObject(sc.seLinuxOptions)) continue;
    const se = sc.seLinuxOptions;
    if (!SELINUX_TYPES.has(str(se.type) ?? "")) add(`${base}.seLinuxOptions.type`, "seLinuxOptions", subject, `is ${str(se.type)}`);
    for (const k of ["user", "role"]) if ((str(se[k]) ?? "") !== "") add(`${base}.seLinuxOptions.${k}`, "seLinuxOptions", subject, "is set");
  }
  for (const { sc, base, subject } of contexts) if (str(obj(sc.seccompProfile).type) === "Unconfined") add(`${base}.seccompProfile.type`, "seccompProfile Unconfined", subject, "is Unconfined");
  for (const [i, s] of arr(podSc.sysctls).entries()) {
    const name = str(obj(s).name) ?? "";
    if (!SAFE_SYSCTLS.has(name)) add(`securityContext.sysctls[${i}]`, "forbidden sysctls", name, `sets the unsafe sysctl ${name}`);
  }
  if (level === "baseline") return out;

  // restricted (a hostPath volume is already refused by baseline's control)
  lvl = "restricted";
  for (const [i, v] of arr(spec.volumes).entries()) {
    const bad = Object.keys(obj(v)).filter((k) => k !== "name" && k !== "hostPath" && !RESTRICTED_VOLUMES.has(k));
    if (bad.length) add(`volumes[${i}].${bad[0]}`, "restricted volume types", str(obj(v).name) ?? "?", `volume type ${bad.join(", ")} is not allowed by restricted`);
  }
  if (podSc.runAsUser === 0) add("securityContext.runAsUser", "runAsUser=0", "pod", "is 0 (root)");
  const podSeccomp = str(obj(podSc.seccompProfile).type);
  for (const { c, path, subject } of containers) {
    const sc = obj(c.securityContext);
    const base = `${path}.securityContext`;
    if (sc.allowPrivilegeEscalation !== false) add(`${base}.allowPrivilegeEscalation`, "allowPrivilegeEscalation != false", subject, "is not false");
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) add(`${base}.runAsNonRoot`, "runAsNonRoot != true", subject, "is not true (neither on the container nor on the pod)");
    if (sc.runAsUser === 0) add(`${base}.runAsUser`, "runAsUser=0", subject, "is 0 (root)");
    const seccomp = str(obj(sc.seccompProfile).type) ?? podSeccomp;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      add(`${base}.seccompProfile.type`, "seccompProfile not RuntimeDefault or Localhost", subject, "is not RuntimeDefault or Localhost (neither on the container nor on the pod)");
    }
    if (!strs(obj(sc.capabilities).drop).includes("ALL")) add(`${base}.capabilities.drop`, 'capabilities.drop must include "ALL"', subject, "does not include ALL");
    const added = strs(obj(sc.capabilities).add).filter((a) => a !== "NET_BIND_SERVICE");
    if (added.length) add(`${base}.capabilities.add`, "capabilities.add other than NET_BIND_SERVICE", subject, `adds ${added.join(", ")} (restricted allows NET_BIND_SERVICE only)`);
  }
  return out;
}

/** Violations of a level by one pod spec (after injection), one short reason per control like the API server's. */
export function podSecurityViolations(pod: PodSpec, level: PodSecurityLevel, annotations: Record<string, string> = {}): string[] {
  const subjects = new Map<string, Set<string>>();
  for (const f of podSecurityFindings(pod, level, annotations)) subjects.set(f.control, (subjects.get(f.control) ?? new Set()).add(f.subject));
  return [...subjects].map(([control, s]) => `${control} (${[...s].join(", ")})`);
}

/** The containers Istio 1.29's injection template adds (sidecar; with istio-cni its validation init container). */
export function istioInjected(cni: boolean): { initContainers: Container[]; containers: Container[] } {
  const proxy: SecurityContext = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    privileged: false,
    runAsNonRoot: true,
    runAsUser: 1337,
  };
  // Without the CNI agent, istio-init programs iptables itself: root with NET_ADMIN and NET_RAW.
  const init: SecurityContext = cni
    ? proxy
    : { allowPrivilegeEscalation: false, capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] }, privileged: false, runAsNonRoot: false, runAsUser: 0 };
  return { initContainers: [{ name: cni ? "istio-validation" : "istio-init", securityContext: init }], containers: [{ name: "istio-proxy", securityContext: proxy }] };
}

export interface NamespacePolicy {
  enforce: PodSecurityLevel;
  /** `istio-injection: enabled`. */
  injection: boolean;
}

/** Pod Security level and injection of the Namespace objects of a plan. */
export function namespacePolicies(objects: Obj[]): Map<string, NamespacePolicy> {
  const out = new Map<string, NamespacePolicy>();
  for (const o of objects) {
    if (o.kind !== "Namespace" || o.apiVersion !== "v1") continue;
    const meta = o.metadata as { name: string; labels?: Record<string, string> };
    const enforce = meta.labels?.[ENFORCE_LABEL];
    out.set(meta.name, {
      enforce: enforce === "baseline" || enforce === "restricted" ? enforce : "privileged",
      injection: meta.labels?.["istio-injection"] === "enabled",
    });
  }
  return out;
}

/** Whether Istio's webhook injects a pod (namespace label, pod label/annotation opt-out, host network). */
export function isInjected(ns: NamespacePolicy | undefined, meta: { labels?: Record<string, string>; annotations?: Record<string, string> }, pod: PodSpec): boolean {
  if (pod.hostNetwork) return false;
  const podChoice = meta.labels?.["sidecar.istio.io/inject"] ?? meta.annotations?.["sidecar.istio.io/inject"];
  if (podChoice === "false") return false;
  return ns?.injection === true || (podChoice === "true" && ns !== undefined);
}

export interface AdmissionIssue {
  object: string;
  urn?: string;
  namespace: string;
  level: PodSecurityLevel;
  violations: string[];
}

/**
 * Checks every pod template of `objects` against its namespace's enforce level; namespaces the
 * plan does not declare are not judged (their level is the cluster's default).
 */
export function podSecurityIssues(objects: Array<{ urn?: string; object: Obj }>, opts: { istioCni: boolean }): AdmissionIssue[] {
  const policies = namespacePolicies(objects.map((o) => o.object));
  const issues: AdmissionIssue[] = [];
  for (const { urn, object } of objects) {
    const t = podTemplateOf(object);
    if (!t) continue;
    const meta = object.metadata as { name?: string; namespace?: string };
    const ns = meta.namespace ?? "default";
    const policy = policies.get(ns);
    if (!policy || policy.enforce === "privileged") continue;
    let spec = t.spec;
    if (isInjected(policy, t.metadata, spec)) {
      const add = istioInjected(opts.istioCni);
      spec = { ...spec, initContainers: [...(spec.initContainers ?? []), ...add.initContainers], containers: [...(spec.containers ?? []), ...add.containers] };
    }
    const violations = podSecurityViolations(spec, policy.enforce, t.metadata.annotations);
    if (violations.length) issues.push({ object: `${object.kind} ${ns}/${meta.name}`, urn, namespace: ns, level: policy.enforce, violations });
  }
  return issues.sort((a, b) => a.object.localeCompare(b.object));
}

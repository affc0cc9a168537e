/**
 * Pod Security admission, as the API server applies it: every pod template is checked against the
 * `pod-security.kubernetes.io/enforce` level of its namespace (Pod Security Standards, `baseline`
 * and `restricted`; `privileged` admits everything). Pure.
 *
 * Pods are checked as they are created, i.e. after Istio's injection webhook (which runs before
 * validating admission): where injection applies, the sidecar and its init container are added
 * with the security context Istio 1.29's injection template gives them.
 */
import { isPlainObject } from "../validation/schema";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

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

/** Violations of a level by one pod spec (after injection), as short reasons like the API server's. */
export function podSecurityViolations(pod: PodSpec, level: PodSecurityLevel, annotations: Record<string, string> = {}): string[] {
  if (level === "privileged") return [];
  const out: string[] = [];
  const psc = pod.securityContext ?? {};
  const all: Array<{ kind: string; c: Container }> = [
    ...(pod.initContainers ?? []).map((c) => ({ kind: "initContainer", c })),
    ...(pod.containers ?? []).map((c) => ({ kind: "container", c })),
    ...(pod.ephemeralContainers ?? []).map((c) => ({ kind: "ephemeralContainer", c })),
  ];
  const each = (test: (sc: SecurityContext) => boolean, why: string) => {
    const bad = all.filter(({ c }) => test(c.securityContext ?? {})).map(({ kind, c }) => `${kind} "${c.name ?? "?"}"`);
    if (bad.length) out.push(`${why} (${bad.join(", ")})`);
  };
  // baseline
  if (psc.windowsOptions?.hostProcess) out.push("hostProcess");
  each((sc) => sc.windowsOptions?.hostProcess === true, "hostProcess");
  for (const k of ["hostNetwork", "hostPID", "hostIPC"] as const) if (pod[k]) out.push(`host namespaces (${k}=true)`);
  each((sc) => sc.privileged === true, "privileged");
  each((sc) => (sc.capabilities?.add ?? []).some((a) => !BASELINE_CAPABILITIES.has(a)), "non-default capabilities added");
  const hostPath = (pod.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name);
  if (hostPath.length) out.push(`hostPath volumes (${hostPath.join(", ")})`);
  const hostPorts = all.filter(({ c }) => (c.ports ?? []).some((p) => p.hostPort !== undefined && p.hostPort !== 0));
  if (hostPorts.length) out.push(`hostPort (${hostPorts.map(({ c }) => c.name).join(", ")})`);
  const badAppArmor = (t?: string) => t !== undefined && t !== "RuntimeDefault" && t !== "Localhost";
  if (badAppArmor(psc.appArmorProfile?.type)) out.push(`appArmorProfile ${psc.appArmorProfile?.type}`);
  each((sc) => badAppArmor(sc.appArmorProfile?.type), "forbidden AppArmor profile");
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith("container.apparmor.security.beta.kubernetes.io/") && v !== "runtime/default" && !v.startsWith("localhost/")) out.push(`AppArmor annotation ${k}=${v}`);
  }
  const badSelinux = (o?: SecurityContext["seLinuxOptions"]) => o !== undefined && (!SELINUX_TYPES.has(o.type ?? "") || !!o.user || !!o.role);
  if (badSelinux(psc.seLinuxOptions)) out.push("seLinuxOptions");
  each((sc) => badSelinux(sc.seLinuxOptions), "seLinuxOptions");
  each((sc) => sc.procMount !== undefined && sc.procMount !== "Default", "procMount");
  if (psc.seccompProfile?.type === "Unconfined") out.push("seccompProfile Unconfined");
  each((sc) => sc.seccompProfile?.type === "Unconfined", "seccompProfile Unconfined");
  const unsafe = (psc.sysctls ?? []).map((s) => s.name).filter((n) => !SAFE_SYSCTLS.has(n));
  if (unsafe.length) out.push(`forbidden sysctls (${unsafe.join(", ")})`);
  if (level === "baseline") return out.filter(Boolean);
  // restricted
  const badVolumes = (pod.volumes ?? []).filter((v) => !Object.keys(v).some((k) => RESTRICTED_VOLUMES.has(k))).map((v) => v.name);
  if (badVolumes.length) out.push(`restricted volume types (${badVolumes.join(", ")})`);
  each((sc) => sc.allowPrivilegeEscalation !== false, "allowPrivilegeEscalation != false");
  each((sc) => (sc.runAsNonRoot ?? psc.runAsNonRoot) !== true, "runAsNonRoot != true");
  if (psc.runAsUser === 0) out.push("runAsUser=0 (pod)");
  each((sc) => sc.runAsUser === 0, "runAsUser=0");
  const seccompOk = (t?: string) => t === "RuntimeDefault" || t === "Localhost";
  each((sc) => !seccompOk(sc.seccompProfile?.type ?? psc.seccompProfile?.type), "seccompProfile not RuntimeDefault or Localhost");
  each((sc) => !(sc.capabilities?.drop ?? []).includes("ALL"), 'capabilities.drop must include "ALL"');
  each((sc) => (sc.capabilities?.add ?? []).some((a) => a !== "NET_BIND_SERVICE"), "capabilities.add other than NET_BIND_SERVICE");
  return out.filter(Boolean);
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
    const enforce = meta.labels?.["pod-security.kubernetes.io/enforce"];
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

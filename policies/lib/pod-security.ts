/**
 * Kubernetes Pod Security Standards (v1.33) as pure checks over a pod spec: the controls of the
 * `baseline` and `restricted` levels, each finding with the property path it concerns. The level
 * of a namespace is its `pod-security.kubernetes.io/enforce` label (what admission enforces).
 */
import { asArray, asBool, asObject, asString, at, type Json } from "./props";

export const POD_SECURITY_LEVELS = ["privileged", "baseline", "restricted"] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];
export const ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";

export interface Finding {
  /** Property path relative to the pod spec (`containers[0].securityContext.privileged`). */
  path: string;
  message: string;
}

/** Capabilities baseline allows a container to add. */
export const BASELINE_CAPABILITIES = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];
/** The "safe" sysctls baseline allows (v1.33). */
export const SAFE_SYSCTLS = [
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
];
const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];
/** Volume types restricted allows. */
export const RESTRICTED_VOLUME_TYPES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

/** Every container of a pod with its path: init, regular and ephemeral. */
export function containersOf(pod: Json): Array<{ c: Json; path: string; init: boolean }> {
  return (["initContainers", "containers", "ephemeralContainers"] as const).flatMap((field) =>
    asArray(pod[field]).map((c, i) => ({ c: asObject(c) ?? {}, path: `${field}[${i}]`, init: field !== "containers" })),
  );
}

export function isPodSecurityLevel(v: unknown): v is PodSecurityLevel {
  return typeof v === "string" && (POD_SECURITY_LEVELS as readonly string[]).includes(v);
}

function baseline(pod: Json): Finding[] {
  const f: Finding[] = [];
  const podSc = asObject(pod.securityContext) ?? {};
  for (const k of ["hostNetwork", "hostPID", "hostIPC"]) if (asBool(pod[k]) === true) f.push({ path: k, message: "shares a host namespace" });
  if (asBool(at(podSc, "windowsOptions", "hostProcess")) === true) f.push({ path: "securityContext.windowsOptions.hostProcess", message: "runs a Windows HostProcess pod" });
  for (const [i, v] of asArray(pod.volumes).entries()) if (asObject(at(v, "hostPath"))) f.push({ path: `volumes[${i}].hostPath`, message: "mounts a hostPath volume" });
  for (const [i, s] of asArray(podSc.sysctls).entries()) {
    const name = asString(at(s, "name")) ?? "";
    if (!SAFE_SYSCTLS.includes(name)) f.push({ path: `securityContext.sysctls[${i}]`, message: `sets the unsafe sysctl ${name}` });
  }
  const scChecks = (sc: Json, base: string) => {
    if (asString(at(sc, "seccompProfile", "type")) === "Unconfined") f.push({ path: `${base}.seccompProfile.type`, message: "is Unconfined" });
    const apparmor = asString(at(sc, "appArmorProfile", "type"));
    if (apparmor !== undefined && apparmor !== "RuntimeDefault" && apparmor !== "Localhost") f.push({ path: `${base}.appArmorProfile.type`, message: `is ${apparmor}` });
    const se = asObject(sc.seLinuxOptions);
    if (se && !SELINUX_TYPES.includes(asString(se.type) ?? "")) f.push({ path: `${base}.seLinuxOptions.type`, message: `is ${asString(se.type)}` });
    for (const k of ["user", "role"]) if (se && (asString(se[k]) ?? "") !== "") f.push({ path: `${base}.seLinuxOptions.${k}`, message: "is set" });
  };
  scChecks(podSc, "securityContext");
  for (const { c, path } of containersOf(pod)) {
    const sc = asObject(c.securityContext) ?? {};
    const base = `${path}.securityContext`;
    if (asBool(sc.privileged) === true) f.push({ path: `${base}.privileged`, message: "is true (privileged container)" });
    if (asBool(at(sc, "windowsOptions", "hostProcess")) === true) f.push({ path: `${base}.windowsOptions.hostProcess`, message: "is true" });
    const added = asArray(at(sc, "capabilities", "add")).map((x) => asString(x) ?? "").filter((x) => !BASELINE_CAPABILITIES.includes(x));
    if (added.length) f.push({ path: `${base}.capabilities.add`, message: `adds ${added.join(", ")}` });
    const proc = asString(sc.procMount);
    if (proc !== undefined && proc !== "Default") f.push({ path: `${base}.procMount`, message: `is ${proc}` });
    for (const [j, p] of asArray(c.ports).entries()) {
      const hostPort = at(p, "hostPort");
      if (hostPort !== undefined && hostPort !== 0) f.push({ path: `${path}.ports[${j}].hostPort`, message: `binds host port ${String(hostPort)}` });
    }
    scChecks(sc, base);
  }
  return f;
}

function restricted(pod: Json): Finding[] {
  const f: Finding[] = [];
  const podSc = asObject(pod.securityContext) ?? {};
  for (const [i, v] of asArray(pod.volumes).entries()) {
    const kinds = Object.keys(asObject(v) ?? {}).filter((k) => k !== "name");
    const bad = kinds.filter((k) => !RESTRICTED_VOLUME_TYPES.includes(k) && k !== "hostPath");
    if (bad.length) f.push({ path: `volumes[${i}].${bad[0]}`, message: `volume type ${bad.join(", ")} is not allowed by restricted` });
  }
  const podNonRoot = asBool(podSc.runAsNonRoot);
  const podSeccomp = asString(at(podSc, "seccompProfile", "type"));
  if (at(podSc, "runAsUser") === 0) f.push({ path: "securityContext.runAsUser", message: "is 0 (root)" });
  for (const { c, path } of containersOf(pod)) {
    const sc = asObject(c.securityContext) ?? {};
    const base = `${path}.securityContext`;
    if (asBool(sc.allowPrivilegeEscalation) !== false) f.push({ path: `${base}.allowPrivilegeEscalation`, message: "is not false" });
    const nonRoot = asBool(sc.runAsNonRoot);
    if (nonRoot === false || (nonRoot === undefined && podNonRoot !== true)) f.push({ path: `${base}.runAsNonRoot`, message: "is not true (neither on the container nor on the pod)" });
    if (sc.runAsUser === 0) f.push({ path: `${base}.runAsUser`, message: "is 0 (root)" });
    const seccomp = asString(at(sc, "seccompProfile", "type")) ?? podSeccomp;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") f.push({ path: `${base}.seccompProfile.type`, message: "is not RuntimeDefault or Localhost (neither on the container nor on the pod)" });
    const drop = asArray(at(sc, "capabilities", "drop")).map((x) => asString(x));
    if (!drop.includes("ALL")) f.push({ path: `${base}.capabilities.drop`, message: "does not include ALL" });
    const added = asArray(at(sc, "capabilities", "add")).map((x) => asString(x) ?? "").filter((x) => x !== "NET_BIND_SERVICE");
    if (added.length) f.push({ path: `${base}.capabilities.add`, message: `adds ${added.join(", ")} (restricted allows NET_BIND_SERVICE only)` });
  }
  return f;
}

/** What a pod spec does that the Pod Security level forbids (empty for `privileged`). */
export function podSecurityFindings(pod: Json, level: PodSecurityLevel): Finding[] {
  if (level === "privileged") return [];
  if (level === "baseline") return baseline(pod);
  // A control both levels check (added capabilities, seccomp) is reported once, with restricted's words.
  const byPath = new Map<string, Finding>();
  for (const finding of [...baseline(pod), ...restricted(pod)]) byPath.set(finding.path, finding);
  return [...byPath.values()];
}

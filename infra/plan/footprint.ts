/**
 * Resource requests of a plan: what the stack asks the cluster to reserve. Pure.
 * Counted from every Kubernetes object (Deployments, StatefulSets, custom resources such as
 * Strimzi node pools or CloudNativePG clusters) and every Helm chart's values: each
 * `resources.requests` found is multiplied by the nearest enclosing replica count
 * (`replicas`, `replicaCount`, `instances`, `count`, `nodeCount`). Pods in namespaces with
 * sidecar injection add one Istio proxy each; a DaemonSet runs (and is counted) once per node.
 * A chart rendered into the plan (infra/plan/charts.ts) is counted from its rendered objects;
 * a chart that was not rendered is estimated from its values, which miss any component whose
 * requests our values do not set (the bench lists charts where none were found).
 */
import type { PlatformConfig } from "../config/schema";
import { SIDECAR_MEMORY_REQUEST } from "../mesh/pod-annotations";
import type { Plan } from "./types";

export interface Footprint {
  cpuMillis: number;
  memoryMiB: number;
  /** Contributions per resource (name → cpu m / memory MiB), for the report. */
  items: Array<{ source: string; cpuMillis: number; memoryMiB: number }>;
  /** Helm charts whose values declared no requests at all. */
  chartsWithoutRequests: string[];
}

export function cpuToMillis(q: unknown): number {
  if (typeof q === "number") return q * 1000;
  if (typeof q !== "string") return 0;
  if (q.endsWith("m")) return Number(q.slice(0, -1));
  return Number(q) * 1000;
}

const MEM_UNITS: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, K: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576 };

export function memoryToMiB(q: unknown): number {
  if (typeof q === "number") return q / 1048576;
  if (typeof q !== "string") return 0;
  const m = /^(\d+(?:\.\d+)?)([KMGT]i?)?$/.exec(q);
  if (!m) return 0;
  return Number(m[1]) * (m[2] ? (MEM_UNITS[m[2]] ?? 0) : 1 / 1048576);
}

const REPLICA_KEYS = ["replicas", "replicaCount", "instances", "count", "nodeCount"];

/** Sums requests × replicas inside one object or values tree. */
export function requestsIn(tree: unknown): { cpuMillis: number; memoryMiB: number } {
  let cpu = 0;
  let mem = 0;
  const walk = (node: unknown, multiplier: number) => {
    if (Array.isArray(node)) {
      node.forEach((n) => walk(n, multiplier));
      return;
    }
    if (node === null || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    if (o.enabled === false) return;
    let m = multiplier;
    for (const k of REPLICA_KEYS) if (typeof o[k] === "number") m = o[k] as number;
    const res = o.resources as { requests?: Record<string, unknown> } | undefined;
    if (res && typeof res === "object" && res.requests && typeof res.requests === "object") {
      cpu += cpuToMillis(res.requests.cpu) * m;
      mem += memoryToMiB(res.requests.memory) * m;
    }
    for (const [k, v] of Object.entries(o)) if (k !== "resources") walk(v, m);
  };
  walk(tree, 1);
  return { cpuMillis: cpu, memoryMiB: mem };
}

/** Footprint of a plan; `meshedNamespaces` get an Istio proxy per pod of a Deployment/StatefulSet. */
export function planFootprint(plan: Plan, sidecar: { cpuMillis: number; memoryMiB: number }, meshedNamespaces: Set<string>, nodes = 1): Footprint {
  const items: Footprint["items"] = [];
  const chartsWithoutRequests: string[] = [];
  const renderedCharts = new Set(plan.resources.filter((r) => r.parent && r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/")).map((r) => r.parent));
  for (const r of plan.resources) {
    if (r.type === "kubernetes:helm.sh/v4:Chart" && renderedCharts.has(r.urn)) continue;
    if (r.type === "kubernetes:helm.sh/v4:Chart") {
      const f = requestsIn(r.inputs.values);
      if (f.cpuMillis === 0 && f.memoryMiB === 0) chartsWithoutRequests.push(r.name);
      const ns = typeof r.inputs.namespace === "string" ? r.inputs.namespace : "";
      const proxies = meshedNamespaces.has(ns) ? 1 : 0;
      items.push({ source: `chart ${r.name}`, cpuMillis: f.cpuMillis + proxies * sidecar.cpuMillis, memoryMiB: f.memoryMiB + proxies * sidecar.memoryMiB });
      continue;
    }
    const kind = typeof r.inputs.kind === "string" ? r.inputs.kind : /^kubernetes:[^:]+:([A-Za-z0-9]+)$/.exec(r.type)?.[1];
    if (!r.custom || !r.type.startsWith("kubernetes:") || !kind) continue;
    const perNode = kind === "DaemonSet" ? nodes : 1;
    const raw = requestsIn(r.inputs.spec);
    const f = { cpuMillis: raw.cpuMillis * perNode, memoryMiB: raw.memoryMiB * perNode };
    if (f.cpuMillis === 0 && f.memoryMiB === 0) continue;
    const meta = r.inputs.metadata as { namespace?: string } | undefined;
    const spec = r.inputs.spec as { replicas?: number; template?: { metadata?: { annotations?: Record<string, string> } } } | undefined;
    let extraCpu = 0;
    let extraMem = 0;
    const isPod = ["Deployment", "StatefulSet", "DaemonSet"].includes(kind);
    const injectionOff = spec?.template?.metadata?.annotations?.["sidecar.istio.io/inject"] === "false";
    if (isPod && meta?.namespace && meshedNamespaces.has(meta.namespace) && !injectionOff) {
      const replicas = kind === "DaemonSet" ? nodes : (spec?.replicas ?? 1);
      const ann = spec?.template?.metadata?.annotations ?? {};
      extraCpu = replicas * (ann["sidecar.istio.io/proxyCPU"] ? cpuToMillis(ann["sidecar.istio.io/proxyCPU"]) : sidecar.cpuMillis);
      extraMem = replicas * (ann["sidecar.istio.io/proxyMemory"] ? memoryToMiB(ann["sidecar.istio.io/proxyMemory"]) : sidecar.memoryMiB);
    }
    items.push({ source: `${kind} ${meta?.namespace ?? "_"}/${(r.inputs.metadata as { name?: string })?.name}`, cpuMillis: f.cpuMillis + extraCpu, memoryMiB: f.memoryMiB + extraMem });
  }
  return {
    cpuMillis: Math.round(items.reduce((a, i) => a + i.cpuMillis, 0)),
    memoryMiB: Math.round(items.reduce((a, i) => a + i.memoryMiB, 0)),
    items: items.sort((a, b) => b.cpuMillis - a.cpuMillis),
    chartsWithoutRequests: chartsWithoutRequests.sort(),
  };
}

/** Namespaces with sidecar injection, read from the plan's Namespace objects. */
export function meshedNamespacesOf(plan: Plan): Set<string> {
  const out = new Set<string>();
  for (const r of plan.resources) {
    if (r.inputs.kind !== "Namespace") continue;
    const meta = r.inputs.metadata as { name: string; labels?: Record<string, string> };
    if (meta.labels?.["istio-injection"] === "enabled") out.add(meta.name);
  }
  return out;
}

/** Footprint of a stack's plan, with the sidecar size the stack configures for its proxies. */
export function stackFootprint(plan: Plan, config: PlatformConfig): Footprint {
  const sidecar = { cpuMillis: cpuToMillis(config.kubernetes.sidecarCpuRequest), memoryMiB: memoryToMiB(SIDECAR_MEMORY_REQUEST) };
  // A laptop cluster is one node; on EKS every node group runs its desired size.
  const nodes = config.aws ? config.aws.eks.nodeGroups.reduce((n, g) => n + g.desiredSize, 0) : 1;
  return planFootprint(plan, sidecar, meshedNamespacesOf(plan), nodes);
}

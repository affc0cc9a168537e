import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import type { PlanResource } from "../../infra/plan/types";
import { kubeOfKind, planFor, STACKS } from "../helpers/plan";

const catalog = loadCatalog();

interface Container {
  image: string;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown> & { capabilities: { drop: string[] } };
  startupProbe?: unknown;
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  env?: Array<{ name: string; value?: string }>;
}
interface PodSpec {
  securityContext: Record<string, unknown>;
  containers: Container[];
  priorityClassName: string;
  automountServiceAccountToken: boolean;
  topologySpreadConstraints: Array<{ topologyKey: string }>;
  hostNetwork?: boolean;
}

function serviceDeployment(deployments: PlanResource[], name: string, ns: string) {
  const d = deployments.find((r) => (r.inputs.metadata as { name: string; namespace: string }).name === name && (r.inputs.metadata as { namespace: string }).namespace === ns);
  expect(d, `Deployment ${ns}/${name}`).toBeDefined();
  return d!.inputs.spec as { replicas: number; template: { spec: PodSpec; metadata: { labels: Record<string, string> } } };
}

describe.each(STACKS)("workloads of the %s stack", (stack) => {
  it("gives every catalog service a hardened Deployment sized from the catalog", async () => {
    const plan = await planFor(stack);
    const deployments = kubeOfKind(plan, "Deployment");
    for (const s of catalog.services) {
      const spec = serviceDeployment(deployments, s.name, s.namespace);
      const sizing = s.environments[stack];
      expect(spec.replicas).toBe(sizing.replicas);
      const pod = spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.priorityClassName).toBe(s.criticality === "critical" ? "trademaster-critical" : "trademaster-standard");
      const [c] = pod.containers;
      expect(c.image.endsWith(`:${s.image.tag}`), c.image).toBe(true);
      // On AWS the image comes from the stack account's ECR, never from a public registry.
      if (stack !== "local") expect(c.image).toMatch(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\//);
      expect(c.resources.requests).toEqual({ cpu: sizing.cpu.request, memory: sizing.memory.request });
      expect(c.resources.limits).toEqual({ cpu: sizing.cpu.limit, memory: sizing.memory.limit });
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true });
      expect(c.securityContext.capabilities.drop).toEqual(["ALL"]);
      expect(c.startupProbe && c.readinessProbe && c.livenessProbe).toBeTruthy();
    }
  });

  it("spreads pods over zones only where the stack has zones", async () => {
    const plan = await planFor(stack);
    const deployments = kubeOfKind(plan, "Deployment");
    for (const s of catalog.services) {
      const keys = serviceDeployment(deployments, s.name, s.namespace).template.spec.topologySpreadConstraints.map((t) => t.topologyKey);
      expect(keys.includes("topology.kubernetes.io/zone")).toBe(stack !== "local");
      expect(keys).toContain("kubernetes.io/hostname");
    }
  });

  it("gives every service a Service, ServiceAccount, PDB and an autoscaler matching its replicas (KEDA for Kafka consumers, HPA otherwise)", async () => {
    const plan = await planFor(stack);
    const named = (kind: string) =>
      new Map(kubeOfKind(plan, kind).map((r) => [`${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`, r.inputs as Record<string, unknown>]));
    const [svcs, sas, hpas, pdbs, scaled] = ["Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ScaledObject"].map(named);
    for (const s of catalog.services) {
      const key = `${s.namespace}/${s.name}`;
      expect(svcs.has(key) && sas.has(key) && pdbs.has(key), key).toBe(true);
      // Never both: KEDA's webhook refuses a ScaledObject whose Deployment another HPA scales.
      expect(hpas.has(key) !== scaled.has(key), key).toBe(true);
      const { min, max } = scaled.has(key)
        ? (({ minReplicaCount, maxReplicaCount }) => ({ min: minReplicaCount, max: maxReplicaCount }))(scaled.get(key)!.spec as { minReplicaCount: number; maxReplicaCount: number })
        : (({ minReplicas, maxReplicas }) => ({ min: minReplicas, max: maxReplicas }))(hpas.get(key)!.spec as { minReplicas: number; maxReplicas: number });
      expect(scaled.has(key), key).toBe(s.consumes.length > 0);
      expect(min).toBe(s.environments[stack].replicas);
      expect(max).toBe(s.environments[stack].maxReplicas);
    }
  });

  it("puts producer safety, JVM sizing and topic names in each ConfigMap, never a secret", async () => {
    const plan = await planFor(stack);
    const maps = new Map(kubeOfKind(plan, "ConfigMap").map((r) => [`${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`, r.inputs.data as Record<string, string>]));
    const topics = new Map(catalog.topics.map((t) => [t.name, t.topicName]));
    for (const s of catalog.services) {
      const data = maps.get(`${s.namespace}/${s.name}-config`)!;
      expect(data, s.name).toBeDefined();
      if (s.produces.length) {
        expect(data.KAFKA_PRODUCER_ACKS).toBe("all");
        expect(data.KAFKA_PRODUCER_ENABLE_IDEMPOTENCE).toBe("true");
        for (const t of s.produces) expect(data.KAFKA_PRODUCE_TOPICS.split(",")).toContain(topics.get(t));
      }
      if (s.runtime === "jvm") expect(data.JAVA_TOOL_OPTIONS).toContain(`-XX:MaxRAMPercentage=${s.jvmMaxRamPercentage}`);
      for (const [k, v] of Object.entries(data)) {
        if (/PASSWORD|TOKEN|SECRET/i.test(k)) throw new Error(`${s.name}: secret-looking key ${k} in ConfigMap`);
        expect(v).not.toBe("[secret]");
      }
    }
  });

  it("labels service namespaces for Istio injection and Pod Security restricted", async () => {
    const plan = await planFor(stack);
    const ns = new Map(kubeOfKind(plan, "Namespace").map((r) => [r.inputs.metadata.name, (r.inputs.metadata as { labels?: Record<string, string> }).labels]));
    for (const name of new Set(catalog.services.map((s) => s.namespace))) {
      expect(ns.get(name)?.["istio-injection"]).toBe("enabled");
      expect(ns.get(name)?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
      // Pinned to the EKS version on AWS stacks; a laptop cluster follows its own.
      expect(ns.get(name)?.["pod-security.kubernetes.io/enforce-version"]).toMatch(stack === "local" ? /^latest$/ : /^v1\.\d+$/);
    }
  });
});

import { describe, expect, it } from "vitest";
import { DEFAULT_STORAGE_CLASS } from "../../infra/addons/aws-ebs-csi-driver";
import { loadCatalog } from "../../infra/catalog/load";
import { ofType, planFor } from "../helpers/plan";

const AWS_STACKS = ["staging", "prod"] as const;
type Values = Record<string, unknown>;
const at = (v: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((o, k) => (o as Values | undefined)?.[k], v);
const days = (d: string) => Number(d.slice(0, -1)) * ({ d: 1, h: 1 / 24 } as Record<string, number>)[d.slice(-1)];

describe("kube-prometheus-stack on EKS", () => {
  it.each(AWS_STACKS)("neither scrapes nor alerts on control-plane parts EKS does not expose (%s)", async (stack) => {
    const plan = await planFor(stack);
    const kps = ofType(plan, "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs.chart === "kube-prometheus-stack")!;
    const v = kps.inputs.values;
    for (const component of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) expect(at(v, component, "enabled"), component).toBe(false);
    for (const group of ["etcd", "kubeControllerManager", "kubeSchedulerAlerting", "kubeSchedulerRecording", "kubeProxy"]) expect(at(v, "defaultRules", "rules", group), group).toBe(false);
    // The API server and kubelets are reachable on EKS and stay monitored.
    expect(at(v, "kubeApiServer", "enabled")).not.toBe(false);
    expect(at(v, "kubelet", "enabled")).not.toBe(false);
  });

  it.each(AWS_STACKS)("runs Prometheus and Alertmanager highly available on encrypted persistent volumes (%s)", async (stack) => {
    const plan = await planFor(stack);
    const v = ofType(plan, "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs.chart === "kube-prometheus-stack")!.inputs.values;
    for (const [component, spec, storageKey] of [["prometheus", "prometheusSpec", "storageSpec"], ["alertmanager", "alertmanagerSpec", "storage"]] as const) {
      expect(at(v, component, spec, "replicas"), component).toBeGreaterThanOrEqual(2);
      expect(at(v, component, "podDisruptionBudget", "enabled"), component).toBe(true);
      expect(at(v, component, spec, "podAntiAffinity"), component).toBe("hard");
      expect(at(v, component, spec, "podAntiAffinityTopologyKey"), component).toBe("topology.kubernetes.io/zone");
      expect(at(v, component, spec, storageKey, "volumeClaimTemplate", "spec", "storageClassName"), component).toBe(DEFAULT_STORAGE_CLASS);
    }
  });

  it.each(AWS_STACKS)("keeps metrics at least as long as the longest SLO window the dashboards show (%s)", async (stack) => {
    const plan = await planFor(stack);
    const v = ofType(plan, "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs.chart === "kube-prometheus-stack")!.inputs.values;
    const periods = loadCatalog().services.flatMap((s) => (s.slo ? [s.slo.periodDays] : []));
    expect(periods.length).toBeGreaterThan(0);
    const longest = Math.max(...periods);
    expect(days(String(at(v, "prometheus", "prometheusSpec", "retention")))).toBeGreaterThanOrEqual(longest);
  });
});

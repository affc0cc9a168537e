/** Fields other controllers own after creation are left alone by updates (HPA vs Deployment replicas). */
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import type { KubeObject } from "../../infra/kube/object";
import { controllerOwnedFields, workloadObjects } from "../../infra/workloads/spec";
import { stackConfig } from "../mesh/stack";

const catalog = loadCatalog();

describe("controllerOwnedFields", () => {
  it.each(["local", "prod"] as const)("%s: every service's Deployment leaves spec.replicas to its HPA, nothing else is ignored", (stack) => {
    const config = stackConfig(stack);
    for (const service of catalog.services) {
      const objects = workloadObjects({ service, config, catalog, zones: [], connection: { config: {}, secrets: {} } });
      const deployment = objects.find((o) => o.kind === "Deployment")!;
      const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler")!;
      expect((hpa.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).toBe(deployment.metadata.name);
      expect(controllerOwnedFields(deployment, objects), service.name).toEqual(["spec.replicas"]);
      for (const o of objects.filter((x) => x !== deployment)) expect(controllerOwnedFields(o, objects), `${service.name} ${o.kind}`).toEqual([]);
    }
  });

  const deployment: KubeObject = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "api", namespace: "shop" }, spec: { replicas: 3 } };
  const hpaFor = (name: string, namespace: string, kind = "Deployment"): KubeObject => ({
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "api", namespace },
    spec: { scaleTargetRef: { apiVersion: "apps/v1", kind, name }, minReplicas: 3, maxReplicas: 6 },
  });

  it("keeps replicas managed when no HPA scales that Deployment", () => {
    expect(controllerOwnedFields(deployment, [deployment])).toEqual([]);
    expect(controllerOwnedFields(deployment, [deployment, hpaFor("other", "shop")])).toEqual([]);
    expect(controllerOwnedFields(deployment, [deployment, hpaFor("api", "elsewhere")])).toEqual([]);
    expect(controllerOwnedFields(deployment, [deployment, hpaFor("api", "shop", "StatefulSet")])).toEqual([]);
    expect(controllerOwnedFields(deployment, [deployment, hpaFor("api", "shop")])).toEqual(["spec.replicas"]);
  });
});

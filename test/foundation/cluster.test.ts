/** kube-system is labelled, not replaced: its Pod Security level is declared so its pods are judged by it. */
import { describe, expect, it } from "vitest";
import { planFor, STACKS } from "../helpers/plan";

describe("kube-system Pod Security labels", () => {
  for (const stack of STACKS) {
    it(`${stack}: kube-system is patched (never a Namespace the program owns) with an explicit enforce level`, async () => {
      const plan = await planFor(stack);
      expect(plan.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace" && (r.inputs.metadata as { name?: string }).name === "kube-system")).toEqual([]);
      const patches = plan.resources.filter((r) => r.type === "kubernetes:core/v1:NamespacePatch");
      expect(patches).toHaveLength(1);
      const meta = patches[0].inputs.metadata as { name: string; labels: Record<string, string> };
      expect(meta.name).toBe("kube-system");
      // Node plugins (EBS CSI) need host access: privileged is what an unlabelled namespace gets anyway.
      expect(meta.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
      expect(meta.labels["pod-security.kubernetes.io/warn"]).toBe("baseline");
      expect(meta.labels["pod-security.kubernetes.io/enforce-version"]).toMatch(stack === "local" ? /^latest$/ : /^v1\.\d+$/);
      expect(patches[0].parent).toMatch(/ClusterBase/);
    });
  }
});

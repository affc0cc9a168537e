import { describe, expect, it } from "vitest";
import { kubeOfKind, ofType, planFor, STACKS } from "../helpers/plan";

describe.each(STACKS)("Helm charts of the %s stack", (stack) => {
  it("are pinned to an exact version from an https or oci repository", async () => {
    const plan = await planFor(stack);
    const charts = ofType(plan, "kubernetes:helm.sh/v4:Chart");
    expect(charts.length).toBeGreaterThan(0);
    for (const c of charts) {
      expect(String(c.inputs.version), c.name).toMatch(/^v?\d+\.\d+\.\d+$/);
      const repo = (c.inputs.repositoryOpts as { repo?: string } | undefined)?.repo ?? String(c.inputs.chart);
      expect(repo, c.name).toMatch(/^(https|oci):\/\//);
    }
  });

  it("ask for restricted pod security where their namespace enforces it", async () => {
    const plan = await planFor(stack);
    const restricted = new Set(
      kubeOfKind(plan, "Namespace")
        .filter((n) => (n.inputs.metadata as { labels?: Record<string, string> }).labels?.["pod-security.kubernetes.io/enforce"] === "restricted")
        .map((n) => n.inputs.metadata.name),
    );
    const charts = ofType(plan, "kubernetes:helm.sh/v4:Chart").filter((c) => restricted.has(String(c.inputs.namespace)));
    expect(charts.length).toBeGreaterThan(0);
    for (const c of charts) {
      const values = JSON.stringify(c.inputs.values);
      // The admission controller refuses pods without these; a chart default is not relied on.
      expect(values, `${c.name} seccomp`).toContain('"seccompProfile":{"type":"RuntimeDefault"}');
      expect(values, `${c.name} non-root`).toContain('"runAsNonRoot":true');
    }
  });
});

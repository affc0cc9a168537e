import { describe, expect, it } from "vitest";
import { crdValidator } from "../../infra/kube/crd-validator";
import { int, obj, str, type Issue } from "../../infra/validation/schema";

const check = obj({ kind: str(), spec: obj({ replicas: int({ min: 1 }) }) });
const atMostThree = (o: Record<string, unknown>, issues: Issue[]) => {
  const replicas = (o.spec as { replicas: number }).replicas;
  if (replicas > 3) issues.push({ path: "spec.replicas", expected: "at most 3", found: String(replicas) });
};

describe("crdValidator", () => {
  const validate = crdValidator(check, atMostThree);

  it("accepts an object that passes the check and the rules", () => {
    expect(validate({ kind: "Pool", spec: { replicas: 2 } })).toEqual([]);
  });

  it("reports structural issues with paths relative to the object", () => {
    const issues = validate({ kind: "Pool", spec: { replicas: 0 } });
    expect(issues.map((i) => i.path)).toEqual(["spec.replicas"]);
    expect(validate({ kind: "Pool", spec: { replicas: 1, replica: 1 } }).map((i) => i.path)).toContain("spec.replica");
  });

  it("runs the cross-field rules only on a structurally valid object", () => {
    expect(validate({ kind: "Pool", spec: { replicas: 5 } })).toEqual([{ path: "spec.replicas", expected: "at most 3", found: "5" }]);
    // A wrong type would make the rule read garbage: only the structural issue is reported.
    const issues = validate({ kind: "Pool", spec: { replicas: "5" } });
    expect(issues).toHaveLength(1);
    expect(issues[0].expected).not.toBe("at most 3");
  });

  it("works without rules", () => {
    expect(crdValidator(check)({ kind: "Pool", spec: { replicas: 9 } })).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import { parseCatalog } from "../../infra/catalog/load";
import { ValidationError } from "../../infra/validation/schema";
import { catalogDocument, kubeOfKind, ofType, planFor, STACKS } from "../helpers/plan";

describe.each(STACKS)("token signing (%s)", (stack) => {
  it("generates one RSA key whose private half reaches only the issuing service's Secret", async () => {
    const plan = await planFor(stack);
    const keys = ofType(plan, "tls:index/privateKey:PrivateKey").filter((k) => k.component === "trademaster:identity:TokenSigning");
    expect(keys).toHaveLength(1);
    expect(keys[0].inputs).toMatchObject({ algorithm: "RSA", rsaBits: 3072 });
    const dependents = kubeOfKind(plan, "Secret").filter((s) => s.dependencies.includes(keys[0].urn));
    const names = dependents.map((s) => `${s.inputs.metadata.namespace}/${s.inputs.metadata.name}`).sort();
    // The issuer's credentials (private key) and Kong's jwt credential (public key) only.
    expect(names).toEqual(["kong/jwt-issuer", "tm-trading/auth-credentials"].sort());
    for (const cm of kubeOfKind(plan, "ConfigMap")) expect(cm.dependencies.includes(keys[0].urn) ? cm.inputs.metadata.name : "").not.toMatch(/./);
  });
});

describe("catalog token issuer", () => {
  it("refuses two token issuers", () => {
    const doc = catalogDocument();
    for (const s of doc.services.filter((x) => x.name === "auth" || x.name === "trading")) s.issuesTokens = true;
    try {
      parseCatalog(yaml.dump(doc), "two-issuers.yaml");
      throw new Error("expected a ValidationError");
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).issues.some((i) => i.expected.includes("at most one service with issuesTokens"))).toBe(true);
    }
  });
});

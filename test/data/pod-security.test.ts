/** Charts installed into namespaces that enforce Pod Security "restricted" must produce pods it admits. */
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import { loadChartSpec } from "../../infra/charts/pinned";
import { namespaceObjects } from "../../infra/cluster/spec";

const enforced = (ns: string) =>
  namespaceObjects(loadCatalog()).find((o) => o.metadata.name === ns)?.metadata.labels?.["pod-security.kubernetes.io/enforce"];

describe("Strimzi under Pod Security restricted", () => {
  const values = loadChartSpec("strimzi-kafka-operator", "local").values as {
    watchNamespaces: string[];
    podSecurityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
    securityContext?: { allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] }; runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
    extraEnvs?: Array<{ name: string; value: string }>;
  };

  it("runs in and watches namespaces that enforce restricted (the reason for the settings below)", () => {
    expect(enforced(loadChartSpec("strimzi-kafka-operator", "local").namespace)).toBe("restricted");
    for (const ns of values.watchNamespaces) expect(enforced(ns), ns).toBe("restricted");
  });

  it("gives the operator's pod every field the restricted profile requires", () => {
    expect(values.podSecurityContext?.runAsNonRoot).toBe(true);
    expect(values.podSecurityContext?.seccompProfile?.type).toBe("RuntimeDefault");
    expect(values.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(values.securityContext?.capabilities?.drop).toEqual(["ALL"]);
    expect(values.securityContext?.runAsNonRoot).toBe(true);
  });

  it("makes the operator create broker and entity-operator pods with the restricted provider", () => {
    expect(values.extraEnvs).toContainEqual({ name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" });
  });
});

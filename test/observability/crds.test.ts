import { describe, expect, it } from "vitest";
import { OBSERVABILITY_CRD_VALIDATORS } from "../../infra/observability/crds";
import { loggingObjects } from "../../infra/observability/logging";
import { loadStackConfig } from "../../infra/plan/run";

const prod = loadStackConfig("prod");
const objects = loggingObjects(prod);
const validate = (o: Record<string, unknown>) => OBSERVABILITY_CRD_VALIDATORS[`${o.apiVersion}/${o.kind}`](o);
const of = (kind: string) => structuredClone(objects.find((o) => o.kind === kind)!) as unknown as Record<string, unknown> & { spec: Record<string, unknown> };

describe("ECK validators", () => {
  it("accept the Elasticsearch and Kibana objects the platform builds", () => {
    for (const kind of ["Elasticsearch", "Kibana"]) expect(validate(of(kind)), kind).toEqual([]);
  });

  it("name a misspelt field with its path", () => {
    const es = of("Elasticsearch");
    (es.spec.nodeSets as Array<Record<string, unknown>>)[0].replicas = 3;
    const issues = validate(es);
    expect(issues.map((i) => i.path)).toContain("spec.nodeSets[0].replicas");
  });

  it("refuse TLS switched off", () => {
    const kb = of("Kibana");
    kb.spec.http = { tls: { selfSignedCertificate: { disabled: true } } };
    expect(validate(kb).map((i) => i.path)).toEqual(["spec.http.tls.selfSignedCertificate.disabled"]);
  });

  it("keep the data volumes when the cluster object is deleted", () => {
    expect(of("Elasticsearch").spec.volumeClaimDeletePolicy).toBe("DeleteOnScaledownOnly");
    const es = of("Elasticsearch");
    es.spec.volumeClaimDeletePolicy = "Always";
    expect(validate(es)[0].path).toBe("spec.volumeClaimDeletePolicy");
  });

  it("refuse a floating version", () => {
    const es = of("Elasticsearch");
    es.spec.version = "8";
    expect(validate(es)[0].path).toBe("spec.version");
  });
});

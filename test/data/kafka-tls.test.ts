import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import { kubeOfKind, ofType, planFor } from "../helpers/plan";

const catalog = loadCatalog();
const kafkaClients = catalog.services.filter((s) => s.produces.length + s.consumes.length > 0);

describe("local Kafka TLS trust", () => {
  it("serves the TLS listener with a certificate signed by a CA the platform generates", async () => {
    const plan = await planFor("local");
    const [kafka] = kubeOfKind(plan, "Kafka");
    const listeners = (kafka.inputs.spec as { kafka: { listeners: Array<{ tls: boolean; configuration?: { brokerCertChainAndKey?: { secretName: string } } }> } }).kafka.listeners;
    expect(listeners.every((l) => l.tls)).toBe(true);
    const secretName = listeners[0].configuration?.brokerCertChainAndKey?.secretName;
    const secret = kubeOfKind(plan, "Secret").find((s) => s.inputs.metadata.name === secretName && s.inputs.metadata.namespace === "kafka");
    expect(secret, `listener secret ${secretName}`).toBeDefined();
    expect(kafka.dependencies).toContain(secret!.urn);
    const ca = ofType(plan, "tls:index/selfSignedCert:SelfSignedCert");
    expect(ca).toHaveLength(1);
    expect(ca[0].inputs.isCaCertificate).toBe(true);
    const [leaf] = ofType(plan, "tls:index/locallySignedCert:LocallySignedCert");
    expect(leaf.inputs.allowedUses).toContain("server_auth");
    const [request] = ofType(plan, "tls:index/certRequest:CertRequest");
    expect(request.inputs.dnsNames).toEqual(expect.arrayContaining(["trademaster-kafka-bootstrap.kafka.svc", "*.trademaster-kafka-brokers.kafka.svc"]));
  });

  it("hands the CA (public) to every Kafka client in its ConfigMap, and to no one else", async () => {
    const plan = await planFor("local");
    const ca = ofType(plan, "tls:index/selfSignedCert:SelfSignedCert")[0];
    const maps = kubeOfKind(plan, "ConfigMap").filter((c) => /-config$/.test(c.inputs.metadata.name));
    for (const s of catalog.services) {
      const cm = maps.find((c) => c.inputs.metadata.name === `${s.name}-config`)!;
      const data = cm.inputs.data as Record<string, string>;
      const isClient = kafkaClients.includes(s);
      expect("KAFKA_SSL_CA_PEM" in data, s.name).toBe(isClient);
      if (isClient) expect(cm.dependencies, s.name).toContain(ca.urn);
    }
  });

  it.each(["staging", "prod"] as const)("needs no private CA on %s (MSK chains to a public root)", async (stack) => {
    const plan = await planFor(stack);
    // (Elasticsearch's HTTP CA is the only private CA there: infra/observability/trace-storage.ts.)
    expect(ofType(plan, "tls:index/selfSignedCert:SelfSignedCert").filter((r) => r.name.includes("listener"))).toHaveLength(0);
    for (const cm of kubeOfKind(plan, "ConfigMap")) expect("KAFKA_SSL_CA_PEM" in ((cm.inputs.data as Record<string, string>) ?? {})).toBe(false);
  });
});

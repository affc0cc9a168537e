import { describe, expect, it } from "vitest";
import { elasticsearchHttpDnsNames, ES_HTTP_TLS_SECRET, ES_URL, JAEGER_ES_ROLES_SECRET, JAEGER_ES_USER_SECRET } from "../../infra/observability/logging";
import { jaegerRolesYaml, JAEGER_ES_CLIENT_SECRET } from "../../infra/observability/trace-storage";
import { kubeOfKind, ofType, planFor } from "../helpers/plan";

describe("Jaeger's Elasticsearch backend (prod)", () => {
  it("authenticates as its own user and verifies the server's CA", async () => {
    const plan = await planFor("prod");
    const jaeger = ofType(plan, "kubernetes:helm.sh/v4:Chart").find((c) => c.name === "jaeger")!;
    const values = jaeger.inputs.values as {
      userconfig: { extensions: { jaeger_storage: { backends: { main: { elasticsearch: Record<string, unknown> } } } } };
      jaeger: { extraSecretMounts: Array<{ secretName: string; mountPath: string }> };
    };
    const es = values.userconfig.extensions.jaeger_storage.backends.main.elasticsearch as { server_urls: string[]; auth: { basic: { username: string; password_file: string } }; tls: { insecure: boolean; ca_file: string } };
    expect(es.server_urls).toEqual([ES_URL]);
    expect(es.auth.basic.username).toBe("jaeger");
    expect(es.tls.insecure).toBe(false);
    const mount = values.jaeger.extraSecretMounts.find((m) => m.secretName === JAEGER_ES_CLIENT_SECRET)!;
    expect(es.auth.basic.password_file.startsWith(`${mount.mountPath}/`)).toBe(true);
    expect(es.tls.ca_file).toBe(`${mount.mountPath}/ca.crt`);
    // The client Secret lives where Jaeger runs; its keys are the files Jaeger reads.
    const client = kubeOfKind(plan, "Secret").find((s) => s.inputs.metadata.name === JAEGER_ES_CLIENT_SECRET)!;
    expect(client.inputs.metadata.namespace).toBe(jaeger.inputs.namespace);
    expect(Object.keys(client.inputs.stringData as object).sort()).toEqual(["ca.crt", "password"]);
  });

  it("Elasticsearch serves the program's certificate for its Service name and knows the jaeger user and role", async () => {
    const plan = await planFor("prod");
    const [cluster] = kubeOfKind(plan, "Elasticsearch");
    const spec = cluster.inputs.spec as { http: { tls: { certificate: { secretName: string } } }; auth: { fileRealm: Array<{ secretName: string }>; roles: Array<{ secretName: string }> } };
    expect(spec.http.tls.certificate.secretName).toBe(ES_HTTP_TLS_SECRET);
    expect(spec.auth.fileRealm).toEqual([{ secretName: JAEGER_ES_USER_SECRET }]);
    expect(spec.auth.roles).toEqual([{ secretName: JAEGER_ES_ROLES_SECRET }]);
    expect(elasticsearchHttpDnsNames()).toContain(new URL(ES_URL).hostname);
    const user = kubeOfKind(plan, "Secret").find((s) => s.inputs.metadata.name === JAEGER_ES_USER_SECRET)!;
    expect(user.inputs.type).toBe("kubernetes.io/basic-auth");
    const req = ofType(plan, "tls:index/certRequest:CertRequest").find((r) => r.name === "elasticsearch-http")!;
    expect(req.inputs.dnsNames).toEqual(elasticsearchHttpDnsNames());
  });

  it("the role reaches only Jaeger's indices (no cluster-wide write, no other index)", () => {
    const roles = jaegerRolesYaml("jaeger");
    expect(roles).toContain('names: ["jaeger-*"]');
    expect(roles).not.toMatch(/"all"|"manage"\]|superuser/);
  });
});

/**
 * Jaeger's Elasticsearch backend (pure builders): a least-privilege `jaeger` user of ECK's file
 * realm (writes and reads `jaeger-*` indices, manages their templates), and the Secret Jaeger
 * mounts in its own namespace with that user's password and the CA of the Elasticsearch HTTP
 * certificate, so Jaeger authenticates and verifies the server. The HTTP certificate is the
 * program's (infra/kube/tls.ts), not ECK's self-signed one: a Secret cannot be read across
 * namespaces, so only a CA the program knows can be handed to the tracing namespace.
 */
import type * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import { standardLabels, type KubeObject } from "../kube/object";
import { ES_HTTP_TLS_SECRET, JAEGER_ES_ROLES_SECRET, JAEGER_ES_USER_SECRET } from "./logging";

export const JAEGER_ES_USER = "jaeger";
const ROLE = "jaeger_writer";
/** Password and CA mounted by Jaeger (tracing namespace). */
export const JAEGER_ES_CLIENT_SECRET = "jaeger-es-client";
export const JAEGER_ES_MOUNT = "/es";

/** roles.yml: what Jaeger v2 needs to write spans and serve queries (its indices and templates only). */
export function jaegerRolesYaml(indexPrefix: string): string {
  return [
    `${ROLE}:`,
    `  cluster: ["monitor", "manage_index_templates"]`,
    `  indices:`,
    `    - names: ["${indexPrefix}-*"]`,
    `      privileges: ["create_index", "create_doc", "write", "read", "view_index_metadata"]`,
    "",
  ].join("\n");
}

export interface TraceStorageSecrets {
  password: pulumi.Input<string>;
  caPem: pulumi.Input<string>;
  certPem: pulumi.Input<string>;
  keyPem: pulumi.Input<string>;
}

/** The four Secrets: HTTP certificate, file-realm user and roles (logging), Jaeger's client Secret (tracing). */
export function traceStorageSecrets(s: TraceStorageSecrets, indexPrefix: string): KubeObject[] {
  const logging = PLATFORM_NAMESPACES.logging;
  const meta = (name: string, namespace: string) => ({ name, namespace, labels: standardLabels("jaeger", "trace-storage") });
  return [
    { apiVersion: "v1", kind: "Secret", metadata: meta(ES_HTTP_TLS_SECRET, logging), type: "kubernetes.io/tls", stringData: { "tls.crt": s.certPem, "tls.key": s.keyPem, "ca.crt": s.caPem } },
    { apiVersion: "v1", kind: "Secret", metadata: meta(JAEGER_ES_USER_SECRET, logging), type: "kubernetes.io/basic-auth", stringData: { username: JAEGER_ES_USER, password: s.password, roles: ROLE } },
    { apiVersion: "v1", kind: "Secret", metadata: meta(JAEGER_ES_ROLES_SECRET, logging), type: "Opaque", stringData: { "roles.yml": jaegerRolesYaml(indexPrefix) } },
    { apiVersion: "v1", kind: "Secret", metadata: meta(JAEGER_ES_CLIENT_SECRET, PLATFORM_NAMESPACES.tracing), type: "Opaque", stringData: { password: s.password, "ca.crt": s.caPem } },
  ];
}

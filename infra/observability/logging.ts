/**
 * Logs (pure): ECK Elasticsearch and Kibana, Fluent Bit parsing JSON container logs and shipping
 * them over TLS, and index lifecycle policies (retention per environment, longer for audit).
 * Enabled only when observability.logging.enabled (off on local: Elasticsearch alone would take a
 * large share of the 8 GiB laptop budget).
 */
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import type { PlatformConfig } from "../config/schema";
import { standardLabels, type KubeObject } from "../kube/object";

export const ELASTIC_VERSION = "8.19.4";
export const ES_NAME = "logs";
const NS = PLATFORM_NAMESPACES.logging;
/** ECK serves HTTPS with its own CA by default; the URL is https. */
export const ES_URL = `https://${ES_NAME}-es-http.${NS}.svc:9200`;

export function ilmPolicies(config: PlatformConfig): Record<string, unknown> {
  const l = config.observability.logging;
  const policy = (days: number) => ({
    policy: {
      phases: {
        hot: { actions: { rollover: { max_age: "1d", max_primary_shard_size: "25gb" } } },
        delete: { min_age: `${days}d`, actions: { delete: {} } },
      },
    },
  });
  return { "trademaster-logs": policy(l.retentionDays), "trademaster-audit": policy(l.auditRetentionDays) };
}

export function loggingObjects(config: PlatformConfig): KubeObject[] {
  const l = config.observability.logging;
  if (!l.enabled) return [];
  const labels = standardLabels("logging", "elasticsearch");
  return [
    {
      apiVersion: "elasticsearch.k8s.elastic.co/v1",
      kind: "Elasticsearch",
      metadata: { name: ES_NAME, namespace: NS, labels },
      spec: {
        version: ELASTIC_VERSION,
        // TLS stays on (ECK default self-signed CA); never disabled.
        http: { tls: { selfSignedCertificate: { disabled: false } } },
        nodeSets: [
          {
            name: "default",
            count: l.elasticsearchNodes,
            config: { "node.store.allow_mmap": false },
            volumeClaimTemplates: [
              { metadata: { name: "elasticsearch-data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "100Gi" } } } },
            ],
          },
        ],
      },
    },
    {
      apiVersion: "kibana.k8s.elastic.co/v1",
      kind: "Kibana",
      metadata: { name: "logs", namespace: NS, labels: standardLabels("logging", "kibana") },
      spec: { version: ELASTIC_VERSION, count: 1, elasticsearchRef: { name: ES_NAME } },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "ilm-policies", namespace: NS, labels },
      data: Object.fromEntries(Object.entries(ilmPolicies(config)).map(([k, v]) => [`${k}.json`, JSON.stringify(v)])),
    },
  ];
}

/** Fluent Bit values: tail container logs, parse JSON, audit events to their own index. */
export function fluentBitValues(): Record<string, unknown> {
  const es = (match: string, index: string) =>
    `[OUTPUT]\n    Name es\n    Match ${match}\n    Host ${ES_NAME}-es-http.${NS}.svc\n    Port 9200\n    Index ${index}\n    HTTP_User elastic\n    HTTP_Passwd \${ES_PASSWORD}\n    tls On\n    tls.verify On\n    tls.ca_file /es-ca/ca.crt\n    Suppress_Type_Name On\n`;
  return {
    env: [{ name: "ES_PASSWORD", valueFrom: { secretKeyRef: { name: `${ES_NAME}-es-elastic-user`, key: "elastic" } } }],
    extraVolumes: [{ name: "es-ca", secret: { secretName: `${ES_NAME}-es-http-certs-public` } }],
    extraVolumeMounts: [{ name: "es-ca", mountPath: "/es-ca", readOnly: true }],
    config: {
      inputs: "[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    multiline.parser docker, cri\n    Tag kube.*\n    Mem_Buf_Limit 5MB\n",
      filters:
        "[FILTER]\n    Name kubernetes\n    Match kube.*\n    Merge_Log On\n    Keep_Log Off\n\n" +
        "[FILTER]\n    Name parser\n    Match kube.*\n    Key_Name log\n    Parser json\n    Reserve_Data On\n\n" +
        "[FILTER]\n    Name rewrite_tag\n    Match kube.*\n    Rule $log_type ^audit$ audit.$TAG false\n",
      outputs: es("kube.*", "trademaster-logs") + "\n" + es("audit.*", "trademaster-audit"),
    },
  };
}

/**
 * Logs (pure): ECK Elasticsearch and Kibana (sized per environment), Fluent Bit parsing JSON
 * container logs and shipping them over TLS into two data streams, and index lifecycle policies
 * (retention per environment, longer for audit) applied by an idempotent Job together with the
 * index templates that bind `trademaster-logs-*` / `trademaster-audit-*` to them.
 * Enabled only when observability.logging.enabled (off on local: Elasticsearch alone would take a
 * large share of the 8 GiB laptop budget).
 */
import { createHash } from "node:crypto";
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import type { PlatformConfig } from "../config/schema";
import { standardLabels, type KubeObject } from "../kube/object";

export const ELASTIC_VERSION = "8.19.4";
export const ES_NAME = "logs";
const NS = PLATFORM_NAMESPACES.logging;
/** ECK serves HTTPS (with the program's certificate); the URL is https. */
export const ES_URL = `https://${ES_NAME}-es-http.${NS}.svc:9200`;

/** Log families: each has an ILM policy, an index template and one data stream. */
export const LOG_FAMILIES = ["trademaster-logs", "trademaster-audit"] as const;
/** The data stream Fluent Bit writes of a family (matches the template's `<family>-*`). */
export function dataStreamName(family: (typeof LOG_FAMILIES)[number]): string {
  return `${family}-containers`;
}

/** Pinned curl image of the ILM Job (runs as its non-root `curl_user`, uid 100). */
export const CURL_IMAGE = "docker.io/curlimages/curl:8.11.1";
const CURL_UID = 100;
export const ILM_CONFIGMAP = "ilm-policies";
export const ES_ELASTIC_USER_SECRET = `${ES_NAME}-es-elastic-user`;
export const ES_CA_SECRET = `${ES_NAME}-es-http-certs-public`;
/** The Elasticsearch HTTP certificate (tls.crt, tls.key, ca.crt) the program makes and ECK serves. */
export const ES_HTTP_TLS_SECRET = `${ES_NAME}-es-http-tls`;
/** Jaeger's file-realm user (basic-auth Secret) and its role (roles.yml): infra/observability/trace-storage.ts. */
export const JAEGER_ES_USER_SECRET = "jaeger-es-user";
export const JAEGER_ES_ROLES_SECRET = "jaeger-es-roles";

/** DNS names of the Elasticsearch HTTP Service the certificate covers. */
export function elasticsearchHttpDnsNames(): string[] {
  const svc = `${ES_NAME}-es-http`;
  return [`${svc}.${NS}.svc`, `${svc}.${NS}.svc.cluster.local`, `${svc}.${NS}`, svc];
}

function memoryMiB(q: string): number {
  const m = /^(\d+)(Mi|Gi|Ti)$/.exec(q);
  if (!m) throw new Error(`memory quantity ${q}: expected Mi, Gi or Ti`);
  return Number(m[1]) * { Mi: 1, Gi: 1024, Ti: 1024 * 1024 }[m[2] as "Mi" | "Gi" | "Ti"];
}

/** JVM heap of an Elasticsearch node: half its memory (the rest is the filesystem cache). */
export function elasticsearchHeap(config: PlatformConfig): string {
  const mib = Math.floor(memoryMiB(config.observability.logging.elasticsearchResources.memory) / 2);
  return `-Xms${mib}m -Xmx${mib}m`;
}

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

/** Index templates: `<family>-*` data streams use the family's ILM policy. */
export function indexTemplates(config: PlatformConfig): Record<string, unknown> {
  const replicas = config.observability.logging.elasticsearchNodes > 1 ? 1 : 0;
  return Object.fromEntries(
    LOG_FAMILIES.map((family) => [
      family,
      {
        index_patterns: [`${family}-*`],
        data_stream: {},
        // Above the built-in logs-*-* templates (priority 100).
        priority: 500,
        template: { settings: { "index.lifecycle.name": family, "index.number_of_replicas": replicas } },
        _meta: { managed_by: "trademaster-platform" },
      },
    ]),
  );
}

/** Files of the ILM ConfigMap: `ilm-<family>.json` and `template-<family>.json`. */
export function ilmConfigData(config: PlatformConfig): Record<string, string> {
  const ilm = ilmPolicies(config);
  const templates = indexTemplates(config);
  const data: Record<string, string> = {};
  for (const f of LOG_FAMILIES) {
    data[`ilm-${f}.json`] = JSON.stringify(ilm[f]);
    data[`template-${f}.json`] = JSON.stringify(templates[f]);
  }
  return data;
}

/** Shell script of the Job: PUT is create-or-replace, so re-running it is harmless. */
export function ilmApplyScript(): string {
  const host = `${ES_NAME}-es-http.${NS}.svc`;
  return [
    "set -eu",
    "umask 077",
    // The password goes to a memory-backed netrc file, never onto a command line.
    `printf 'machine ${host} login elastic password %s\n' "$ES_PASSWORD" > /tmp/netrc`,
    `put() { curl --fail-with-body --silent --show-error --retry 30 --retry-delay 10 --retry-all-errors --cacert /es-ca/ca.crt --netrc-file /tmp/netrc -H 'Content-Type: application/json' -X PUT "https://${host}:9200/$1" --data-binary "@/config/$2"; echo; }`,
    ...LOG_FAMILIES.flatMap((f) => [`put _ilm/policy/${f} ilm-${f}.json`, `put _index_template/${f} template-${f}.json`]),
    "",
  ].join("\n");
}

/**
 * The Job applying ILM policies and index templates. A change of the policies changes the pod
 * template's hash annotation, so the Job is replaced and runs again.
 */
export function ilmJob(config: PlatformConfig): KubeObject {
  const labels = standardLabels("logging", "ilm-apply");
  const hash = createHash("sha256").update(JSON.stringify(ilmConfigData(config)) + ilmApplyScript()).digest("hex").slice(0, 16);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "ilm-apply", namespace: NS, labels },
    spec: {
      backoffLimit: 6,
      activeDeadlineSeconds: 1800,
      template: {
        metadata: { labels, annotations: { "trademaster.io/config-hash": hash } },
        spec: {
          restartPolicy: "OnFailure",
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: CURL_UID, runAsGroup: CURL_UID + 1, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "apply",
              image: CURL_IMAGE,
              command: ["/bin/sh", "-c", ilmApplyScript()],
              env: [{ name: "ES_PASSWORD", valueFrom: { secretKeyRef: { name: ES_ELASTIC_USER_SECRET, key: "elastic" } } }],
              resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
              volumeMounts: [
                { name: "config", mountPath: "/config", readOnly: true },
                { name: "es-ca", mountPath: "/es-ca", readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: ILM_CONFIGMAP } },
            { name: "es-ca", secret: { secretName: ES_CA_SECRET, items: [{ key: "ca.crt", path: "ca.crt" }] } },
            { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
          ],
        },
      },
    },
  };
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
        // TLS stays on with the program's certificate (its CA is handed to Jaeger in another
        // namespace: infra/observability/trace-storage.ts); ECK copies the CA into ES_CA_SECRET.
        http: { tls: { certificate: { secretName: ES_HTTP_TLS_SECRET } } },
        // Jaeger's least-privilege user and role (file realm), next to ECK's elastic user.
        auth: { fileRealm: [{ secretName: JAEGER_ES_USER_SECRET }], roles: [{ secretName: JAEGER_ES_ROLES_SECRET }] },
        // Deleting the cluster object keeps the data volumes (audit logs); ECK's default deletes them.
        volumeClaimDeletePolicy: "DeleteOnScaledownOnly",
        nodeSets: [
          {
            name: "default",
            count: l.elasticsearchNodes,
            config: { "node.store.allow_mmap": false },
            podTemplate: {
              spec: {
                containers: [
                  {
                    name: "elasticsearch",
                    resources: { requests: { ...l.elasticsearchResources }, limits: { memory: l.elasticsearchResources.memory } },
                    env: [{ name: "ES_JAVA_OPTS", value: elasticsearchHeap(config) }],
                  },
                ],
              },
            },
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
      spec: {
        version: ELASTIC_VERSION,
        count: 1,
        elasticsearchRef: { name: ES_NAME },
        podTemplate: {
          spec: { containers: [{ name: "kibana", resources: { requests: { ...l.kibanaResources }, limits: { memory: l.kibanaResources.memory } } }] },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: ILM_CONFIGMAP, namespace: NS, labels },
      data: ilmConfigData(config),
    },
    ilmJob(config),
  ];
}

/** Fluent Bit values: tail container logs, parse JSON, audit events to their own index. */
export function fluentBitValues(): Record<string, unknown> {
  const es = (match: string, index: string) =>
    `[OUTPUT]\n    Name es\n    Match ${match}\n    Host ${ES_NAME}-es-http.${NS}.svc\n    Port 9200\n    Index ${index}\n    HTTP_User elastic\n    HTTP_Passwd \${ES_PASSWORD}\n    tls On\n    tls.verify On\n    tls.ca_file /es-ca/ca.crt\n    Suppress_Type_Name On\n    Write_Operation create\n`;
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
      outputs: es("kube.*", dataStreamName("trademaster-logs")) + "\n" + es("audit.*", dataStreamName("trademaster-audit")),
    },
  };
}

/**
 * Typed CRDs of this capability without an npm schema package (ECK `elasticsearch.k8s.elastic.co/v1`
 * Elasticsearch and `kibana.k8s.elastic.co/v1` Kibana), and their validators. The types cover the
 * fields we write; unknown keys (usually typos), bad versions and quantities are refused so a
 * mistake shows in the offline plan. Field names follow the ECK 3.x API reference.
 */
import { crdValidator, type CrdValidators } from "../kube/crd-validator";
import { anyMapping, bool, DNS_LABEL, int, list, MEMORY_QUANTITY, obj, optional, record, str, type Issue } from "../validation/schema";

export const ECK_ES_API = "elasticsearch.k8s.elastic.co/v1";
export const ECK_KIBANA_API = "kibana.k8s.elastic.co/v1";

const name = str({ pattern: DNS_LABEL, patternName: "a DNS label" });
const version = str({ pattern: /^\d+\.\d+\.\d+$/, patternName: "an Elastic stack version like 8.19.4" });
const labels = optional(record(str()));
const meta = obj({ name, namespace: optional(name), labels, annotations: labels });
// Elasticsearch settings and pod templates are free-form in the CRD: their shape is checked only.
const mapping = anyMapping;
const httpTls = optional(obj({ tls: optional(obj({ selfSignedCertificate: optional(obj({ disabled: optional(bool) })) })) }));

const volumeClaimTemplate = obj({
  metadata: obj({ name: str({ minLength: 1 }) }),
  spec: obj({
    accessModes: list(str({ oneOf: ["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany", "ReadWriteMany"] })),
    resources: obj({ requests: obj({ storage: str({ pattern: MEMORY_QUANTITY, patternName: "a storage quantity like 100Gi" }) }) }),
    storageClassName: optional(str({ minLength: 1 })),
  }),
});

const elasticsearchCheck = obj({
  apiVersion: str({ oneOf: [ECK_ES_API] }),
  kind: str({ oneOf: ["Elasticsearch"] }),
  metadata: meta,
  spec: obj({
    version,
    http: httpTls,
    nodeSets: list(
      obj({
        name,
        count: int({ min: 1 }),
        config: optional(mapping),
        podTemplate: optional(mapping),
        volumeClaimTemplates: optional(list(volumeClaimTemplate)),
      }),
      { minItems: 1 },
    ),
    secureSettings: optional(list(obj({ secretName: name }))),
    volumeClaimDeletePolicy: optional(str({ oneOf: ["DeleteOnScaledownAndClusterDeletion", "DeleteOnScaledownOnly"] })),
  }),
});

const kibanaCheck = obj({
  apiVersion: str({ oneOf: [ECK_KIBANA_API] }),
  kind: str({ oneOf: ["Kibana"] }),
  metadata: meta,
  spec: obj({
    version,
    count: int({ min: 1 }),
    elasticsearchRef: obj({ name, namespace: optional(name) }),
    http: httpTls,
    podTemplate: optional(mapping),
    config: optional(mapping),
  }),
});

/** TLS on the HTTP layer is never switched off (the platform's encryption-in-transit rule). */
function tlsStaysOn(o: Record<string, unknown>, issues: Issue[]): void {
  const spec = o.spec as { http?: { tls?: { selfSignedCertificate?: { disabled?: boolean } } } };
  if (spec.http?.tls?.selfSignedCertificate?.disabled === true) {
    issues.push({ path: "spec.http.tls.selfSignedCertificate.disabled", expected: "false (TLS on)", found: "true" });
  }
}

/** Validators by `apiVersion/kind`, used by the plan's schema check. */
export const OBSERVABILITY_CRD_VALIDATORS: CrdValidators = {
  [`${ECK_ES_API}/Elasticsearch`]: crdValidator(elasticsearchCheck, tlsStaysOn),
  [`${ECK_KIBANA_API}/Kibana`]: crdValidator(kibanaCheck, tlsStaysOn),
};

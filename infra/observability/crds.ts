// API versions of the ECK custom resources. The objects are validated by the plan against the
// CRDs of the pinned ECK 3.2.0 release.

/** Elasticsearch of ECK. */
export const ECK_ES_API = "elasticsearch.k8s.elastic.co/v1";
/** Kibana of ECK. */
export const ECK_KIBANA_API = "kibana.k8s.elastic.co/v1";

/** Fixed names of the Kong installation that other capabilities (mesh, edge) refer to. */
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";

/** Helm release name of the kong/ingress chart (prefixes the chart's object names). */
export const KONG_RELEASE = "kong";
/** Service account of the Kong gateway (proxy) pods: its SPIFFE identity is allowed by the mesh. */
export const KONG_GATEWAY_SERVICE_ACCOUNT = "kong-gateway";
export const KONG_CONTROLLER_SERVICE_ACCOUNT = "kong-controller";
/** Mesh principal of the Kong gateway pods. */
export const KONG_GATEWAY_PRINCIPAL = `cluster.local/ns/${PLATFORM_NAMESPACES.gateway}/sa/${KONG_GATEWAY_SERVICE_ACCOUNT}`;
/** Container port behind the proxy Service's HTTP port (load balancer targets pod IPs). */
export const KONG_PROXY_CONTAINER_PORT = 8000;
/** Label the chart puts on gateway pods (used by the mesh Sidecar selector). */
export const KONG_GATEWAY_POD_LABELS = { "app.kubernetes.io/name": "gateway", "app.kubernetes.io/instance": KONG_RELEASE } as const;
/**
 * Node ports of the Kong proxy on AWS stacks: the edge load balancer targets the nodes on the TLS
 * one (re-encrypting to Kong), so no load-balancer controller runs in the cluster.
 */
export const KONG_PROXY_NODE_PORTS = { http: 30080, tls: 30443 } as const;

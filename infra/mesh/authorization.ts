/**
 * Zero-trust authorization from the catalog's call graph (pure). Per meshed namespace an
 * allow-nothing policy (deny by default); per service one ALLOW policy whose rules are, exactly:
 * - one rule per caller in the catalog (`calls`), by the caller's SPIFFE principal, on the HTTP port;
 * - one rule for the Kong gateway when the service has exposed routes, limited to those routes'
 *   methods and paths (internal routes stay unreachable from outside);
 * No rule opens the metrics port: Istio metrics merging has the sidecar's agent read the app's
 * metrics over localhost and serve them with the proxy's own on :15020, which Prometheus scrapes.
 * So mTLS stays STRICT on every port and no other workload can read a service's metrics port.
 */
import type { Catalog, ServiceSpec } from "../catalog/schema";
import { callersOf, exposedRoutes, meshPrincipal } from "../catalog/derive";
import { MESHED_PLATFORM_NAMESPACES, PLATFORM_NAMESPACES, serviceNamespaces } from "../cluster/namespaces";
import { KONG_GATEWAY_PRINCIPAL } from "../gateway/identity";
import { standardLabels, type KubeObject } from "../kube/object";
import { authorizationPaths } from "./paths";

export const SECURITY_API = "security.istio.io/v1";

export interface AuthorizationRule {
  from?: Array<{ source: { principals?: string[]; namespaces?: string[]; notPrincipals?: string[] } }>;
  to?: Array<{ operation: { ports?: string[]; methods?: string[]; paths?: string[] } }>;
}

/** Namespaces whose workloads have sidecars and so enforce mesh authorization. */
export function meshedNamespaces(catalog: Catalog): string[] {
  return [...new Set([...serviceNamespaces(catalog), ...MESHED_PLATFORM_NAMESPACES])].sort();
}

/** Allow-nothing policy: with no rule, every request to the namespace is denied. */
export function denyByDefault(namespace: string): KubeObject {
  return {
    apiVersion: SECURITY_API,
    kind: "AuthorizationPolicy",
    metadata: { name: "deny-by-default", namespace, labels: standardLabels("mesh", "authorization") },
    spec: {},
  };
}

export function allowRules(catalog: Catalog, service: ServiceSpec): AuthorizationRule[] {
  const httpPort = String(service.ports.http);
  const rules: AuthorizationRule[] = callersOf(catalog, service.name)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((caller) => ({ from: [{ source: { principals: [meshPrincipal(caller)] } }], to: [{ operation: { ports: [httpPort] } }] }));
  const exposed = exposedRoutes(service);
  if (exposed.length > 0) {
    rules.push({
      from: [{ source: { principals: [KONG_GATEWAY_PRINCIPAL] } }],
      to: exposed.map((r) => ({ operation: { ports: [httpPort], methods: [r.method], paths: authorizationPaths(r.path) } })),
    });
  }
  return rules;
}

export function allowPolicy(catalog: Catalog, service: ServiceSpec): KubeObject {
  return {
    apiVersion: SECURITY_API,
    kind: "AuthorizationPolicy",
    metadata: { name: `${service.name}-allow`, namespace: service.namespace, labels: standardLabels(service.name, "authorization") },
    spec: { selector: { matchLabels: { app: service.name } }, action: "ALLOW", rules: allowRules(catalog, service) },
  };
}

/** Every authorization object of the mesh. */
export function authorizationObjects(catalog: Catalog): KubeObject[] {
  return [...meshedNamespaces(catalog).map(denyByDefault), ...catalog.services.map((s) => allowPolicy(catalog, s))];
}

/**
 * mTLS: STRICT mesh-wide (root namespace policy), no port-level exception: metrics reach
 * Prometheus through the sidecar's merged endpoint (:15020), not the service's metrics port.
 */
export function peerAuthentications(): KubeObject[] {
  return [
    {
      apiVersion: SECURITY_API,
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: PLATFORM_NAMESPACES.istio, labels: standardLabels("mesh", "mtls") },
      spec: { mtls: { mode: "STRICT" } },
    },
  ];
}

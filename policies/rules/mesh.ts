/**
 * Service-mesh policies: STRICT mTLS, authorization from the call graph, circuit breakers for every
 * service, no retries of non-idempotent routes (mesh and gateway), and retry budgets that fit the
 * route timeout.
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import type { RouteSpec, ServiceSpec } from "../../infra/catalog/schema";
import { callersOf, exposedRoutes, meshPrincipal } from "../../infra/catalog/derive";
import { MESHED_PLATFORM_NAMESPACES, serviceNamespaces } from "../../infra/cluster/namespaces";
import { KONG_GATEWAY_PRINCIPAL } from "../../infra/gateway/identity";
import { catalogFor, samplePath, serviceHosts, type CatalogPolicyConfig } from "../lib/catalog";
import { asArray, asNumber, asObject, asString, at, atPath, durationMs, isKube, ISTIO_NETWORKING, ISTIO_SECURITY, selectorMatches, type Json } from "../lib/props";
import { asvs, cisK8s, levels, owasp, pci, type TrademasterResourcePolicy, type TrademasterStackPolicy } from "../lib/types";

/** Istio's root namespace: a PeerAuthentication there without selector is mesh-wide. */
export const ISTIO_ROOT_NAMESPACE = "istio-system";
const WEAK_MTLS = ["PERMISSIVE", "DISABLE"];

function tlsModes(trafficPolicy: unknown): string[] {
  const modes: string[] = [];
  const mode = asString(at(trafficPolicy, "tls", "mode"));
  if (mode) modes.push(mode);
  for (const port of asArray(at(trafficPolicy, "portLevelSettings"))) {
    const m = asString(at(port, "tls", "mode"));
    if (m) modes.push(m);
  }
  return modes;
}

export const mtlsStrict: TrademasterStackPolicy = {
  kind: "stack",
  name: "mtls-strict",
  description: "Service-to-service traffic is mutual TLS only: STRICT PeerAuthentication, no PERMISSIVE/DISABLE, no DestinationRule turning TLS off.",
  severity: "critical",
  enforcement: levels("advisory", "mandatory", "mandatory"),
  usesCatalog: true,
  controls: [
    owasp("API8:2023", "Security Misconfiguration"),
    asvs("V9.2.1", "Connections to and from the server use trusted TLS certificates"),
    cisK8s("5.7.x", "General policies: apply security context / network segmentation (mesh mTLS)"),
    pci("4.2.1", "Strong cryptography protects data in transit"),
  ],
  remediation:
    "Declare a PeerAuthentication in istio-system without selector with spec.mtls.mode: STRICT; remove PERMISSIVE/DISABLE modes (also in portLevelMtls); never set DestinationRule trafficPolicy.tls.mode: DISABLE (use ISTIO_MUTUAL inside the mesh, SIMPLE/MUTUAL to external TLS endpoints).",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    let meshWideStrict = false;
    const strictNamespaces = new Set<string>();
    for (const r of args.resources) {
      if (isKube(r.type, ISTIO_SECURITY, "PeerAuthentication")) {
        const mode = asString(at(r.props, "spec", "mtls", "mode"));
        const ns = asString(at(r.props, "metadata", "namespace")) ?? "default";
        const selector = asObject(at(r.props, "spec", "selector"));
        if (mode && WEAK_MTLS.includes(mode)) report(atPath("spec.mtls.mode", `is ${mode} on PeerAuthentication "${r.name}"`), r.urn);
        for (const [port, setting] of Object.entries(asObject(at(r.props, "spec", "portLevelMtls")) ?? {})) {
          const m = asString(at(setting, "mode"));
          if (m && WEAK_MTLS.includes(m)) report(atPath(`spec.portLevelMtls["${port}"].mode`, `is ${m} on port ${port} of PeerAuthentication "${r.name}"`), r.urn);
        }
        if (mode === "STRICT" && !selector) {
          if (ns === ISTIO_ROOT_NAMESPACE) meshWideStrict = true;
          strictNamespaces.add(ns);
        }
      }
      if (isKube(r.type, ISTIO_NETWORKING, "DestinationRule")) {
        const spec = at(r.props, "spec");
        const modes = [...tlsModes(at(spec, "trafficPolicy")), ...asArray(at(spec, "subsets")).flatMap((s) => tlsModes(at(s, "trafficPolicy")))];
        if (modes.includes("DISABLE")) report(atPath("spec.trafficPolicy.tls.mode", `is DISABLE on DestinationRule "${r.name}" (host ${asString(at(spec, "host")) ?? "?"}) or one of its subsets`), r.urn);
      }
    }
    if (meshWideStrict) return;
    const catalog = catalogFor(args.getConfig<CatalogPolicyConfig>());
    const missing = [...new Set(catalog.services.map((s) => s.namespace))].filter((ns) => !strictNamespaces.has(ns));
    if (missing.length) {
      report(`no mesh-wide STRICT PeerAuthentication (namespace ${ISTIO_ROOT_NAMESPACE}, no selector) and no namespace-wide one in: ${missing.join(", ")}`);
    }
  },
};

function destinationRulesFor(service: ServiceSpec, resources: PolicyResource[]): PolicyResource[] {
  const hosts = serviceHosts(service);
  return resources.filter((r) => isKube(r.type, ISTIO_NETWORKING, "DestinationRule") && hosts.includes(asString(at(r.props, "spec", "host")) ?? ""));
}

export const outlierDetection: TrademasterStackPolicy = {
  kind: "stack",
  name: "circuit-breaker-per-service",
  description: "Every catalog service has a DestinationRule with outlier detection (circuit breaker) and a connection pool (bulkhead).",
  severity: "medium",
  enforcement: levels("advisory", "mandatory", "mandatory"),
  usesCatalog: true,
  controls: [owasp("API4:2023", "Unrestricted Resource Consumption"), asvs("V11.1.4", "Anti-automation and resource limits"), pci("12.10.1", "Incident response: contain failures")],
  remediation: "Declare a DestinationRule for the service host with trafficPolicy.outlierDetection (consecutive5xxErrors, interval, baseEjectionTime, maxEjectionPercent) and trafficPolicy.connectionPool.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const catalog = catalogFor(args.getConfig<CatalogPolicyConfig>());
    for (const service of catalog.services) {
      const rules = destinationRulesFor(service, args.resources);
      if (rules.length === 0) {
        report(`service "${service.name}" has no DestinationRule (host ${serviceHosts(service)[3]})`);
        continue;
      }
      const withOutlier = rules.filter((r) => {
        const od = asObject(at(r.props, "spec", "trafficPolicy", "outlierDetection"));
        return od !== undefined && ((asNumber(od.consecutive5xxErrors) ?? 0) > 0 || (asNumber(od.consecutiveGatewayErrors) ?? 0) > 0);
      });
      if (withOutlier.length === 0) report(atPath("spec.trafficPolicy.outlierDetection", `is missing for service "${service.name}" (5xx or gateway-error ejection)`), rules[0].urn);
      if (!rules.some((r) => asObject(at(r.props, "spec", "trafficPolicy", "connectionPool")))) {
        report(atPath("spec.trafficPolicy.connectionPool", `is missing for service "${service.name}" (bulkhead)`), rules[0].urn);
      }
    }
  },
};

function stringMatch(m: unknown, value: string): boolean | undefined {
  const o = asObject(m);
  if (!o) return undefined;
  const exact = asString(o.exact);
  if (exact !== undefined) return exact === value;
  const prefix = asString(o.prefix);
  if (prefix !== undefined) return value.startsWith(prefix);
  const regex = asString(o.regex);
  if (regex !== undefined) return new RegExp(`^(?:${regex})$`).test(value);
  return undefined;
}

/** Whether an Istio HTTPMatchRequest matches a request: "yes", "maybe" (extra conditions), "no". */
export function matchRequest(match: unknown, method: string, path: string): "yes" | "maybe" | "no" {
  const uri = stringMatch(at(match, "uri"), path);
  const m = stringMatch(at(match, "method"), method);
  if (uri === false || m === false) return "no";
  const extra = ["headers", "queryParams", "port", "sourceLabels", "gateways", "authority", "scheme", "withoutHeaders"].some((k) => at(match, k) !== undefined);
  return extra ? "maybe" : "yes";
}

function routesTo(http: unknown, hosts: string[]): boolean {
  return asArray(at(http, "route")).some((d) => hosts.includes(asString(at(d, "destination", "host")) ?? ""));
}

/** Kong's own retry count for a Service when `konghq.com/retries` is absent. */
export const KONG_DEFAULT_RETRIES = 5;

/** Gateway API PathMatch / Ingress path against a concrete request path. */
function gatewayPathMatches(match: unknown, path: string): boolean {
  const type = asString(at(match, "path", "type")) ?? "PathPrefix";
  const value = asString(at(match, "path", "value")) ?? "/";
  if (type === "Exact") return value === path;
  if (type === "RegularExpression") return new RegExp(value).test(path);
  return value === "/" || path === value || path.startsWith(value.endsWith("/") ? value : `${value}/`);
}

/** Services (namespace/name) a gateway routing object sends the request to. */
function gatewayBackends(r: PolicyResource, method: string, path: string): string[] {
  const ns = asString(at(r.props, "metadata", "namespace")) ?? "default";
  if (isKube(r.type, "gateway.networking.k8s.io", "HTTPRoute")) {
    return asArray(at(r.props, "spec", "rules")).flatMap((rule) => {
      const matches = asArray(at(rule, "matches"));
      const hit = matches.length === 0 || matches.some((m) => (asString(at(m, "method")) ?? method) === method && gatewayPathMatches(m, path));
      if (!hit) return [];
      return asArray(at(rule, "backendRefs"))
        .filter((b) => (asString(at(b, "kind")) ?? "Service") === "Service")
        .map((b) => `${asString(at(b, "namespace")) ?? ns}/${asString(at(b, "name")) ?? ""}`);
    });
  }
  if (isKube(r.type, "networking.k8s.io", "Ingress")) {
    return asArray(at(r.props, "spec", "rules")).flatMap((rule) =>
      asArray(at(rule, "http", "paths"))
        .filter((p) => gatewayPathMatches({ path: { type: asString(at(p, "pathType")) === "Exact" ? "Exact" : "PathPrefix", value: asString(at(p, "path")) } }, path))
        .map((p) => `${ns}/${asString(at(p, "backend", "service", "name")) ?? ""}`),
    );
  }
  return [];
}

/** Kong retries a request to a Service unless the Service says `konghq.com/retries: "0"`. */
function gatewayRetries(services: ServiceSpec[], resources: PolicyResource[], report: ReportViolation): void {
  const routing = resources.filter((r) => isKube(r.type, "gateway.networking.k8s.io", "HTTPRoute") || isKube(r.type, "networking.k8s.io", "Ingress"));
  const kubeServices = new Map(
    resources.filter((r) => isKube(r.type, "core", "Service")).map((r) => [`${asString(at(r.props, "metadata", "namespace")) ?? "default"}/${asString(at(r.props, "metadata", "name")) ?? r.name}`, r]),
  );
  const reported = new Set<string>();
  for (const service of services) {
    for (const route of service.routes.filter((x: RouteSpec) => !x.idempotent && x.exposed)) {
      for (const backend of new Set(routing.flatMap((r) => gatewayBackends(r, route.method, samplePath(route))))) {
        const svc = kubeServices.get(backend);
        if (!svc || reported.has(backend)) continue;
        const value = asString(at(svc.props, "metadata", "annotations", "konghq.com/retries"));
        if (value === "0") continue;
        reported.add(backend);
        report(
          atPath(
            'metadata.annotations["konghq.com/retries"]',
            `is ${value === undefined ? `absent (Kong retries ${KONG_DEFAULT_RETRIES} times)` : value} on Service ${backend}, which the gateway sends ${route.method} ${route.path} (${service.name}, non-idempotent) to`,
          ),
          svc.urn,
        );
      }
    }
  }
}

export const noRetryNonIdempotent: TrademasterStackPolicy = {
  kind: "stack",
  name: "no-retry-non-idempotent",
  description: "Neither the mesh nor the gateway retries a non-idempotent route (an order POST retried on 5xx can trade twice): such VirtualService routes have retries.attempts 0 and their Services konghq.com/retries 0.",
  severity: "critical",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  usesCatalog: true,
  controls: [owasp("API6:2023", "Unrestricted Access to Sensitive Business Flows"), asvs("V11.1.2", "Business logic flows are processed in order, without duplication"), pci("6.2.4", "Software engineering techniques prevent common attacks")],
  remediation:
    "Give every VirtualService http route that can carry a non-idempotent catalog route (method + path) `retries: { attempts: 0 }` (Istio retries twice by default when `retries` is absent), and annotate every Kubernetes Service that a gateway route sends such a request to with `konghq.com/retries: \"0\"` (Kong retries 5 times by default).",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const catalog = catalogFor(args.getConfig<CatalogPolicyConfig>());
    gatewayRetries(catalog.services, args.resources, report);
    const services = args.resources.filter((r) => isKube(r.type, ISTIO_NETWORKING, "VirtualService"));
    for (const service of catalog.services) {
      const hosts = serviceHosts(service);
      for (const route of service.routes.filter((r) => !r.idempotent)) {
        const path = samplePath(route);
        for (const vs of services) {
          for (const [i, http] of asArray(at(vs.props, "spec", "http")).entries()) {
            if (!routesTo(http, hosts)) continue;
            const matches = asArray(at(http, "match"));
            const verdicts = matches.length ? matches.map((m) => matchRequest(m, route.method, path)) : ["yes" as const];
            if (verdicts.every((v) => v === "no")) continue;
            const attempts = asNumber(at(http, "retries", "attempts"));
            if (asObject(at(http, "retries")) === undefined || attempts === undefined) {
              report(atPath(`spec.http[${i}].retries`, `is missing on route "${asString(at(http, "name")) ?? ""}" of VirtualService "${vs.name}", which matches ${route.method} ${route.path} (${service.name}, non-idempotent): Istio's default retries apply`), vs.urn);
            } else if (attempts > 0) {
              report(atPath(`spec.http[${i}].retries.attempts`, `is ${attempts} on VirtualService "${vs.name}", which matches ${route.method} ${route.path} (${service.name}, non-idempotent)`), vs.urn);
            }
            // The first route a request definitely matches takes it; later ones never see it.
            if (verdicts.includes("yes")) break;
          }
        }
      }
    }
  },
};

export const retryBudget: TrademasterResourcePolicy = {
  kind: "resource",
  name: "retry-budget-within-timeout",
  description: "Retried routes have a timeout and a per-try timeout, and every try fits: (attempts + 1) x perTryTimeout <= timeout.",
  severity: "medium",
  enforcement: levels("advisory", "mandatory", "mandatory"),
  controls: [owasp("API4:2023", "Unrestricted Resource Consumption"), asvs("V11.1.4", "Anti-automation and resource limits")],
  remediation:
    "Set http[].timeout and retries.perTryTimeout so that (attempts + 1) x perTryTimeout <= timeout (Istio `attempts` counts retries after the first try); lower attempts when the budget is too small.",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (!isKube(args.type, ISTIO_NETWORKING, "VirtualService")) return;
    for (const [i, http] of asArray(at(args.props, "spec", "http")).entries()) {
      const attempts = asNumber(at(http, "retries", "attempts")) ?? 0;
      if (attempts <= 0) continue;
      const label = `http[${i}] "${asString(at(http, "name")) ?? ""}"`;
      const timeout = durationMs(at(http, "timeout"));
      const perTry = durationMs(at(http, "retries", "perTryTimeout"));
      if (timeout === undefined) report(atPath(`spec.http[${i}].timeout`, `is missing: ${label} retries ${attempts} time(s) without a route timeout, so retries are unbounded`));
      else if (perTry === undefined) report(atPath(`spec.http[${i}].retries.perTryTimeout`, `is missing: each try of ${label} may take the whole ${timeout} ms timeout`));
      else if ((attempts + 1) * perTry > timeout) {
        report(atPath(`spec.http[${i}].retries.perTryTimeout`, `is too long for ${label}: ${attempts + 1} tries x ${perTry} ms = ${(attempts + 1) * perTry} ms exceeds the ${timeout} ms timeout`));
      }
    }
  },
};

/** Principal or namespace patterns that match every caller. */
function isCatchAll(v: string): boolean {
  return v === "*" || v.endsWith("/*") || v === "cluster.local/*";
}

/** Why a source of an ALLOW rule lets in callers the call graph does not name, if it does. */
function openSource(source: Json | undefined): string | undefined {
  if (!source || Object.keys(source).length === 0) return "has an empty source (any caller)";
  const principals = asArray(source.principals).map((x) => asString(x) ?? "");
  const namespaces = asArray(source.namespaces).map((x) => asString(x) ?? "");
  if (principals.length === 0 && namespaces.length === 0) return "names no principals or namespaces (any mesh workload, or any client)";
  const wild = [...principals, ...namespaces].filter(isCatchAll);
  if (wild.length) return `allows every caller with ${wild.join(", ")}`;
  return undefined;
}

function isAllow(r: PolicyResource): boolean {
  return (asString(at(r.props, "spec", "action")) ?? "ALLOW") === "ALLOW";
}

/** An allow-nothing policy: ALLOW without rules and without selector denies the whole namespace. */
function isAllowNothing(r: PolicyResource): boolean {
  return isAllow(r) && asArray(at(r.props, "spec", "rules")).length === 0 && !asObject(at(r.props, "spec", "selector")) && asArray(at(r.props, "spec", "targetRefs")).length === 0;
}

export const meshAuthorization: TrademasterStackPolicy = {
  kind: "stack",
  name: "mesh-authorization",
  description:
    "Mesh authorization is deny by default and follows the call graph: every meshed namespace has an allow-nothing AuthorizationPolicy; every ALLOW rule names its callers (no rule without `from`, no empty rule, no wildcard principal or namespace); a catalog service admits only its catalog callers and the gateway, the gateway on its exposed routes only.",
  severity: "critical",
  enforcement: levels("advisory", "mandatory", "mandatory"),
  usesCatalog: true,
  controls: [
    owasp("API5:2023", "Broken Function Level Authorization"),
    owasp("API1:2023", "Broken Object Level Authorization (service-to-service)"),
    asvs("V4.1.3", "Principle of least privilege"),
    asvs("V1.4.4", "Single, vetted access control mechanism (deny by default)"),
    cisK8s("5.3.2", "Ensure that all Namespaces have Network Policies defined (mesh authorization)"),
    pci("7.2.1", "Access control model: least privilege, deny all by default"),
  ],
  remediation:
    "Declare per meshed namespace an AuthorizationPolicy with `spec: {}` (allow nothing); per service an ALLOW policy selecting its pods whose every rule has `from: [{ source: { principals: [<caller SPIFFE id>] } }]` for each catalog caller, and one rule for the gateway principal limited to the exposed routes (`to.operation.methods` and `paths`). Never `rules: [{}]`, a rule without `from`, or `*` principals/namespaces.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const catalog = catalogFor(args.getConfig<CatalogPolicyConfig>());
    const policies = args.resources.filter((r) => isKube(r.type, ISTIO_SECURITY, "AuthorizationPolicy"));
    const nsOf = (r: PolicyResource) => asString(at(r.props, "metadata", "namespace")) ?? "default";
    for (const ns of [...new Set([...serviceNamespaces(catalog), ...MESHED_PLATFORM_NAMESPACES])].sort()) {
      if (!policies.some((r) => nsOf(r) === ns && isAllowNothing(r))) report(`meshed namespace "${ns}" has no allow-nothing AuthorizationPolicy (spec: {}): workloads without an ALLOW policy accept every caller`);
    }
    for (const r of policies.filter(isAllow)) {
      const rules = asArray(at(r.props, "spec", "rules"));
      for (const [i, rule] of rules.entries()) {
        const from = asArray(at(rule, "from"));
        if (from.length === 0) {
          report(atPath(`spec.rules[${i}].from`, "is missing: the rule allows every source (with `rules: [{}]`, everything)"), r.urn);
          continue;
        }
        for (const [j, f] of from.entries()) {
          const why = openSource(asObject(at(f, "source")));
          if (why) report(atPath(`spec.rules[${i}].from[${j}].source`, why), r.urn);
        }
      }
      // The call graph: who may call a catalog service, and the gateway only on exposed routes.
      const ns = nsOf(r);
      for (const service of catalog.services.filter((s) => s.namespace === ns && selectorMatches(at(r.props, "spec", "selector"), { app: s.name }))) {
        const allowed = new Set(callersOf(catalog, service.name).map(meshPrincipal));
        const exposed = exposedRoutes(service).length > 0;
        if (exposed) allowed.add(KONG_GATEWAY_PRINCIPAL);
        for (const [i, rule] of rules.entries()) {
          const principals = asArray(at(rule, "from")).flatMap((f) => asArray(at(f, "source", "principals")).map((x) => asString(x) ?? ""));
          const extra = principals.filter((p) => !allowed.has(p) && !isCatchAll(p));
          if (extra.length) report(atPath(`spec.rules[${i}].from`, `admits ${extra.join(", ")}, which the catalog does not list as a caller of "${service.name}"`), r.urn);
          if (principals.includes(KONG_GATEWAY_PRINCIPAL)) {
            const ops = asArray(at(rule, "to")).map((t) => asObject(at(t, "operation")) ?? {});
            if (ops.length === 0 || ops.some((o) => asArray(o.paths).length === 0 || asArray(o.methods).length === 0)) {
              report(atPath(`spec.rules[${i}].to`, `lets the gateway reach every path and method of "${service.name}" (expected its exposed routes only)`), r.urn);
            }
          }
        }
      }
    }
  },
};

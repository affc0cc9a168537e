/**
 * Service-mesh policies: STRICT mTLS, circuit breakers for every service, no retries of
 * non-idempotent routes, and retry budgets that fit the route timeout.
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import type { ServiceSpec } from "../../infra/catalog/schema";
import { catalogFor, samplePath, serviceHosts, type CatalogPolicyConfig } from "../lib/catalog";
import { asArray, asNumber, asObject, asString, at, durationMs, isKube, ISTIO_NETWORKING, ISTIO_SECURITY } from "../lib/props";
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
        if (mode && WEAK_MTLS.includes(mode)) report(`PeerAuthentication "${r.name}" sets mtls.mode ${mode}`, r.urn);
        for (const [port, setting] of Object.entries(asObject(at(r.props, "spec", "portLevelMtls")) ?? {})) {
          const m = asString(at(setting, "mode"));
          if (m && WEAK_MTLS.includes(m)) report(`PeerAuthentication "${r.name}" sets mode ${m} on port ${port}`, r.urn);
        }
        if (mode === "STRICT" && !selector) {
          if (ns === ISTIO_ROOT_NAMESPACE) meshWideStrict = true;
          strictNamespaces.add(ns);
        }
      }
      if (isKube(r.type, ISTIO_NETWORKING, "DestinationRule")) {
        const spec = at(r.props, "spec");
        const modes = [...tlsModes(at(spec, "trafficPolicy")), ...asArray(at(spec, "subsets")).flatMap((s) => tlsModes(at(s, "trafficPolicy")))];
        if (modes.includes("DISABLE")) report(`DestinationRule "${r.name}" (host ${asString(at(spec, "host")) ?? "?"}) sets tls.mode DISABLE`, r.urn);
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
      if (withOutlier.length === 0) report(`service "${service.name}": DestinationRule without outlierDetection (5xx or gateway-error ejection)`, rules[0].urn);
      if (!rules.some((r) => asObject(at(r.props, "spec", "trafficPolicy", "connectionPool")))) {
        report(`service "${service.name}": DestinationRule without connectionPool (bulkhead)`, rules[0].urn);
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

export const noRetryNonIdempotent: TrademasterStackPolicy = {
  kind: "stack",
  name: "no-retry-non-idempotent",
  description: "The mesh never retries a non-idempotent route (an order POST retried on 5xx can trade twice): such routes have retries.attempts 0.",
  severity: "critical",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  usesCatalog: true,
  controls: [owasp("API6:2023", "Unrestricted Access to Sensitive Business Flows"), asvs("V11.1.2", "Business logic flows are processed in order, without duplication"), pci("6.2.4", "Software engineering techniques prevent common attacks")],
  remediation:
    "Give every VirtualService http route that can carry a non-idempotent catalog route (method + path) `retries: { attempts: 0 }`; Istio retries twice by default when `retries` is absent.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const catalog = catalogFor(args.getConfig<CatalogPolicyConfig>());
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
              report(`${route.method} ${route.path} (${service.name}, non-idempotent) matches http[${i}] "${asString(at(http, "name")) ?? ""}" of VirtualService "${vs.name}" without retries: Istio's default retries apply`, vs.urn);
            } else if (attempts > 0) {
              report(`${route.method} ${route.path} (${service.name}, non-idempotent) matches http[${i}] of VirtualService "${vs.name}" with retries.attempts ${attempts}`, vs.urn);
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
      if (timeout === undefined) report(`${label} retries ${attempts} time(s) without a route timeout: retries are unbounded`);
      else if (perTry === undefined) report(`${label} retries without perTryTimeout: each try may take the whole ${timeout} ms timeout`);
      else if ((attempts + 1) * perTry > timeout) {
        report(`${label}: ${attempts + 1} tries x ${perTry} ms = ${(attempts + 1) * perTry} ms exceeds the ${timeout} ms timeout`);
      }
    }
  },
};

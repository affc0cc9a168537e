/**
 * Edge and gateway policies: OWASP secure headers on every exposed route (Kong response-transformer
 * plugins, CloudFront response headers policies) and CORS without wildcard origins.
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { exposedRoutes } from "../../infra/catalog/derive";
import { catalogFor, samplePath, type CatalogPolicyConfig } from "../lib/catalog";
import { asArray, asBool, asNumber, asObject, asString, at, atPath, isKube, KONG, type Json } from "../lib/props";
import { asvs, levels, owasp, pci, type TrademasterResourcePolicy, type TrademasterStackPolicy } from "../lib/types";

/** HSTS must last at least a year (OWASP Secure Headers Project). */
export const HSTS_MIN_MAX_AGE = 31_536_000;

/**
 * Headers every API response carries, with the OWASP Secure Headers Project values.
 * Each check gets the header value (lowercase) and says what is wrong, or nothing.
 */
export const REQUIRED_HEADERS: Record<string, { expected: string; check: (value: string) => boolean }> = {
  "strict-transport-security": {
    expected: `max-age >= ${HSTS_MIN_MAX_AGE}; includeSubDomains`,
    check: (v) => {
      const m = /max-age=(\d+)/.exec(v);
      return m !== null && Number(m[1]) >= HSTS_MIN_MAX_AGE && v.includes("includesubdomains");
    },
  },
  "x-content-type-options": { expected: "nosniff", check: (v) => v.trim() === "nosniff" },
  "x-frame-options": { expected: "DENY", check: (v) => v.trim() === "deny" },
  "content-security-policy": {
    expected: "a policy with frame-ancestors 'none' (APIs: default-src 'none')",
    check: (v) => /frame-ancestors\s+'none'/.test(v) && /default-src\s+'(none|self)'/.test(v),
  },
  "referrer-policy": { expected: "no-referrer or strict-origin-when-cross-origin", check: (v) => ["no-referrer", "strict-origin-when-cross-origin"].includes(v.trim()) },
};

/** Header name -> value from a Kong response-transformer config (`add`/`append`/`replace` "Name:value" lists). */
export function kongTransformerHeaders(config: unknown): Map<string, string> {
  const headers = new Map<string, string>();
  for (const section of ["replace", "append", "add"]) {
    for (const entry of asArray(at(config, section, "headers"))) {
      const s = asString(entry);
      if (!s || !s.includes(":")) continue;
      const i = s.indexOf(":");
      headers.set(s.slice(0, i).trim().toLowerCase(), s.slice(i + 1).trim().toLowerCase());
    }
  }
  return headers;
}

/** What is missing or wrong in a header set; empty when it meets the OWASP values. */
export function headerProblems(headers: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, rule] of Object.entries(REQUIRED_HEADERS)) {
    const value = headers.get(name);
    if (value === undefined) problems.push(`${name} missing (expected ${rule.expected})`);
    else if (!rule.check(value)) problems.push(`${name} is "${value}" (expected ${rule.expected})`);
  }
  return problems;
}

/** The header set a CloudFront response headers policy adds. */
export function cloudFrontHeaders(props: Json): Map<string, string> {
  const h = new Map<string, string>();
  const sec = asObject(props.securityHeadersConfig) ?? {};
  const hsts = asObject(sec.strictTransportSecurity);
  if (hsts) {
    const parts = [`max-age=${asNumber(hsts.accessControlMaxAgeSec) ?? 0}`];
    if (asBool(hsts.includeSubdomains)) parts.push("includesubdomains");
    if (asBool(hsts.preload)) parts.push("preload");
    h.set("strict-transport-security", parts.join("; "));
  }
  if (asObject(sec.contentTypeOptions)) h.set("x-content-type-options", "nosniff");
  const frame = asString(at(sec, "frameOptions", "frameOption"));
  if (frame) h.set("x-frame-options", frame.toLowerCase());
  const csp = asString(at(sec, "contentSecurityPolicy", "contentSecurityPolicy"));
  if (csp) h.set("content-security-policy", csp.toLowerCase());
  const referrer = asString(at(sec, "referrerPolicy", "referrerPolicy"));
  if (referrer) h.set("referrer-policy", referrer.toLowerCase());
  for (const item of asArray(at(props, "customHeadersConfig", "items"))) {
    const name = asString(at(item, "header"));
    const value = asString(at(item, "value"));
    if (name && value && !h.has(name.toLowerCase())) h.set(name.toLowerCase(), value.toLowerCase());
  }
  return h;
}

function pluginName(r: PolicyResource): string | undefined {
  return asString(r.props.plugin);
}

function isKongPlugin(type: string): boolean {
  return isKube(type, KONG, "KongPlugin") || isKube(type, KONG, "KongClusterPlugin");
}

function pluginsAnnotation(props: Json): string[] {
  const v = asString(at(props, "metadata", "annotations", "konghq.com/plugins"));
  return v ? v.split(",").map((s) => s.trim()).filter(Boolean) : [];
}

/** Paths an Ingress or HTTPRoute routes (prefixes), with its namespace. */
function routedPaths(r: PolicyResource): string[] {
  if (isKube(r.type, "networking.k8s.io", "Ingress")) {
    return asArray(at(r.props, "spec", "rules")).flatMap((rule) => asArray(at(rule, "http", "paths")).map((p) => asString(at(p, "path")) ?? "/"));
  }
  if (isKube(r.type, "gateway.networking.k8s.io", "HTTPRoute")) {
    return asArray(at(r.props, "spec", "rules")).flatMap((rule) => {
      const matches = asArray(at(rule, "matches"));
      return matches.length ? matches.map((m) => asString(at(m, "path", "value")) ?? "/") : ["/"];
    });
  }
  return [];
}

function pathCovers(routed: string, path: string): boolean {
  // Kong strips regex markers (`~`); a prefix covers the path at a segment boundary.
  const p = routed.replace(/^~/, "");
  if (p === "/" || p === path) return true;
  return path.startsWith(p.endsWith("/") ? p : `${p}/`) || (p.endsWith("/") && path.startsWith(p));
}

export const securityHeaders: TrademasterStackPolicy = {
  kind: "stack",
  name: "security-headers",
  description: "Every exposed route answers with the OWASP secure headers (HSTS, nosniff, DENY framing, CSP, Referrer-Policy).",
  severity: "high",
  enforcement: levels("mandatory", "mandatory", "mandatory"),
  usesCatalog: true,
  controls: [
    owasp("API8:2023", "Security Misconfiguration"),
    asvs("V14.4", "HTTP Security Headers"),
    pci("6.4.1", "Public-facing web applications are protected against attacks"),
  ],
  remediation:
    "Add a Kong response-transformer plugin (KongClusterPlugin labelled global=\"true\", or a KongPlugin named in the route's konghq.com/plugins annotation) that adds: Strict-Transport-Security: max-age=31536000; includeSubDomains, X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Content-Security-Policy: default-src 'none'; frame-ancestors 'none', Referrer-Policy: no-referrer. For CloudFront set securityHeadersConfig with the same values.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const catalog = catalogFor(args.getConfig<CatalogPolicyConfig>());
    // Compliant plugins by (namespace or "" for cluster plugins) and name.
    const compliant = new Set<string>();
    let globalCompliant = false;
    for (const r of args.resources) {
      if (isKongPlugin(r.type) && pluginName(r) === "response-transformer") {
        const problems = headerProblems(kongTransformerHeaders(r.props.config));
        const cluster = isKube(r.type, KONG, "KongClusterPlugin");
        const ns = cluster ? "" : (asString(at(r.props, "metadata", "namespace")) ?? "default");
        const name = asString(at(r.props, "metadata", "name")) ?? r.name;
        if (problems.length) {
          report(atPath("config.add.headers", `of response-transformer plugin "${name}": ${problems.join("; ")}`), r.urn);
          continue;
        }
        compliant.add(`${ns}/${name}`);
        const global = asString(at(r.props, "metadata", "labels", "global"));
        if (cluster && global === "true") globalCompliant = true;
      }
      if (r.type === "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy") {
        const problems = headerProblems(cloudFrontHeaders(r.props));
        if (problems.length) report(atPath("securityHeadersConfig", `of CloudFront response headers policy "${r.name}": ${problems.join("; ")}`), r.urn);
        const overrides = ["strictTransportSecurity", "contentTypeOptions", "frameOptions", "contentSecurityPolicy", "referrerPolicy"].filter(
          (k) => asObject(at(r.props, "securityHeadersConfig", k)) && asBool(at(r.props, "securityHeadersConfig", k, "override")) !== true,
        );
        if (overrides.length) report(atPath(`securityHeadersConfig.${overrides[0]}.override`, `must be true for ${overrides.join(", ")} of CloudFront response headers policy "${r.name}" so origins cannot weaken them`), r.urn);
      }
    }
    if (globalCompliant) return;
    // Without a compliant global plugin, each exposed route needs a routing object with one.
    const routing = args.resources.filter((r) => routedPaths(r).length > 0);
    const attached = (r: PolicyResource) => {
      const ns = asString(at(r.props, "metadata", "namespace")) ?? "default";
      return pluginsAnnotation(r.props).some((p) => compliant.has(`${ns}/${p}`) || compliant.has(`/${p}`));
    };
    for (const service of catalog.services) {
      for (const route of exposedRoutes(service)) {
        const path = samplePath(route);
        const routes = routing.filter((r) => routedPaths(r).some((p) => pathCovers(p, path)));
        if (routes.length === 0) {
          report(`exposed route ${route.method} ${route.path} of service "${service.name}" has no gateway route object (Ingress/HTTPRoute) and no global response-transformer plugin covers it`);
        } else if (!routes.some(attached)) {
          report(
            `exposed route ${route.method} ${route.path} of service "${service.name}" is routed by ${routes.map((r) => r.name).join(", ")} without a compliant response-transformer plugin`,
            routes[0].urn,
          );
        }
      }
    }
  },
};

/** Origins no TradeMaster allow-list may accept: an attacker's sites and the opaque `null` origin. */
export const FOREIGN_ORIGINS = ["https://evil.example", "http://evil.example", "https://attacker.example.net", "null"];

/** Kong treats an origin with characters outside [A-Za-z0-9.:/-] as a PCRE regex. */
function isKongRegex(origin: string): boolean {
  return /[^A-Za-z0-9.:/-]/.test(origin);
}

/** Full (anchored) regex match; an invalid pattern accepts nothing (the gateway rejects it). */
function regexAccepts(pattern: string, origin: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(origin);
  } catch {
    return false;
  }
}

/** An origin as Kong's cors plugin compares it: `scheme://host:port`, the default port made explicit. */
function withDefaultPort(origin: string): string {
  const m = /^(https?):\/\/([^/:]+)$/.exec(origin);
  return m ? `${origin}:${m[1] === "https" ? 443 : 80}` : origin;
}

/**
 * Origins that allow any site: `*`, `null`, or a regex that accepts a foreign origin (`https://.*`).
 * Kong's cors plugin matches each configured origin as a PCRE anchored at both ends (`re_find(origin,
 * domain .. "$", "ajo")`) against the request origin normalized to scheme://host:port, the
 * configured one normalized the same way; Envoy (Istio `regex`) matches in full too.
 */
export function isWildcardOrigin(origin: string, regex: "kong" | "full" | "none" = "kong"): boolean {
  const o = origin.trim();
  if (o === "*" || o === "null" || /^https?:\/\/\*$/.test(o)) return true;
  if (regex === "none" || (regex === "kong" && !isKongRegex(o))) return false;
  const patterns = regex === "kong" ? [o, withDefaultPort(o)] : [o];
  const probes = regex === "kong" ? FOREIGN_ORIGINS.flatMap((f) => [f, withDefaultPort(f)]) : FOREIGN_ORIGINS;
  return patterns.some((p) => probes.some((f) => regexAccepts(p, f)));
}

export const corsNoWildcard: TrademasterResourcePolicy = {
  kind: "resource",
  name: "cors-no-wildcard",
  description: "CORS allows only explicit origins: no `*`, `null`, or regex or prefix that accepts a foreign site (`https://.*`) outside local.",
  severity: "high",
  enforcement: levels("advisory", "mandatory", "mandatory"),
  controls: [
    owasp("API8:2023", "Security Misconfiguration"),
    asvs("V14.5.3", "CORS Access-Control-Allow-Origin uses a strict allow list"),
    pci("6.2.4", "Software engineering techniques prevent common attacks"),
  ],
  remediation: "List the web front-end origins explicitly (gateway.corsOrigins in the stack file); never `*`, and never `*` together with credentials.",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (isKongPlugin(args.type)) {
      if (asString(args.props.plugin) !== "cors") return;
      const origins = asArray(at(args.props, "config", "origins")).map((o) => asString(o) ?? "");
      const bad = origins.filter((o) => isWildcardOrigin(o, "kong"));
      if (origins.length === 0) report(atPath("config.origins", "is missing: the Kong cors plugin allows every origin"));
      if (bad.length) report(atPath("config.origins", `allows any site: ${bad.join(", ")} (accepts ${FOREIGN_ORIGINS[0]} or is a wildcard)`));
      return;
    }
    if (args.type === "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy") {
      const cors = asObject(args.props.corsConfig);
      if (!cors) return;
      const origins = asArray(at(cors, "accessControlAllowOrigins", "items")).map((o) => asString(o) ?? "");
      const bad = origins.filter((o) => isWildcardOrigin(o, "none"));
      if (bad.length) report(atPath("corsConfig.accessControlAllowOrigins.items", `allows wildcard origin(s): ${bad.join(", ")}`));
      return;
    }
    if (isKube(args.type, "networking.istio.io", "VirtualService")) {
      for (const [i, http] of asArray(at(args.props, "spec", "http")).entries()) {
        for (const o of asArray(at(http, "corsPolicy", "allowOrigins"))) {
          const regex = asString(at(o, "regex"));
          const prefix = asString(at(o, "prefix"));
          const exact = asString(at(o, "exact"));
          // Envoy matches regex origins in full (RE2); a prefix accepts every longer origin.
          const open =
            (regex !== undefined && isWildcardOrigin(regex, "full")) ||
            (prefix !== undefined && FOREIGN_ORIGINS.some((f) => f.startsWith(prefix))) ||
            (exact !== undefined && isWildcardOrigin(exact, "none"));
          if (open) {
            report(atPath(`spec.http[${i}].corsPolicy.allowOrigins`, `allows any site: ${JSON.stringify(o)}`));
          }
        }
      }
    }
  },
};

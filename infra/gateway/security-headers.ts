/**
 * The OWASP Secure Headers Project values, in ONE place: Kong adds them to every API response
 * (response-transformer) and CloudFront to every static asset (response headers policy). Pure.
 */

/** Security headers every response carries, API or static. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
  "Content-Security-Policy":
    "default-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'; upgrade-insecure-requests",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Permissions-Policy":
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Permitted-Cross-Domain-Policies": "none",
};

/** API responses are personal and live: never cached by browsers or intermediaries. */
export const API_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  ...SECURITY_HEADERS,
  "Cache-Control": "no-store",
};

/**
 * Response headers that leak the stack (server software, proxies, internal timings) and are
 * stripped at the edge. Kong's own (Server, Via, X-Kong-*) are also turned off with its `headers`
 * setting; these catch what upstreams and the mesh proxies add.
 */
export const LEAKY_RESPONSE_HEADERS: readonly string[] = [
  "Server",
  "Via",
  "X-Powered-By",
  "X-AspNet-Version",
  "X-Kong-Upstream-Latency",
  "X-Kong-Proxy-Latency",
  "X-Kong-Response-Latency",
  "X-Kong-Request-Id",
  "X-Kong-Upstream-Status",
  "X-Envoy-Upstream-Service-Time",
  "X-Envoy-Decorator-Operation",
  "X-Envoy-Attempt-Count",
  "X-Envoy-Overloaded",
];

/** HSTS max-age in seconds, parsed from the one value above (CloudFront wants it as a number). */
export function hstsMaxAgeSeconds(): number {
  const m = /max-age=(\d+)/.exec(SECURITY_HEADERS["Strict-Transport-Security"]);
  if (!m) throw new Error("Strict-Transport-Security has no max-age");
  return Number(m[1]);
}

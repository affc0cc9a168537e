/**
 * The service catalog as policies see it: loaded once per file with the platform's own loader
 * (validated), chosen by the policy's `catalogFile` config (default: the shipped catalog).
 */
import * as path from "node:path";
import { DEFAULT_CATALOG, loadCatalog } from "../../infra/catalog/load";
import type { Catalog, RouteSpec, ServiceSpec } from "../../infra/catalog/schema";

const cache = new Map<string, Catalog>();

/** Config properties accepted by catalog-aware policies. */
export interface CatalogPolicyConfig {
  /** Catalog file (absolute, or relative to the working directory). */
  catalogFile?: string;
}

export function catalogFor(config: CatalogPolicyConfig): Catalog {
  const file = path.resolve(config.catalogFile ?? DEFAULT_CATALOG);
  let catalog = cache.get(file);
  if (!catalog) {
    catalog = loadCatalog(file);
    cache.set(file, catalog);
  }
  return catalog;
}

/** Host names a mesh object may use for a service (short, namespaced, FQDN). */
export function serviceHosts(service: Pick<ServiceSpec, "name" | "namespace">): string[] {
  return [service.name, `${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}.svc.cluster.local`];
}

/** A concrete request path for a catalog route: `{param}` segments filled with a sample value. */
export function samplePath(route: Pick<RouteSpec, "path">): string {
  return route.path.replace(/\{[^}]+\}/g, "sample");
}

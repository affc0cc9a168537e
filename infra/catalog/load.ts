/**
 * Loads the service catalog (YAML) and validates its shape and its references. Pure apart from
 * reading the file.
 */
import * as path from "node:path";
import { CONFIG_LIMITS, parseYaml, readTextFile, shownPath } from "../io/read";
import { parseDocument, ValidationError, type Issue } from "../validation/schema";
import { sharedConsumes } from "./derive";
import { catalogCheck, type Catalog } from "./schema";

/** The catalog shipped with the platform. */
export const DEFAULT_CATALOG = path.join(__dirname, "catalog.yaml");

/** Reads and validates a catalog file; throws ValidationError naming the file and key paths. */
export function loadCatalog(file: string = DEFAULT_CATALOG): Catalog {
  const shown = shownPath(file);
  return parseCatalog(readTextFile(file, CONFIG_LIMITS.maxBytes, "YAML file", shown), shown);
}

/** Parses catalog YAML text (within CONFIG_LIMITS); `file` is only used in error messages. */
export function parseCatalog(text: string, file: string): Catalog {
  const catalog = parseDocument(file, catalogCheck, parseYaml(text, file, CONFIG_LIMITS));
  const issues = referenceIssues(catalog);
  if (issues.length) throw new ValidationError(file, issues);
  return catalog;
}

function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

/** Checks that need the whole catalog: names, references, ports, SLOs, sizing. */
export function referenceIssues(c: Catalog): Issue[] {
  const issues: Issue[] = [];
  const services = new Set(c.services.map((s) => s.name));
  const topics = new Set(c.topics.map((t) => t.name));
  for (const d of duplicates(c.services.map((s) => s.name))) {
    issues.push({ path: "services", expected: "unique service names", found: `"${d}" more than once` });
  }
  for (const d of duplicates(c.topics.map((t) => t.name))) {
    issues.push({ path: "topics", expected: "unique topic names", found: `"${d}" more than once` });
  }
  for (const d of duplicates(c.topics.map((t) => t.topicName))) {
    issues.push({ path: "topics", expected: "unique Kafka topic names", found: `"${d}" more than once` });
  }
  if (c.marketHours.open >= c.marketHours.close) {
    issues.push({ path: "marketHours.close", expected: `a time after open (${c.marketHours.open})`, found: c.marketHours.close });
  }
  const exposed = new Map<string, string>();
  c.services.forEach((s, i) => {
    const at = `services[${i}]`;
    if (s.ports.http === s.ports.metrics) {
      issues.push({ path: `${at}.ports`, expected: "different http and metrics ports", found: `both ${s.ports.http}` });
    }
    for (const d of duplicates(s.routes.map((r) => r.name))) {
      issues.push({ path: `${at}.routes`, expected: "unique route names", found: `"${d}" more than once` });
    }
    s.routes.forEach((r, j) => {
      const key = `${r.method} ${r.path}`;
      const owner = exposed.get(key);
      if (r.exposed && owner) {
        issues.push({ path: `${at}.routes[${j}]`, expected: "a method and path no other service exposes", found: `${key} also exposed by ${owner}` });
      }
      if (r.exposed) exposed.set(key, s.name);
      if (!r.idempotent && r.method === "GET") {
        issues.push({ path: `${at}.routes[${j}].idempotent`, expected: "true for GET (safe methods are idempotent)", found: "false" });
      }
    });
    s.calls.forEach((callee, j) => {
      if (!services.has(callee)) {
        issues.push({ path: `${at}.calls[${j}]`, expected: `a service of the catalog (${[...services].join(", ")})`, found: `"${callee}"` });
      } else if (callee === s.name) {
        issues.push({ path: `${at}.calls[${j}]`, expected: "another service (a service does not call itself over the mesh)", found: `"${callee}"` });
      }
    });
    for (const d of duplicates(s.calls)) issues.push({ path: `${at}.calls`, expected: "each callee once", found: `"${d}" more than once` });
    for (const kind of ["produces", "consumes"] as const) {
      s[kind].forEach((t, j) => {
        if (!topics.has(t)) {
          issues.push({ path: `${at}.${kind}[${j}]`, expected: `a topic of the catalog (${[...topics].join(", ")})`, found: `"${t}"` });
        }
      });
    }
    s.broadcast.forEach((t, j) => {
      if (!s.consumes.includes(t)) issues.push({ path: `${at}.broadcast[${j}]`, expected: `a topic the service consumes (${s.consumes.join(", ")})`, found: `"${t}"` });
    });
    if (s.criticality === "critical" && !s.slo) {
      issues.push({ path: `${at}.slo`, expected: `an SLO (service "${s.name}" is critical)`, found: "nothing (missing)" });
    }
    for (const env of ["local", "staging", "prod"]) {
      const sizing = s.environments[env];
      if (!sizing) {
        issues.push({ path: `${at}.environments.${env}`, expected: "replicas and resources for this environment", found: "nothing (missing)" });
      } else if (sizing.maxReplicas < sizing.replicas) {
        issues.push({ path: `${at}.environments.${env}.maxReplicas`, expected: `at least replicas (${sizing.replicas})`, found: `${sizing.maxReplicas}` });
      }
    }
  });
  const issuers = c.services.filter((s) => s.issuesTokens).map((s) => s.name);
  const needsTokens = c.services.some((s) => s.routes.some((r) => r.exposed && r.authenticated));
  if (issuers.length > 1) {
    issues.push({ path: "services", expected: "at most one service with issuesTokens: true", found: issuers.join(", ") });
  } else if (needsTokens && issuers.length === 0) {
    issues.push({ path: "services", expected: "one service with issuesTokens: true (exposed routes require a JWT)", found: "none" });
  }
  // Redis ACLs are prefix patterns: a prefix inside another's would let one service reach the other's keys.
  for (const kind of ["keyPrefix", "channelPrefix"] as const) {
    const owners = c.services.flatMap((s, i) => (s.datastores.redis?.[kind] ? [{ i, name: s.name, prefix: s.datastores.redis[kind]! }] : []));
    for (const a of owners) {
      const b = owners.find((o) => o !== a && a.prefix.startsWith(o.prefix));
      if (b) issues.push({ path: `services[${a.i}].datastores.redis.${kind}`, expected: `a prefix not covered by ${b.name}'s "${b.prefix}"`, found: `"${a.prefix}"` });
    }
  }
  // Every member of a consumer group needs a partition: maxReplicas may not exceed the partitions.
  c.topics.forEach((t, i) => {
    for (const s of c.services.filter((svc) => sharedConsumes(svc).includes(t.name))) {
      for (const [env, sizing] of Object.entries(s.environments)) {
        if (sizing.maxReplicas > t.partitions) {
          issues.push({
            path: `topics[${i}].partitions`,
            expected: `at least ${sizing.maxReplicas} (maxReplicas of consumer ${s.name} in ${env})`,
            found: `${t.partitions}`,
          });
        }
      }
    }
  });
  const produced = new Set(c.services.flatMap((s) => s.produces));
  c.topics.forEach((t, i) => {
    if (!produced.has(t.name)) {
      issues.push({ path: `topics[${i}]`, expected: "a topic some service produces", found: `"${t.name}" has no producer` });
    }
  });
  return issues;
}

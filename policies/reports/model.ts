/**
 * The compliance report every format is written from: policies with their controls and outcome,
 * violations located at the component's source file and the resource URN. Deterministic (no
 * timestamps) so reports of the same plan are byte-identical.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { EnforcementLevel, Severity } from "@pulumi/policy";
import type { Catalog } from "../../infra/catalog/schema";
import { callEdges } from "../../infra/catalog/derive";
import type { PlanResource } from "../../infra/plan/types";
import type { EvaluationResult } from "../harness";
import type { PolicySource } from "../sources";
import { SECURITY_SEVERITY, type Control, type TrademasterPolicy } from "../lib/types";

export const REPO_ROOT = path.join(__dirname, "..", "..");
export const TOOL = { name: "trademaster-policy", version: "0.1.0" };

export type PolicyOutcome = "pass" | "fail" | "warn" | "disabled" | "not-applicable";

export interface PolicySummary {
  name: string;
  description: string;
  severity: Severity;
  securitySeverity: number;
  enforcementLevel: EnforcementLevel;
  controls: Control[];
  remediation: string;
  outcome: PolicyOutcome;
  violations: number;
  evaluated: number;
}

export interface SourceLocation {
  /** Repository-relative file of the component that declares the resource. */
  file: string;
  line: number;
}

export interface Violation {
  policy: string;
  severity: Severity;
  enforcementLevel: EnforcementLevel;
  message: string;
  urn: string | null;
  resourceType: string | null;
  resourceName: string | null;
  component: string | null;
  location: SourceLocation;
  /** The policy could not run on an unknown preview value (engine: advisory). */
  unknown: boolean;
}

export interface PolicyReport {
  tool: typeof TOOL;
  stack: string;
  environment: string;
  source: { kind: PolicySource["kind"]; file: string | null };
  summary: {
    policies: number;
    resources: number;
    mandatory: number;
    advisory: number;
    passed: boolean;
  };
  policies: PolicySummary[];
  violations: Violation[];
  /** Service call graph of the catalog (for the Markdown diagram). */
  callGraph: { services: Array<{ name: string; criticality: string }>; edges: Array<{ from: string; to: string }> };
}

const lineCache = new Map<string, number>();

/** `trademaster:<folder>:<Class>` -> infra/<folder>/index.ts, at the class declaration when found. */
export function componentLocation(component: string | null, root = REPO_ROOT): SourceLocation {
  const m = component ? /^trademaster:([a-z0-9-]+):([A-Za-z0-9_]+)$/.exec(component) : null;
  if (!m) return { file: "infra/platform.ts", line: Math.max(1, lineOf("infra/platform.ts", /export function definePlatform/, root)) };
  // The class usually lives in the folder's index.ts; sub-components may have their own module.
  const declaration = new RegExp(`class ${m[2]}\\b`);
  const folder = path.join(root, "infra", m[1]);
  const candidates = [`infra/${m[1]}/index.ts`];
  try {
    candidates.push(...fs.readdirSync(folder).filter((f) => f.endsWith(".ts") && f !== "index.ts").sort().map((f) => `infra/${m[1]}/${f}`));
  } catch {
    // Folder absent in this checkout: fall back to index.ts.
  }
  for (const file of candidates) {
    const line = lineOf(file, declaration, root);
    if (line > 0) return { file, line };
  }
  return { file: candidates[0], line: 1 };
}

function lineOf(file: string, pattern: RegExp, root: string): number {
  const key = `${root}|${file}|${pattern.source}`;
  const cached = lineCache.get(key);
  if (cached !== undefined) return cached;
  let line = 0;
  try {
    const idx = fs.readFileSync(path.join(root, file), "utf8").split("\n").findIndex((l) => pattern.test(l));
    if (idx >= 0) line = idx + 1;
  } catch {
    // A report on an export from another checkout may name files this one lacks.
  }
  lineCache.set(key, line);
  return line;
}

/** Strips the engine's "<description>\n" prefix: reports show the description separately. */
function detail(message: string, description: string): string {
  return message.startsWith(`${description}\n`) ? message.slice(description.length + 1) : message;
}

export function buildReport(source: PolicySource, policies: TrademasterPolicy[], result: EvaluationResult, catalog: Catalog): PolicyReport {
  const byUrn = new Map<string, PlanResource>(source.resources.map((r) => [r.urn, r]));
  const violations: Violation[] = result.diagnostics.map((d) => {
    const r = d.urn ? byUrn.get(d.urn) : undefined;
    return {
      policy: d.policyName,
      severity: d.severity ?? "medium",
      enforcementLevel: d.enforcementLevel,
      message: detail(d.message, d.description),
      urn: d.urn ?? null,
      resourceType: r?.type ?? null,
      resourceName: r?.name ?? null,
      component: r?.component ?? null,
      location: componentLocation(r?.component ?? null),
      unknown: d.unknown ?? false,
    };
  });
  violations.sort((a, b) => `${a.policy}|${a.urn ?? ""}|${a.message}`.localeCompare(`${b.policy}|${b.urn ?? ""}|${b.message}`));
  const summaries: PolicySummary[] = policies.map((p) => {
    const level = result.levels[p.name] ?? p.enforcement.prod;
    const mine = violations.filter((v) => v.policy === p.name);
    const notApplicable = result.notApplicable.some((n) => n.policyName === p.name && !n.urn);
    const outcome: PolicyOutcome =
      level === "disabled" ? "disabled" : mine.some((v) => v.enforcementLevel === "mandatory") ? "fail" : mine.length ? "warn" : notApplicable ? "not-applicable" : "pass";
    return {
      name: p.name,
      description: p.description,
      severity: p.severity,
      securitySeverity: SECURITY_SEVERITY[p.severity],
      enforcementLevel: level,
      controls: p.controls,
      remediation: p.remediation,
      outcome,
      violations: mine.length,
      evaluated: result.evaluated[p.name] ?? 0,
    };
  });
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  return {
    tool: TOOL,
    stack: source.stack,
    environment: source.environment,
    source: { kind: source.kind, file: source.file ?? null },
    summary: { policies: policies.length, resources: source.resources.length, mandatory, advisory: violations.length - mandatory, passed: mandatory === 0 },
    policies: summaries,
    violations,
    callGraph: { services: catalog.services.map((s) => ({ name: s.name, criticality: s.criticality })), edges: callEdges(catalog) },
  };
}

/**
 * The compliance report every format is written from: policies with their controls and outcome,
 * violations located at the source line of the violating property and the resource URN, with a
 * fingerprint independent of the message wording. Deterministic (no
 * timestamps) so reports of the same plan are byte-identical.
 */
import { createHash } from "node:crypto";
import type { EnforcementLevel, Severity } from "@pulumi/policy";
import type { Catalog } from "../../infra/catalog/schema";
import { callEdges } from "../../infra/catalog/derive";
import type { PlanResource } from "../../infra/plan/types";
import type { EvaluationResult } from "../harness";
import type { PolicySource } from "../sources";
import { pathOfMessage } from "../lib/props";
import { SECURITY_SEVERITY, type Control, type TrademasterPolicy } from "../lib/types";
import { componentLocation, REPO_ROOT, violationLocation, type SourceLocation } from "./locate";

export { componentLocation, REPO_ROOT, type SourceLocation };
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

export interface Violation {
  policy: string;
  severity: Severity;
  enforcementLevel: EnforcementLevel;
  message: string;
  urn: string | null;
  resourceType: string | null;
  resourceName: string | null;
  component: string | null;
  /** The property the finding concerns (the message's leading `path`), when it names one. */
  propertyPath: string | null;
  /** Source line of that property (or of the resource's declaration). */
  location: SourceLocation;
  /**
   * Stable identity of the finding across runs and rewordings: policy, resource, property path
   * and, for several findings without a path on one resource, their order. Never the message.
   */
  fingerprint: string;
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

/** Strips the engine's "<description>\n" prefix: reports show the description separately. */
function detail(message: string, description: string): string {
  return message.startsWith(`${description}\n`) ? message.slice(description.length + 1) : message;
}

export function buildReport(source: PolicySource, policies: TrademasterPolicy[], result: EvaluationResult, catalog: Catalog): PolicyReport {
  const byUrn = new Map<string, PlanResource>(source.resources.map((r) => [r.urn, r]));
  const seen = new Map<string, number>();
  const violations: Violation[] = result.diagnostics.map((d) => {
    const r = d.urn ? byUrn.get(d.urn) : undefined;
    const message = detail(d.message, d.description);
    const propertyPath = d.unknown ? null : (pathOfMessage(message) ?? null);
    // Diagnostics come in evaluation order (resources, then the policy's code order), not message order.
    const identity = `${d.policyName}|${d.urn ?? source.stack}|${propertyPath ?? (d.unknown ? "(unknown)" : "")}`;
    const n = seen.get(identity) ?? 0;
    seen.set(identity, n + 1);
    return {
      policy: d.policyName,
      severity: d.severity ?? "medium",
      enforcementLevel: d.enforcementLevel,
      message,
      urn: d.urn ?? null,
      resourceType: r?.type ?? null,
      resourceName: r?.name ?? null,
      component: r?.component ?? null,
      propertyPath,
      location: violationLocation(r, propertyPath ?? undefined, byUrn),
      fingerprint: createHash("sha256").update(`${identity}|${n}`).digest("hex").slice(0, 32),
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

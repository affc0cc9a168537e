/**
 * The report as SARIF 2.1.0 for GitHub code scanning: one rule per policy (help text,
 * `security-severity`, control tags), one result per violation located at the line of the violating
 * property (or the resource's declaration), with the resource URN and property as logical locations.
 */
import type { PolicyReport, PolicySummary } from "./model";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
export const SARIF_VERSION = "2.1.0";

export type SarifLevel = "error" | "warning" | "note" | "none";

/** SARIF result level: mandatory -> error, advisory -> warning, unknown-at-preview -> note. */
export function sarifLevel(enforcementLevel: string, unknown = false): SarifLevel {
  if (unknown) return "note";
  return enforcementLevel === "mandatory" ? "error" : "warning";
}

function rule(p: PolicySummary) {
  const controls = p.controls.map((c) => `- ${c.framework} ${c.id}: ${c.title}`).join("\n");
  return {
    id: p.name,
    name: p.name
      .split("-")
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(""),
    shortDescription: { text: p.description },
    fullDescription: { text: p.description },
    help: {
      text: `${p.description}\n\nRemediation: ${p.remediation}\n\nControls:\n${controls}`,
      markdown: `${p.description}\n\n**Remediation:** ${p.remediation}\n\n**Controls:**\n${controls}`,
    },
    defaultConfiguration: { level: p.enforcementLevel === "disabled" ? "none" : sarifLevel(p.enforcementLevel), enabled: p.enforcementLevel !== "disabled" },
    properties: {
      tags: ["security", "iac", "pulumi", ...p.controls.map((c) => `${c.framework} ${c.id}`)],
      precision: "high",
      "security-severity": p.securitySeverity.toFixed(1),
      "problem.severity": p.severity === "critical" || p.severity === "high" ? "error" : p.severity === "medium" ? "warning" : "recommendation",
    },
  };
}

export function renderSarif(report: PolicyReport): string {
  const rules = report.policies.map(rule);
  const index = new Map(report.policies.map((p, i) => [p.name, i]));
  const results = report.violations.map((v) => ({
    ruleId: v.policy,
    ruleIndex: index.get(v.policy) ?? 0,
    level: sarifLevel(v.enforcementLevel, v.unknown),
    message: { text: v.resourceName ? `${v.resourceType} "${v.resourceName}": ${v.message}` : v.message },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: v.location.file, uriBaseId: "%SRCROOT%" }, region: { startLine: v.location.line } },
        ...(v.urn
          ? {
              logicalLocations: [
                { fullyQualifiedName: v.urn, name: v.resourceName ?? v.urn, kind: "resource" },
                ...(v.propertyPath ? [{ fullyQualifiedName: `${v.urn}#${v.propertyPath}`, name: v.propertyPath, kind: "property" }] : []),
              ],
            }
          : {}),
      },
    ],
    // Stable identity across runs and rewordings: policy, resource and property, never the message.
    partialFingerprints: { "trademasterPolicy/v2": v.fingerprint },
    properties: { stack: report.stack, environment: report.environment, enforcementLevel: v.enforcementLevel, ...(v.urn ? { urn: v.urn } : {}) },
  }));
  const log = {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: { driver: { name: report.tool.name, version: report.tool.version, semanticVersion: report.tool.version, rules } },
        automationDetails: { id: `trademaster-policy/${report.stack}/` },
        originalUriBaseIds: { "%SRCROOT%": { description: { text: "Repository root" } } },
        results,
        properties: { stack: report.stack, environment: report.environment, source: report.source.kind },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

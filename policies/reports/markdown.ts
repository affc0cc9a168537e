/** The report as a pull-request comment: summary table, violations, and the service call graph. */
import { controlLabel } from "../lib/types";
import type { PolicyReport, PolicySummary, Violation } from "./model";

const OUTCOME: Record<PolicySummary["outcome"], string> = {
  pass: "✅ pass",
  fail: "❌ fail",
  warn: "⚠️ warn",
  disabled: "➖ disabled",
  "not-applicable": "➖ n/a",
};

/** Escapes a value for a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/** Mermaid node id: letters, digits and underscores only. */
function nodeId(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_");
}

export function mermaidCallGraph(report: PolicyReport): string {
  const lines = ["```mermaid", "graph LR"];
  for (const s of report.callGraph.services) lines.push(`  ${nodeId(s.name)}["${s.name}"]`);
  for (const e of report.callGraph.edges) lines.push(`  ${nodeId(e.from)} --> ${nodeId(e.to)}`);
  const critical = report.callGraph.services.filter((s) => s.criticality === "critical").map((s) => nodeId(s.name));
  if (critical.length) {
    lines.push("  classDef critical fill:#fde2e1,stroke:#c0392b");
    lines.push(`  class ${critical.join(",")} critical`);
  }
  lines.push("```");
  return lines.join("\n");
}

function violationLine(v: Violation): string {
  const where = v.resourceType ? `\`${v.resourceType}\` **${v.resourceName}**` : "stack";
  return `- ${where} (${v.location.file}:${v.location.line}): ${v.message.replace(/\r?\n/g, " ")}`;
}

export function renderMarkdown(report: PolicyReport): string {
  const s = report.summary;
  const status = s.passed ? "✅ no mandatory violation" : `❌ ${s.mandatory} mandatory violation${s.mandatory === 1 ? "" : "s"}`;
  const out: string[] = [
    `## Policy report — stack \`${report.stack}\` (${report.environment})`,
    "",
    `${status} · ${s.advisory} advisory · ${s.policies} policies · ${s.resources} resources · source: ${report.source.kind}${report.source.file ? ` (\`${report.source.file}\`)` : ""}`,
    "",
    "| Policy | Severity | Enforcement | Result | Violations | Controls |",
    "|---|---|---|---|---:|---|",
    ...report.policies.map(
      (p) =>
        `| \`${p.name}\` | ${p.severity} | ${p.enforcementLevel} | ${OUTCOME[p.outcome]} | ${p.violations} | ${cell(p.controls.map(controlLabel).join(", "))} |`,
    ),
    "",
  ];
  for (const level of ["mandatory", "advisory"] as const) {
    const vs = report.violations.filter((v) => v.enforcementLevel === level);
    if (!vs.length) continue;
    out.push(`### ${level === "mandatory" ? "Mandatory" : "Advisory"} violations (${vs.length})`, "");
    for (const policy of [...new Set(vs.map((v) => v.policy))]) {
      const p = report.policies.find((x) => x.name === policy);
      const mine = vs.filter((v) => v.policy === policy);
      out.push(`<details${level === "mandatory" ? " open" : ""}><summary><code>${policy}</code> — ${mine.length}</summary>`, "");
      out.push(...mine.slice(0, 50).map(violationLine));
      if (mine.length > 50) out.push(`- … ${mine.length - 50} more (see the JSON report)`);
      if (p) out.push("", `**Fix:** ${p.remediation}`);
      out.push("", "</details>", "");
    }
  }
  out.push("### Service call graph", "", mermaidCallGraph(report), "");
  return out.join("\n");
}

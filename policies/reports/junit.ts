/**
 * The report as JUnit XML for CI test views: one test suite per stack, one test case per policy.
 * A mandatory violation is a failure; advisory violations are listed in system-out; a disabled
 * policy is skipped.
 */
import type { PolicyReport } from "./model";

/** Escapes text for XML content and attribute values; drops characters XML 1.0 forbids. */
export function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

export function renderJunit(report: PolicyReport): string {
  const suite = `policies.${report.stack}`;
  const failures = report.policies.filter((p) => p.outcome === "fail").length;
  const skipped = report.policies.filter((p) => p.outcome === "disabled").length;
  const cases = report.policies.map((p) => {
    const vs = report.violations.filter((v) => v.policy === p.name);
    const lines = (level: string) =>
      vs
        .filter((v) => v.enforcementLevel === level)
        .map((v) => `${v.urn ?? "(stack)"}: ${v.message}`)
        .join("\n");
    const head = `    <testcase classname="${xmlEscape(suite)}" name="${xmlEscape(p.name)}" time="0">`;
    const body: string[] = [];
    if (p.outcome === "disabled") body.push(`      <skipped message="disabled in ${xmlEscape(report.environment)}"/>`);
    if (p.outcome === "fail") {
      const n = vs.filter((v) => v.enforcementLevel === "mandatory").length;
      body.push(`      <failure message="${xmlEscape(`${n} mandatory violation(s) of ${p.name}`)}" type="mandatory">${xmlEscape(`${lines("mandatory")}\n\nFix: ${p.remediation}`)}</failure>`);
    }
    const advisory = lines("advisory");
    if (advisory) body.push(`      <system-out>${xmlEscape(`advisory:\n${advisory}`)}</system-out>`);
    return body.length ? [head, ...body, "    </testcase>"].join("\n") : `${head}</testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    // The common JUnit schema (Jenkins junit-10.xsd) allows skipped on <testsuite> only.
    `<testsuites name="trademaster-policy" tests="${report.policies.length}" failures="${failures}" errors="0" time="0">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${report.policies.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0">`,
    `    <properties><property name="environment" value="${xmlEscape(report.environment)}"/><property name="source" value="${xmlEscape(report.source.kind)}"/></properties>`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

/**
 * How a TradeMaster policy is described: the CrossGuard policy fields plus what compliance needs
 * (enforcement per environment, mapped controls, remediation). Pure data, no engine.
 */
import type { EnforcementLevel, ResourceValidation, Severity, StackValidation } from "@pulumi/policy";

export const ENVIRONMENTS = ["local", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const FRAMEWORKS = {
  owaspApi: "OWASP API Security Top 10 2023",
  asvs: "OWASP ASVS 4.0.3",
  cisK8s: "CIS Kubernetes Benchmark 1.9",
  cisAws: "CIS AWS Foundations Benchmark 3.0",
  pci: "PCI DSS 4.0",
} as const;
export type Framework = (typeof FRAMEWORKS)[keyof typeof FRAMEWORKS];

/** Short framework names for tables: CIS AWS "2.2.1" and PCI DSS "2.2.1" are different controls. */
export const FRAMEWORK_SHORT: Record<Framework, string> = {
  [FRAMEWORKS.owaspApi]: "OWASP API",
  [FRAMEWORKS.asvs]: "ASVS",
  [FRAMEWORKS.cisK8s]: "CIS K8s",
  [FRAMEWORKS.cisAws]: "CIS AWS",
  [FRAMEWORKS.pci]: "PCI DSS",
};

/** A control as tables show it: short framework name and id (`PCI DSS 2.2.1`). */
export function controlLabel(c: Control): string {
  return `${FRAMEWORK_SHORT[c.framework]} ${c.id}`;
}

/** One control of a compliance framework that a policy checks (fully or in part). */
export interface Control {
  framework: Framework;
  id: string;
  title: string;
}

interface PolicyBase {
  /** Policy name: lowercase, dash-separated, unique in the pack. */
  name: string;
  description: string;
  severity: Severity;
  /** Enforcement level per environment; the pack default (no config) is the prod level. */
  enforcement: Record<Environment, EnforcementLevel>;
  controls: Control[];
  /** What to change when the policy fails. */
  remediation: string;
  /** Policies that read the service catalog accept a `catalogFile` in their config. */
  usesCatalog?: boolean;
}

export interface TrademasterResourcePolicy extends PolicyBase {
  kind: "resource";
  validateResource: ResourceValidation;
}

export interface TrademasterStackPolicy extends PolicyBase {
  kind: "stack";
  validateStack: StackValidation;
}

export type TrademasterPolicy = TrademasterResourcePolicy | TrademasterStackPolicy;

/** GitHub code scanning's numeric `security-severity` (0-10) per CrossGuard severity. */
export const SECURITY_SEVERITY: Record<Severity, number> = { critical: 9.5, high: 8.0, medium: 5.5, low: 3.0 };

export const owasp = (id: string, title: string): Control => ({ framework: FRAMEWORKS.owaspApi, id, title });
export const asvs = (id: string, title: string): Control => ({ framework: FRAMEWORKS.asvs, id, title });
export const cisK8s = (id: string, title: string): Control => ({ framework: FRAMEWORKS.cisK8s, id, title });
export const cisAws = (id: string, title: string): Control => ({ framework: FRAMEWORKS.cisAws, id, title });
export const pci = (id: string, title: string): Control => ({ framework: FRAMEWORKS.pci, id, title });

/** Shorthand for enforcement levels: strict everywhere but local. */
export function levels(local: EnforcementLevel, staging: EnforcementLevel, prod: EnforcementLevel): Record<Environment, EnforcementLevel> {
  return { local, staging, prod };
}

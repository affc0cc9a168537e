/** Resource fixtures for policy tests, shaped like plan resources, run through the shared harness. */
import { evaluate, type EvaluationResult, type PolicyPackConfigFile } from "../../policies/harness";
import { PACK_ENFORCEMENT_LEVEL, packConfigFor, pulumiPolicies } from "../../policies/pack";
import type { Environment, TrademasterPolicy } from "../../policies/lib/types";
import type { PlanResource } from "../../infra/plan/types";
import { planResource } from "../helpers/plan";

export const STACK = "test";
const PARENT = `urn:pulumi:${STACK}::trademaster-platform::pulumi:pulumi:Stack::trademaster-platform-${STACK}`;

export function res(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<PlanResource> = {}): PlanResource {
  return planResource(type, name, inputs, { urn: `urn:pulumi:${STACK}::trademaster-platform::${type}::${name}`, parent: PARENT, ...extra });
}

/** A Kubernetes object as a plan resource (`kubernetes:<group>/<version>:<Kind>`). */
export function kube(apiVersion: string, kind: string, name: string, body: Record<string, unknown>, namespace = "tm-trading", extra: Partial<PlanResource> = {}): PlanResource {
  const gv = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
  const { metadata, ...rest } = body as { metadata?: Record<string, unknown> };
  return res(`kubernetes:${gv}:${kind}`, `${kind.toLowerCase()}-${namespace}-${name}`, { apiVersion, kind, metadata: { name, namespace, ...(metadata ?? {}) }, ...rest }, extra);
}

/** Runs one policy on resources with the policy's own level for an environment (no pending fixes). */
export async function run(policy: TrademasterPolicy, resources: PlanResource[], env: Environment = "prod", config?: PolicyPackConfigFile): Promise<EvaluationResult> {
  return evaluate(pulumiPolicies([policy]), resources, { packEnforcementLevel: PACK_ENFORCEMENT_LEVEL, config: config ?? packConfigFor(env, [policy], []) });
}

/** Violation messages (without the engine's description prefix). */
export function messages(r: EvaluationResult): string[] {
  return r.diagnostics.map((d) => d.message.slice(d.message.indexOf("\n") + 1));
}

/** A container that meets every hardening rule. */
export function goodContainer(name = "app"): Record<string, unknown> {
  return {
    name,
    image: "ghcr.io/trademaster/trading-service:4.12.0",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    readinessProbe: { httpGet: { path: "/readyz", port: "http" } },
    livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
  };
}

export function deployment(name: string, opts: { replicas?: number; container?: Record<string, unknown>; pod?: Record<string, unknown>; namespace?: string } = {}): PlanResource {
  return kube(
    "apps/v1",
    "Deployment",
    name,
    {
      spec: {
        replicas: opts.replicas ?? 3,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name, version: "1.0.0" } },
          spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }, containers: [opts.container ?? goodContainer(name)], ...(opts.pod ?? {}) },
        },
      },
    },
    opts.namespace ?? "tm-trading",
  );
}

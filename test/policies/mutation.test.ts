/**
 * Mutation test of the pack: for every policy, a copy of the real prod plan (planned once) with one
 * property flipped must produce a new mandatory violation of that policy on the mutated resource.
 * A policy that silently stops applying (a renamed type, a moved property) fails here.
 */
import { describe, expect, it } from "vitest";
import { ALL_POLICIES } from "../../policies/pack";
import type { Plan, PlanResource } from "../../infra/plan/types";
import { planFor } from "../helpers/plan";
import { messages, run } from "./fixtures";

type Json = Record<string, unknown>;

/** A nested object of plan JSON (mutations only walk paths the prod plan has; a missing one throws). */
function obj(v: unknown, ...keys: Array<string | number>): Json {
  let cur = v;
  for (const k of keys) cur = (cur as Json | unknown[])[k as never];
  if (typeof cur !== "object" || cur === null) throw new Error(`no object at ${keys.join(".")}`);
  return cur as Json;
}

interface Mutation {
  /** What a reviewer would change, in words (the report's table). */
  change: string;
  /** The resource (by name) the mutation touches, where the violation must appear; "" for the stack. */
  target: string;
  /** Type of the target when several resources share its name. */
  type?: string;
  apply: (plan: Plan, r: PlanResource | undefined) => void;
}

const resource = (plan: Plan, name: string, type?: string) => plan.resources.find((r) => r.name === name && (!type || r.type === type));

/** One mutation per policy; every policy of the pack must have one. */
const MUTATIONS: Record<string, Mutation> = {
  "security-headers": {
    change: "Kong security-headers plugin: drop X-Frame-Options",
    target: "kongclusterplugin-security-headers",
    apply: (_, r) => {
      const add = obj(r?.inputs, "config", "add");
      add.headers = (add.headers as string[]).filter((h) => !h.startsWith("X-Frame-Options"));
    },
  },
  "cors-no-wildcard": { change: "Kong cors plugin: origins [\"https://.*\"]", target: "kongclusterplugin-cors", apply: (_, r) => (obj(r?.inputs, "config").origins = ["https://.*"]) },
  "alb-tls": { change: "HTTPS listener: sslPolicy ELBSecurityPolicy-2016-08", target: "edge-https", apply: (_, r) => (r!.inputs.sslPolicy = "ELBSecurityPolicy-2016-08") },
  "cloudfront-tls": { change: "CloudFront default behavior: viewerProtocolPolicy allow-all", target: "edge-static", apply: (_, r) => (obj(r?.inputs, "defaultCacheBehavior").viewerProtocolPolicy = "allow-all") },
  "edge-waf": {
    change: "ALB: WebAclAssociation no longer names the load balancer",
    target: "edge-alb",
    type: "aws:lb/loadBalancer:LoadBalancer",
    apply: (plan) => {
      for (const a of plan.resources.filter((x) => x.type === "aws:wafv2/webAclAssociation:WebAclAssociation")) a.dependencies = a.dependencies.filter((d) => !d.endsWith("::edge-alb"));
    },
  },
  "edge-access-logs": { change: "ALB: accessLogs.enabled false", target: "edge-alb", type: "aws:lb/loadBalancer:LoadBalancer", apply: (_, r) => (obj(r?.inputs, "accessLogs").enabled = false) },
  "no-public-exposure": { change: "RDS: publiclyAccessible true", target: "data-postgres-rds", type: "aws:rds/instance:Instance", apply: (_, r) => (r!.inputs.publiclyAccessible = true) },
  "mtls-strict": { change: "mesh-wide PeerAuthentication: mtls.mode PERMISSIVE", target: "peerauthentication-istio-system-default", apply: (_, r) => (obj(r?.inputs, "spec", "mtls").mode = "PERMISSIVE") },
  "mesh-authorization": { change: "trading-allow: rules[0] without from", target: "authorizationpolicy-tm-trading-trading-allow", apply: (_, r) => delete obj(r?.inputs, "spec", "rules", 0).from },
  "encryption-at-rest-cmk": { change: "RDS: storageEncrypted false", target: "data-postgres-rds", type: "aws:rds/instance:Instance", apply: (_, r) => (r!.inputs.storageEncrypted = false) },
  "node-volume-encryption": {
    change: "node group: launch template from outside the stack",
    target: "aws-ng-critical",
    type: "aws:eks/nodeGroup:NodeGroup",
    apply: (_, r) => {
      r!.inputs.launchTemplate = { id: "lt-0123456789abcdef0", version: "1" };
      r!.dependencies = r!.dependencies.filter((d) => !d.includes("aws:ec2/launchTemplate:LaunchTemplate"));
    },
  },
  "s3-sse-kms": {
    change: "backups bucket encryption: sseAlgorithm AES256",
    target: "aws-backups",
    type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    apply: (_, r) => (obj(r?.inputs, "rules", 0, "applyServerSideEncryptionByDefault").sseAlgorithm = "AES256"),
  },
  "encryption-in-transit": { change: "ElastiCache: transitEncryptionMode preferred", target: "data-redis-redis", apply: (_, r) => (r!.inputs.transitEncryptionMode = "preferred") },
  "kms-key-rotation": { change: "EKS secrets key: enableKeyRotation false", target: "aws-kms-eks", type: "aws:kms/key:Key", apply: (_, r) => (r!.inputs.enableKeyRotation = false) },
  "workload-hardening": {
    change: "Job pg-bootstrap-roles: allowPrivilegeEscalation true",
    target: "job-data-pg-bootstrap-roles",
    apply: (_, r) => (obj(r?.inputs, "spec", "template", "spec", "containers", 0, "securityContext").allowPrivilegeEscalation = true),
  },
  "no-plaintext-secrets": {
    change: "Job pg-bootstrap-roles: PGPASSWORD as a literal value",
    target: "job-data-pg-bootstrap-roles",
    apply: (_, r) => {
      const env = obj(r?.inputs, "spec", "template", "spec", "containers", 0).env as Json[];
      const i = env.findIndex((e) => e.name === "PGPASSWORD");
      env[i] = { name: "PGPASSWORD", value: "hunter2" };
    },
  },
  "replicas-and-disruption-budget": { change: "trading PDB: maxUnavailable 0", target: "poddisruptionbudget-tm-trading-trading", apply: (_, r) => (obj(r?.inputs, "spec").maxUnavailable = 0) },
  "circuit-breaker-per-service": { change: "trading DestinationRule: no outlierDetection", target: "destinationrule-tm-trading-trading", apply: (_, r) => delete obj(r?.inputs, "spec", "trafficPolicy").outlierDetection },
  "no-retry-non-idempotent": { change: "trading Service: konghq.com/retries removed", target: "service-tm-trading-trading", apply: (_, r) => delete obj(r?.inputs, "metadata", "annotations")["konghq.com/retries"] },
  "retry-budget-within-timeout": {
    change: "trading get-order route: perTryTimeout = timeout",
    target: "virtualservice-tm-trading-trading",
    apply: (_, r) => {
      const http = (obj(r?.inputs, "spec").http as Json[]).find((h) => h.name === "get-order")!;
      obj(http, "retries").perTryTimeout = http.timeout;
    },
  },
  "data-protection": { change: "EKS: deletionProtection false", target: "aws-eks", type: "aws:eks/cluster:Cluster", apply: (_, r) => (r!.inputs.deletionProtection = false) },
  "high-availability-data-stores": { change: "RDS: multiAz false", target: "data-postgres-rds", type: "aws:rds/instance:Instance", apply: (_, r) => (r!.inputs.multiAz = false) },
  "kafka-topic-durability": { change: "trade-executed topic: replicationFactor 1", target: "data-kafka-topic-trading.trade-executed.v1", apply: (_, r) => (r!.inputs.replicationFactor = 1) },
  "observability-coverage": {
    change: "trading's PrometheusRule deleted",
    target: "",
    apply: (plan) => {
      plan.resources = plan.resources.filter((x) => x.name !== "prometheusrule-monitoring-trademaster-trading");
    },
  },
};

describe("mutation test: every policy catches one flipped property of the real prod plan", async () => {
  const prod = await planFor("prod");
  it("has a mutation for every policy of the pack", () => {
    expect(Object.keys(MUTATIONS).sort()).toEqual(ALL_POLICIES.map((p) => p.name).sort());
  });
  for (const policy of ALL_POLICIES) {
    const m = MUTATIONS[policy.name];
    it(`${policy.name}: ${m?.change ?? "(no mutation)"}`, async () => {
      expect(m, policy.name).toBeDefined();
      const baseline = new Set(messages(await run(policy, prod.resources, "prod")));
      const plan = structuredClone(prod);
      const target = m.target ? resource(plan, m.target, m.type) : undefined;
      if (m.target) expect(target, m.target).toBeDefined();
      m.apply(plan, target);
      const result = await run(policy, plan.resources, "prod");
      const texts = messages(result);
      const fresh = result.diagnostics.filter((_, i) => !baseline.has(texts[i]));
      expect(fresh.length, `${policy.name} did not notice: ${m.change}`).toBeGreaterThan(0);
      expect(fresh.every((d) => d.enforcementLevel === "mandatory")).toBe(true);
      if (target) expect(fresh.map((d) => d.urn)).toContain(target.urn);
    });
  }
});

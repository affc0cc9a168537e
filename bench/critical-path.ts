/**
 * Prod-from-zero critical path: the longest chain of creations in the plan's dependency graph,
 * weighted by typical creation times per resource type (docs/deploy-times.md lists them with
 * their sources). Target: the slowest single resource plus at most 10 minutes.
 *
 * `npx tsx bench/critical-path.ts [--stack prod]`
 */
import { runPlan } from "../infra/plan/run";
import type { Plan, PlanResource } from "../infra/plan/types";

/** Typical creation time in seconds per Pulumi type (see docs/deploy-times.md for sources). */
export const TYPICAL_CREATE_SECONDS: Record<string, number> = {
  "aws:msk/cluster:Cluster": 35 * 60,
  "aws:rds/instance:Instance": 25 * 60,
  "aws:elasticache/replicationGroup:ReplicationGroup": 15 * 60,
  "aws:eks/cluster:Cluster": 15 * 60,
  "aws:eks/nodeGroup:NodeGroup": 5 * 60,
  "aws:eks/addon:Addon": 2 * 60,
  "aws:rds/proxy:Proxy": 8 * 60,
  "aws:rds/proxyTarget:ProxyTarget": 5 * 60,
  "aws:ec2/natGateway:NatGateway": 2 * 60,
  "aws:msk/scramSecretAssociation:ScramSecretAssociation": 60,
  "aws:msk/configuration:Configuration": 10,
  "aws:elasticache/userGroup:UserGroup": 60,
  "aws:elasticache/user:User": 20,
  "aws:kms/key:Key": 10,
  "aws:iam/role:Role": 5,
  "kubernetes:helm.sh/v4:Chart": 3 * 60,
  "kubernetes:apps/v1:Deployment": 90,
  "kubernetes:apps/v1:StatefulSet": 120,
  "kubernetes:apps/v1:DaemonSet": 60,
  "kubernetes:batch/v1:Job": 60,
  "kubernetes:core/v1:Service": 5,
  "kafka:index/topic:Topic": 5,
  "kafka:index/acl:Acl": 2,
};
/** AWS API calls that return at once (subnets, routes, groups, policies, secrets): seconds. */
export const DEFAULT_AWS_SECONDS = 5;
/** Kubernetes objects without a readiness wait (ConfigMaps, Secrets, RBAC, custom resources). */
export const DEFAULT_KUBE_SECONDS = 2;
/** The target of issue 3: the slowest single resource plus at most this. */
export const CRITICAL_PATH_SLACK_SECONDS = 10 * 60;

export function typicalSeconds(r: Pick<PlanResource, "type" | "custom">): number {
  if (!r.custom && r.type !== "kubernetes:helm.sh/v4:Chart") return 0;
  const known = TYPICAL_CREATE_SECONDS[r.type];
  if (known !== undefined) return known;
  if (r.type.startsWith("kubernetes:")) return DEFAULT_KUBE_SECONDS;
  if (r.type.startsWith("pulumi:providers:") || r.type.startsWith("random:")) return 0;
  return DEFAULT_AWS_SECONDS;
}

export interface CriticalPath {
  totalSeconds: number;
  /** The chain, first creation first. */
  steps: Array<{ urn: string; type: string; name: string; seconds: number; finishesAt: number }>;
  slowest: { urn: string; type: string; seconds: number };
}

/** What a resource waits for: its dependencies and its explicit provider (configured from outputs). */
export function waitsFor(r: Pick<PlanResource, "dependencies" | "provider">): string[] {
  return r.provider ? [...r.dependencies, r.provider] : r.dependencies;
}

/**
 * Longest weighted path through dependencies and providers (a resource starts when everything it
 * waits for is created; creations run in parallel otherwise, as the engine does).
 */
export function criticalPath(plan: Plan, seconds: (r: PlanResource) => number = typicalSeconds): CriticalPath {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const finish = new Map<string, number>();
  const via = new Map<string, string | null>();
  const visiting = new Set<string>();
  const visit = (urn: string): number => {
    const done = finish.get(urn);
    if (done !== undefined) return done;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    const r = byUrn.get(urn);
    let start = 0;
    let prev: string | null = null;
    for (const d of r ? waitsFor(r) : []) {
      if (!byUrn.has(d)) continue;
      const f = visit(d);
      if (f > start) {
        start = f;
        prev = d;
      }
    }
    visiting.delete(urn);
    const end = start + (r ? seconds(r) : 0);
    finish.set(urn, end);
    via.set(urn, prev);
    return end;
  };
  let last = "";
  let total = -1;
  for (const r of plan.resources) {
    const f = visit(r.urn);
    if (f > total) {
      total = f;
      last = r.urn;
    }
  }
  const steps: CriticalPath["steps"] = [];
  for (let u: string | null = last; u; u = via.get(u) ?? null) {
    const r = byUrn.get(u)!;
    steps.unshift({ urn: u, type: r.type, name: r.name, seconds: seconds(r), finishesAt: finish.get(u)! });
  }
  const slowestRes = plan.resources.reduce((a, b) => (seconds(b) > seconds(a) ? b : a));
  return { totalSeconds: total, steps: steps.filter((s) => s.seconds > 0), slowest: { urn: slowestRes.urn, type: slowestRes.type, seconds: seconds(slowestRes) } };
}

const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;

async function main(): Promise<void> {
  const i = process.argv.indexOf("--stack");
  const stack = (i >= 0 ? process.argv[i + 1] : "prod") as "local" | "staging" | "prod";
  const plan = await runPlan({ stack });
  const cp = criticalPath(plan);
  console.log(`critical path of ${stack} from zero: ${minutes(cp.totalSeconds)} (${plan.resources.length} resources)`);
  for (const s of cp.steps) console.log(`  +${minutes(s.seconds).padStart(9)}  -> ${minutes(s.finishesAt).padStart(9)}  ${s.type}  ${s.name}`);
  const budget = cp.slowest.seconds + CRITICAL_PATH_SLACK_SECONDS;
  console.log(`slowest single resource: ${cp.slowest.type} ${minutes(cp.slowest.seconds)}; target <= ${minutes(budget)}: ${cp.totalSeconds <= budget ? "met" : "MISSED"}`);
  if (cp.totalSeconds > budget) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

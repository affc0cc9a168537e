/** Deploy speed: the long creations run in parallel and the critical path stays near the slowest one. */
import { describe, expect, it } from "vitest";
import type { Plan, PlanResource } from "../../infra/plan/types";
import { CRITICAL_PATH_SLACK_SECONDS, criticalPath, waitsFor } from "../../bench/critical-path";
import { planFor } from "../helpers/plan";

const LONG = ["aws:msk/cluster:Cluster", "aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup", "aws:eks/cluster:Cluster"];

function closure(plan: Plan, start: PlanResource): Set<string> {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const stack = [...waitsFor(start)];
  while (stack.length) {
    const u = stack.pop()!;
    if (seen.has(u)) continue;
    seen.add(u);
    const r = byUrn.get(u);
    if (r) stack.push(...waitsFor(r));
  }
  return seen;
}

describe.each(["staging", "prod"] as const)("%s deploy speed", (stack) => {
  it("no long creation depends on another, transitively", async () => {
    const plan = await planFor(stack);
    const long = plan.resources.filter((r) => LONG.includes(r.type));
    expect(long.map((r) => r.type).sort()).toEqual([...LONG].sort());
    for (const r of long) {
      const deps = closure(plan, r);
      for (const other of long) if (other !== r) expect(deps.has(other.urn), `${r.name} waits for ${other.name}`).toBe(false);
    }
  });

  it("long creations wait only for network, KMS, IAM, logs, parameters and credentials", async () => {
    const plan = await planFor(stack);
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const allowed = /^(aws:ec2\/(vpc|subnet|securityGroup):|aws:kms\/key:|aws:iam\/(role|rolePolicyAttachment):|aws:cloudwatch\/logGroup:|aws:msk\/configuration:|aws:rds\/(subnetGroup|parameterGroup):|aws:elasticache\/(subnetGroup|userGroup|user):|random:index\/randomPassword:)/;
    for (const r of plan.resources.filter((x) => LONG.includes(x.type))) {
      for (const d of closure(plan, r)) expect(byUrn.get(d)!.type, `${r.name} -> ${d}`).toMatch(allowed);
    }
  });

  it("long creations carry customTimeouts", async () => {
    const plan = await planFor(stack);
    for (const r of plan.resources.filter((x) => LONG.includes(x.type) || x.type === "aws:eks/nodeGroup:NodeGroup")) {
      expect(r.customTimeouts?.create, r.name).toMatch(/^\d+m$/);
    }
  });
});

describe("prod critical path from zero", () => {
  it("is at most the slowest single resource plus 10 minutes", async () => {
    const plan = await planFor("prod");
    const cp = criticalPath(plan);
    expect(cp.slowest.type).toBe("aws:msk/cluster:Cluster");
    expect(cp.totalSeconds).toBeLessThanOrEqual(cp.slowest.seconds + CRITICAL_PATH_SLACK_SECONDS);
    // The path really runs through the slowest creation (not a parallel branch adding up past it).
    expect(cp.steps.map((s) => s.type)).toContain("aws:msk/cluster:Cluster");
  });

  it("would be caught if a long creation waited on another", async () => {
    const plan = structuredClone(await planFor("prod"));
    const msk = plan.resources.find((r) => r.type === "aws:msk/cluster:Cluster")!;
    const eks = plan.resources.find((r) => r.type === "aws:eks/cluster:Cluster")!;
    msk.dependencies = [...msk.dependencies, eks.urn];
    const cp = criticalPath(plan);
    expect(cp.totalSeconds).toBeGreaterThan(cp.slowest.seconds + CRITICAL_PATH_SLACK_SECONDS);
  });
});

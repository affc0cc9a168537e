import { describe, expect, it } from "vitest";
import * as kms from "@pulumi/aws/kms";
import * as rds from "@pulumi/aws/rds";
import type { ResourceValidationArgs, StackValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { evaluate, normalizeConfig, resourceValidationArgs, stackValidationArgs } from "../../policies/harness";
import { UNKNOWN } from "../../infra/plan/types";
import { res } from "./fixtures";

const key = res("aws:kms/key:Key", "data-key", { enableKeyRotation: true, description: UNKNOWN, nested: { arn: UNKNOWN, name: "k" } });

describe("harness arguments behave like the engine's", () => {
  it("isType/asType compare the class's Pulumi type token", () => {
    const args = resourceValidationArgs(key, undefined, new Map());
    expect(args.isType(kms.Key)).toBe(true);
    expect(args.isType(rds.Instance)).toBe(false);
    expect(args.asType(kms.Key)?.enableKeyRotation).toBe(true);
    expect(args.asType(rds.Instance)).toBeUndefined();
  });

  it("reading an unknown value throws like the engine's proxy; known siblings stay readable", () => {
    const args = resourceValidationArgs(key, undefined, new Map());
    expect(args.props.nested.name).toBe("k");
    expect(() => args.props.description).toThrow(/can't be known during preview/);
    expect(() => args.props.nested.arn).toThrow(/\.nested\.arn/);
  });

  it("getConfig drops enforcementLevel; stackTags and opts come through", () => {
    const tags = new Map([["env", "prod"]]);
    const args = resourceValidationArgs({ ...key, protect: true, customTimeouts: { create: "1h30m" } }, { enforcementLevel: "mandatory", catalogFile: "x.yaml" }, tags);
    expect(args.getConfig()).toEqual({ catalogFile: "x.yaml" });
    expect(args.stackTags.get("env")).toBe("prod");
    expect(args.opts.protect).toBe(true);
    expect(args.opts.customTimeouts.createSeconds).toBe(5400);
    expect(args.opts.parent).toBe(key.parent);
  });

  it("stack args link parents and dependencies to resource objects", () => {
    const parent = res("trademaster:data:DataStores", "data", {}, { custom: false });
    const child = res("aws:kms/key:Key", "k", {}, { parent: parent.urn, dependencies: [parent.urn, "urn:missing"] });
    const args: StackValidationArgs = stackValidationArgs([parent, child], undefined, new Map());
    const c = args.resources.find((r) => r.name === "k")!;
    expect(c.parent?.type).toBe("trademaster:data:DataStores");
    expect(c.dependencies.map((d) => d.name)).toEqual(["data"]);
    expect(c.isType(kms.Key)).toBe(true);
  });

  it("normalizes policy pack config files like the CLI, `all` applying where no level is set", () => {
    const n = normalizeConfig({ all: "advisory", a: "mandatory", b: { catalogFile: "c" } });
    expect(n.a.enforcementLevel).toBe("mandatory");
    expect(n.b).toEqual({ catalogFile: "c" });
  });
});

describe("evaluate mirrors the analyzer", () => {
  const seen: string[] = [];
  const resourcePolicy: ResourceValidationPolicy = {
    name: "p-resource",
    description: "desc",
    severity: "high",
    enforcementLevel: "advisory",
    validateResource: (args: ResourceValidationArgs, report) => {
      seen.push(args.name);
      if (args.type !== "aws:kms/key:Key") args.notApplicable("only keys");
      if (args.props.enableKeyRotation !== true) report("rotation off");
      if (args.props.description === "x") report("never reached: description is unknown");
    },
  };
  const stackPolicy: StackValidationPolicy = {
    name: "p-stack",
    description: "stack desc",
    enforcementLevel: "remediate",
    validateStack: (args, report) => {
      report(`saw ${args.resources.length}`, args.resources[0].urn);
    },
  };
  const other = res("aws:rds/instance:Instance", "db", {});
  const badKey = res("aws:kms/key:Key", "bad", { enableKeyRotation: false });

  it("reports with the engine's message shape, unknowns as advisory, not-applicable recorded", async () => {
    const r = await evaluate([resourcePolicy], [key, other, badKey], { config: { "p-resource": "mandatory" } });
    expect(r.levels["p-resource"]).toBe("mandatory");
    const violation = r.diagnostics.find((d) => d.urn === badKey.urn)!;
    expect(violation.message).toBe("desc\nrotation off");
    expect(violation.enforcementLevel).toBe("mandatory");
    const unknown = r.diagnostics.find((d) => d.urn === key.urn)!;
    expect(unknown.enforcementLevel).toBe("advisory");
    expect(unknown.message).toMatch(/can't run policy 'p-resource' during preview/);
    expect(r.notApplicable).toEqual([{ policyName: "p-resource", reason: "only keys", urn: other.urn }]);
    expect(r.evaluated["p-resource"]).toBe(3);
  });

  it("treats remediate as mandatory for stack policies and skips disabled ones", async () => {
    const r = await evaluate([stackPolicy, resourcePolicy], [badKey], { config: { "p-resource": "disabled" } });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0].enforcementLevel).toBe("mandatory");
    expect(r.diagnostics[0].message).toBe("stack desc\nsaw 1");
    expect(r.evaluated["p-resource"]).toBe(0);
  });

  it("fails loudly on a policy bug, naming the policy and resource", async () => {
    const broken: ResourceValidationPolicy = { name: "broken", description: "d", validateResource: () => { throw new TypeError("boom"); } };
    await expect(evaluate([broken], [badKey])).rejects.toThrow(/policy 'broken'.*boom/);
  });
});

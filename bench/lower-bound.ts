/**
 * The lower bound the plan command is compared with: a minimal Pulumi program that loads the same
 * provider packages and registers the same resources (type, name, parent, inputs) as a saved
 * plan.json, under the same mock runtime (preview, outputs = inputs), and does nothing else: no
 * config or catalog validation, no components' logic, no schema validation, no files written.
 * Plain SDK defaults (stack traces on). Bundled by bench/plan.bench.ts and run as a whole process:
 *
 *   node dist/bench-lower-bound.js out/prod/plan.json
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { Plan, PlanResource } from "../infra/plan/types";

// The packages the program's resource types come from (what any program using them loads).
const PROVIDER_PACKAGES: Record<string, string> = {
  aws: "@pulumi/aws",
  kubernetes: "@pulumi/kubernetes",
  random: "@pulumi/random",
  tls: "@pulumi/tls",
  kafka: "@pulumi/kafka",
};

/** A resource of any type token (the SDK's base class is abstract only to force subclasses). */
class Custom extends pulumi.CustomResource {}

async function main(file: string): Promise<void> {
  const plan = JSON.parse(fs.readFileSync(file, "utf8")) as Plan;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded for their cost, as a program would
  for (const pkg of new Set(plan.resources.map((r) => PROVIDER_PACKAGES[r.type.split(":")[0]]).filter(Boolean))) require(pkg);
  let registered = 0;
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered++;
        return { id: undefined, state: args.inputs };
      },
      call: () => ({}),
    },
    plan.project,
    plan.stack,
    true,
  );
  await pulumi.runtime.runInPulumiStack(async () => {
    const byUrn = new Map<string, pulumi.Resource>();
    const stackUrn = plan.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn;
    // Parents before children: URNs sort a child after its parent only by chance, so walk the tree.
    const children = new Map<string | null, PlanResource[]>();
    for (const r of plan.resources) {
      if (r.urn === stackUrn) continue;
      const key = r.parent === stackUrn ? null : r.parent;
      children.set(key, [...(children.get(key) ?? []), r]);
    }
    const declare = (parentUrn: string | null) => {
      for (const r of children.get(parentUrn) ?? []) {
        const opts: pulumi.CustomResourceOptions = { parent: r.parent && r.parent !== stackUrn ? byUrn.get(r.parent) : undefined, protect: r.protect };
        const res = r.custom ? new Custom(r.type, r.name, r.inputs, opts) : new pulumi.ComponentResource(r.type, r.name, {}, opts);
        byUrn.set(r.urn, res);
        declare(r.urn);
      }
    };
    declare(null);
    return {};
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const expected = plan.resources.length; // the mock monitor sees components and the stack too
  if (registered !== expected) throw new Error(`lower bound registered ${registered} resources, the plan has ${expected}`);
}

main(process.argv[2]).then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

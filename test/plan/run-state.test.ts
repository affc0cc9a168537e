/**
 * runPlan turns off what only costs time during the evaluation (stack traces, source maps, the
 * SDK's per-resource source positions) and restores it after; it leaves no plan state behind in
 * the runtime (bench/retention.ts measures the heap).
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { runPlan } from "../../infra/plan/run";

describe("runPlan", () => {
  it("restores stack traces and source positions, and releases the resource tree and the monitor's states", async () => {
    const limit = Error.stackTraceLimit;
    const sourceMaps = process.sourceMapsEnabled;
    const plan = await runPlan({ stack: "local" });
    expect(plan.resources.length).toBeGreaterThan(100);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(process.sourceMapsEnabled).toBe(sourceMaps);
    const callsites = (pulumi.Resource as unknown as { callsites(): unknown[] }).callsites();
    expect(callsites.length).toBeGreaterThan(0);
    /* eslint-disable @typescript-eslint/no-require-imports */
    const state = require("@pulumi/pulumi/runtime/state") as { getStackResource(): unknown };
    const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): { resources: Map<string, unknown> } };
    /* eslint-enable @typescript-eslint/no-require-imports */
    expect(state.getStackResource()).toBeUndefined();
    expect((globalThis as { stackResource?: unknown }).stackResource).toBeUndefined();
    expect(settings.getMonitor().resources.size).toBe(0);
  });
});

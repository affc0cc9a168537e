import { describe, expect, it } from "vitest";
import { cpuToMillis, memoryToMiB, requestsIn, stackFootprint } from "../../infra/plan/footprint";
import { loadStackConfig } from "../../infra/plan/run";
import { planFor } from "../helpers/plan";

describe("footprint arithmetic", () => {
  it("parses Kubernetes quantities", () => {
    expect(cpuToMillis("250m")).toBe(250);
    expect(cpuToMillis("1.5")).toBe(1500);
    expect(memoryToMiB("1Gi")).toBe(1024);
    expect(memoryToMiB("512Mi")).toBe(512);
  });

  it("multiplies requests by the nearest replica count and skips disabled parts", () => {
    const values = {
      replicaCount: 3,
      resources: { requests: { cpu: "100m", memory: "128Mi" } },
      sidecar: { enabled: false, resources: { requests: { cpu: "1", memory: "1Gi" } } },
      worker: { replicas: 2, resources: { requests: { cpu: "50m", memory: "64Mi" } } },
    };
    expect(requestsIn(values)).toEqual({ cpuMillis: 3 * 100 + 2 * 50, memoryMiB: 3 * 128 + 2 * 64 });
  });
});

describe("local stack footprint", () => {
  it("fits a laptop cluster: at most 4 vCPU and 8 GiB of requests, sidecars counted", async () => {
    const plan = await planFor("local");
    const config = loadStackConfig("local");
    const f = stackFootprint(plan, config);
    expect(f.cpuMillis).toBeGreaterThan(0);
    expect(f.cpuMillis).toBeLessThanOrEqual(4000);
    expect(f.memoryMiB).toBeLessThanOrEqual(8192);
  });
});

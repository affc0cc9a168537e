import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Plans every stack once per run with the built command; files read them through planFor.
    globalSetup: ["test/helpers/global-plans.ts"],
    // promtool and plan suites are slow on a loaded 2-core machine; a hang is still caught.
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});

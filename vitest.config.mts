import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // promtool and plan suites are slow on a loaded 2-core machine; a hang is still caught.
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});

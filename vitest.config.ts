import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests talk to real services that `npm test` starts first (scripts/test.sh).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores: more workers only make the model-loading files fight for them.
    maxWorkers: 2,
    reporters: ["default"],
  },
});

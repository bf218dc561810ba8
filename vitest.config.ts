import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/support/global-setup.ts", "./test/support/postgres-global-setup.ts"],
    // Pools fork real processes; on a 2-core CI machine, a few files at a time is the fast setting.
    maxWorkers: process.env.CI ? 2 : 3,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default", "./test/support/count-reporter.ts"],
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of the workspace packages, not dist/.
    conditions: ["development"],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/examples/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // .ci/run asks for a JSON report too, to print the "N passed, N failed" line CI reads.
    ...(process.env.GWSIM_VITEST_JSON
      ? { reporters: ["default", "json"], outputFile: { json: process.env.GWSIM_VITEST_JSON } }
      : {}),
  },
});

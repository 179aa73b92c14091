import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // `make test-unit` must not fail while the unit project is still empty.
    passWithNoTests: true,
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          environment: "node",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/integration/**", ".tools/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          environment: "node",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/setup/services.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // 2 cores, shared services (Postgres, moto, fake-gcs): one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

// Two projects: unit tests need neither root nor the addon; integration tests start real pods
// as root and must fail (never skip) when something they need is missing.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Property tests and tests that run real child processes take seconds on a busy machine;
          // the default 5 s made them fail for the load, not for what they check.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Pods from different files run side by side: each file uses its own --root/--run-root.
          fileParallelism: true,
          poolOptions: { forks: { maxForks: 2 } },
        },
      },
    ],
  },
});

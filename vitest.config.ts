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

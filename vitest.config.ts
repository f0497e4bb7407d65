import { defineConfig } from 'vitest/config';

// Two groups: the default suite (loopback, namespaces made by the tests) and
// the network lab (`npm run test:lab`), which needs root and builds a delayer.
// The lab runs after the default suite, not beside it: its tests compare
// measured times with the RTT it sets (connect p50 within 1 ms of 50 ms), and
// the default suite's loads on the same two cores delay every wake-up.
export default defineConfig({
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'default',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

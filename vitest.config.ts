import { defineConfig } from 'vitest/config';

// Four projects: fast unit tests (no lab), tests against the real local lab, the experiments, and the
// reports opened in a real browser (headless Chromium, installed by the test when missing: root and
// apt, so not a unit test). The lab and the experiments share one swarm, so their files run one at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['system/**/*.test.ts', 'harness/**/*.test.ts'],
          exclude: ['**/*.lab.test.ts', '**/*.browser.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'browser',
          include: ['harness/**/*.browser.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 900_000,
        },
      },
      {
        test: {
          name: 'lab',
          include: ['harness/**/*.lab.test.ts'],
          globalSetup: ['harness/lab/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'experiments',
          include: ['experiments/**/*.test.ts'],
          globalSetup: ['experiments/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 1_800_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});

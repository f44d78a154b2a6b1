import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a condition (the console's browser tests); vitest's default gives up after 1 s, which a
    // busy machine's Chromium exceeded (a re-sorted page of 50 rows, CI at load 12). A deadline, not a pause.
    expect: { poll: { timeout: 30_000 } },
    pool: 'forks',
    maxWorkers: 3,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Emulators and the local runtime bind loopback ports; two workers match the 2-core CI machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});

import { defineConfig } from 'vitest/config';

// The loopback reliability suite (RELIABILITY.md rows through the chaos proxy, random fault
// schedules): minutes of real time, so it runs only from `npm run test:reliability`, never from
// the default `vitest run`.
const jsonReport = process.env['VITEST_JSON'];

export default defineConfig({
  test: {
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
    projects: [
      {
        test: {
          name: 'reliability',
          root: 'test-reliability',
          include: ['**/*.test.ts'],
          setupFiles: ['../test-support/real-time-leak-check.ts'],
          testTimeout: 120_000,
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

// .ci/run asks for a JSON report to count every test of the run.
const jsonReport = process.env['VITEST_JSON'];

export default defineConfig({
  test: {
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
    projects: [
      {
        test: {
          name: 'core',
          root: 'packages/core',
          include: ['test/**/*.test.ts'],
          setupFiles: ['test/support/setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'tcp',
          root: 'packages/tcp',
          include: ['test/**/*.test.ts'],
          setupFiles: ['test/support/setup.ts'],
          // Real sockets and real time on 2 noisy cores: generous per-test bounds.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'chaos',
          root: 'packages/chaos',
          include: ['test/**/*.test.ts'],
          setupFiles: ['../../test-support/real-time-leak-check.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'ws',
          root: 'packages/ws',
          include: ['test/**/*.test.ts'],
          setupFiles: ['test/support/setup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          // The connback command, run as a child process against loopback servers.
          name: 'cli',
          root: 'packages/cli',
          include: ['test/**/*.test.ts'],
          setupFiles: ['../../test-support/real-time-leak-check.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          // The arithmetic of the benchmarks (the benchmarks themselves run with npm run bench).
          name: 'bench',
          root: 'packages/bench',
          include: ['test/**/*.test.mjs'],
        },
      },
      {
        test: {
          // The repository's scripts (the docs' example checker), run as child processes.
          name: 'scripts',
          root: 'scripts',
          include: ['test/**/*.test.ts'],
          setupFiles: ['../test-support/real-time-leak-check.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});

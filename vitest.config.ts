import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
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
          passWithNoTests: true,
        },
      },
      {
        test: {
          name: 'ws',
          root: 'packages/ws',
          include: ['test/**/*.test.ts'],
          passWithNoTests: true,
        },
      },
    ],
  },
});

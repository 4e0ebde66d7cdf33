import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

/**
 * The real-browser test: the ws connector running in Debian's Chromium (no browser download),
 * against a loopback `ws` server started by the global setup in Node.
 */
export default defineConfig({
  test: {
    name: 'ws-browser',
    root: import.meta.dirname,
    include: ['test-browser/**/*.test.ts'],
    globalSetup: ['test-browser/server.ts'],
    testTimeout: 30_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: {
          executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
          // This machine has no network but loopback: keep Chromium from reaching out.
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});

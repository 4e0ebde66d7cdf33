import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import type { BrowserCommand } from 'vitest/node';
import { DROP_CONNECTIONS } from './test-browser/server.js';

/**
 * Playwright's `context.setOffline(true)`, then `setOffline(false)` after `ms`, for the
 * offline/online test (row 37). It returns at once: while the page is offline, vitest's own
 * channel to the page is cut too, so a command that waited for the page would never return.
 */
const goOfflineFor: BrowserCommand<[ms: number]> = async (context, ms) => {
  await context.context.setOffline(true);
  setTimeout(() => {
    context.context.setOffline(false).catch(() => {});
  }, ms);
};

/**
 * Terminates, from the server's side, the connections to `path` of the global setup's ws server
 * on `port` (the clients see 1006; other test files' connections stay); returns how many.
 */
const dropWsConnections: BrowserCommand<[port: number, path: string]> = (_context, port, path) => {
  const registry = globalThis as {
    [DROP_CONNECTIONS]?: Map<number, (path: string) => number>;
  };
  const drop = registry[DROP_CONNECTIONS]?.get(port);
  if (drop === undefined) throw new Error(`no ws server of the global setup on port ${port}`);
  return drop(path);
};

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
      commands: { goOfflineFor, dropWsConnections },
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

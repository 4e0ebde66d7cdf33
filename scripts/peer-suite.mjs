// Runs reconnecting-websocket's own test suite against @connback/ws's ReconnectingWebSocket:
// `node scripts/peer-suite.mjs <git dir or work tree of pladaria/reconnecting-websocket>`.
// With `--theirs` it runs the suite against their own implementation instead, in the same
// harness (vitest, ws 8): the baseline that tells a difference of ours from one of the harness.
// Nothing of theirs is committed here: their test file is read from their repository (fetched
// by hand; the registry's package has no tests) into a scratch folder that git ignores, next to
// an adapter that maps their option names onto connback's, and run with vitest. Their suite is
// written for jest with `done` callbacks; a setup file gives it `jest` (vitest's `vi`) and turns
// each `done` test into a promise. Prints passed/total and every failure with its first line.
// Their tests listen on two loopback ports (free ones, in place of their fixed 50123 and 50124)
// and take about a minute.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const baseline = args.includes('--theirs');
const source = args.find((arg) => arg !== '--theirs');
if (source === undefined || !existsSync(source)) {
  console.error(
    'usage: node scripts/peer-suite.mjs [--theirs] <reconnecting-websocket git dir or checkout>',
  );
  process.exit(2);
}
const built = path.join(root, 'packages/ws/dist/index.js');
if (!existsSync(built)) {
  console.error('peer-suite: build first (npm run build)');
  process.exit(2);
}

/** A file of their repository at HEAD, from a work tree or a bare git dir. */
function theirs(file) {
  const inTree = path.join(source, file);
  if (existsSync(inTree)) return readFileSync(inTree, 'utf8');
  return execFileSync('git', ['--git-dir', source, 'show', `HEAD:${file}`], { encoding: 'utf8' });
}

/** A loopback port nobody listens on at the moment (bound, noted, closed). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Inside packages/ws so that `ws` resolves from its node_modules; ignored by git.
const scratch = path.join(root, 'packages/ws/.peer-suite');
rmSync(scratch, { recursive: true, force: true });
mkdirSync(path.join(scratch, '__tests__'), { recursive: true });
// Their fixed ports (50123, 50124) may be taken on a shared machine (another run of this script):
// two free ones instead, the only change made to their test file.
const [port, unresponsivePort] = await Promise.all([freePort(), freePort()]);
const suite = theirs('__tests__/test.ts')
  .replace('const PORT = 50123;', `const PORT = ${port};`)
  .replace(
    "const PORT_UNRESPONSIVE = '50124';",
    `const PORT_UNRESPONSIVE = '${unresponsivePort}';`,
  );
writeFileSync(path.join(scratch, '__tests__/test.ts'), suite);
writeFileSync(
  path.join(scratch, '__tests__/unresponsive-server.js'),
  theirs('__tests__/unresponsive-server.js'),
);
writeFileSync(path.join(scratch, 'package.json'), '{ "type": "commonjs" }\n');
// Their `import WebSocket from 'ws'` wants ws's CommonJS export (it has `.Server`), not the ESM
// wrapper's default.
const wsMain = createRequire(path.join(root, 'packages/ws/package.json')).resolve('ws');

// Their options → connback's. maxRetries counts retries, maxNumOfAttempts counts attempts.
// Either way every instance is recorded, so that the harness closes what a failed test left
// behind (see setup.ts).
if (baseline) {
  writeFileSync(path.join(scratch, 'events.ts'), theirs('events.ts'));
  writeFileSync(path.join(scratch, 'theirs.ts'), theirs('reconnecting-websocket.ts'));
  writeFileSync(
    path.join(scratch, 'reconnecting-websocket.ts'),
    `import Theirs from './theirs';
export * from './theirs';
export default class ReconnectingWebSocket extends Theirs {
  constructor(...args: any[]) {
    super(...(args as [any]));
    (globalThis as any).__peerSockets.add(this);
  }
}
`,
  );
} else
  writeFileSync(
    path.join(scratch, 'reconnecting-websocket.ts'),
    `import { ReconnectingWebSocket as Ours } from ${JSON.stringify(built)};

export class ErrorEvent extends Event {}

export default class ReconnectingWebSocket extends Ours {
  constructor(url: any, protocols?: any, options: any = {}) {
    const o: any = { jitter: 'none', strategy: 'exponential' };
    if (options.WebSocket !== undefined) o.WebSocket = options.WebSocket;
    if (options.maxRetries !== undefined) o.maxNumOfAttempts = options.maxRetries + 1;
    if (options.minReconnectionDelay !== undefined) o.initialDelay = Math.max(1, options.minReconnectionDelay);
    if (options.maxReconnectionDelay !== undefined) o.maxDelay = options.maxReconnectionDelay;
    if (options.reconnectionDelayGrowFactor !== undefined) o.factor = options.reconnectionDelayGrowFactor;
    if (options.connectionTimeout !== undefined) o.connectTimeout = options.connectionTimeout;
    if (options.minUptime !== undefined) o.minUptime = options.minUptime;
    if (options.maxEnqueuedMessages !== undefined) o.maxQueuedMessages = options.maxEnqueuedMessages;
    if (options.startClosed) o.lazyConnect = true;
    if (o.maxDelay !== undefined && o.initialDelay === undefined) o.initialDelay = Math.min(1000, o.maxDelay);
    if (o.initialDelay !== undefined && o.maxDelay !== undefined && o.maxDelay < o.initialDelay) o.maxDelay = o.initialDelay;
    super(url, protocols ?? undefined, o);
    (globalThis as any).__peerSockets.add(this);
  }
  /** Their retry counter: the retries of the current outage. */
  get retryCount(): number {
    return Math.max(0, this.connback.stats.outageAttempts - 1);
  }
}
`,
  );
writeFileSync(
  path.join(scratch, 'setup.ts'),
  `import { createRequire } from 'node:module';
import { afterEach, test, vi } from 'vitest';
(globalThis as any).jest = vi;
// A test that fails stops before it closes its socket and its server on the fixed port: the next
// test would see EADDRINUSE and that socket reconnecting to its server. Closed after each test,
// for both implementations alike.
const sockets = ((globalThis as any).__peerSockets = new Set<any>());
const ws = createRequire(import.meta.url)(${JSON.stringify(wsMain)});
const servers = new Set<any>();
class TrackedServer extends ws.Server {
  constructor(...args: any[]) {
    super(...(args as [any]));
    servers.add(this);
  }
}
ws.Server = TrackedServer;
ws.WebSocketServer = TrackedServer;
afterEach(async () => {
  // What those sockets' listeners throw as they close belongs to the test that just ended, not
  // to the next one (whose \`done\` wrapper would take it for its own).
  const late = () => {};
  process.on('uncaughtException', late);
  for (const socket of sockets) {
    try {
      socket.close();
    } catch {}
  }
  for (let i = 0; i < 100 && [...sockets].some((s) => s.readyState !== 3); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.off('uncaughtException', late);
  sockets.clear();
  await Promise.all(
    [...servers].map(
      (server) =>
        new Promise<void>((resolve) => {
          for (const client of server.clients) client.terminate();
          server.close(() => resolve());
        }),
    ),
  );
  servers.clear();
});
// As jest does, an exception thrown while a \`done\` test runs (their expectations sit in event
// listeners) fails that test with it, rather than leaving it to time out.
const wrap = (fn: any) =>
  typeof fn === 'function' && fn.length > 0
    ? () => new Promise<void>((resolve, reject) => {
        const fail = (error: unknown) => settle(error);
        const settle = (error?: unknown) => {
          process.off('uncaughtException', fail);
          if (error) reject(error); else resolve();
        };
        process.on('uncaughtException', fail);
        fn(settle);
      })
    : fn;
(globalThis as any).test = (name: string, fn: any, timeout?: number) => test(name, wrap(fn), timeout ?? 20_000);
`,
);
writeFileSync(
  path.join(scratch, 'vitest.config.mjs'),
  `export default { resolve: { alias: { ws: ${JSON.stringify(wsMain)} } }, test: { root: ${JSON.stringify(scratch)}, include: ['__tests__/test.ts'], globals: true, setupFiles: ['./setup.ts'], fileParallelism: false, testTimeout: 20000 } };\n`,
);

const report = path.join(scratch, 'report.json');
spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--config',
    path.join(scratch, 'vitest.config.mjs'),
    '--reporter=json',
    `--outputFile=${report}`,
    // PEER_SUITE_FILTER=<pattern> runs only the tests whose names match it.
    ...(process.env.PEER_SUITE_FILTER ? ['-t', process.env.PEER_SUITE_FILTER] : []),
  ],
  { cwd: scratch, stdio: ['ignore', 'ignore', 'inherit'], timeout: 10 * 60_000 },
);
const json = JSON.parse(readFileSync(report, 'utf8'));
const results = json.testResults.flatMap((file) => file.assertionResults);
const passed = results.filter((r) => r.status === 'passed');
console.log(
  `reconnecting-websocket's suite against ${baseline ? 'theirs' : 'ours'}: ${passed.length} of ${results.length} passed`,
);
for (const r of results.filter((t) => t.status !== 'passed')) {
  const why = (r.failureMessages?.[0] ?? r.status).split('\n')[0];
  console.log(`- ${r.title}: ${why}`);
}
if (process.env.KEEP_PEER_SUITE === undefined) rmSync(scratch, { recursive: true, force: true });

// Runs reconnecting-websocket's own test suite against @connback/ws's ReconnectingWebSocket:
// `node scripts/peer-suite.mjs <git dir or work tree of pladaria/reconnecting-websocket>`.
// Nothing of theirs is committed here: their test file is read from their repository (fetched
// by hand; the registry's package has no tests) into a scratch folder that git ignores, next to
// an adapter that maps their option names onto connback's, and run with vitest. Their suite is
// written for jest with `done` callbacks; a setup file gives it `jest` (vitest's `vi`) and turns
// each `done` test into a promise. Prints passed/total and every failure with its first line.
// Their tests listen on fixed loopback ports (50123, 50124) and take about a minute.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const source = process.argv[2];
if (source === undefined || !existsSync(source)) {
  console.error('usage: node scripts/peer-suite.mjs <reconnecting-websocket git dir or checkout>');
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

// Inside packages/ws so that `ws` resolves from its node_modules; ignored by git.
const scratch = path.join(root, 'packages/ws/.peer-suite');
rmSync(scratch, { recursive: true, force: true });
mkdirSync(path.join(scratch, '__tests__'), { recursive: true });
writeFileSync(path.join(scratch, '__tests__/test.ts'), theirs('__tests__/test.ts'));
writeFileSync(
  path.join(scratch, '__tests__/unresponsive-server.js'),
  theirs('__tests__/unresponsive-server.js'),
);
writeFileSync(path.join(scratch, 'package.json'), '{ "type": "commonjs" }\n');

// Their options → connback's. maxRetries counts retries, maxNumOfAttempts counts attempts.
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
  `import { test, vi } from 'vitest';
(globalThis as any).jest = vi;
const wrap = (fn: any) =>
  typeof fn === 'function' && fn.length > 0
    ? () => new Promise<void>((resolve, reject) => fn((error?: unknown) => (error ? reject(error) : resolve())))
    : fn;
(globalThis as any).test = (name: string, fn: any, timeout?: number) => test(name, wrap(fn), timeout ?? 20_000);
`,
);
// Their `import WebSocket from 'ws'` wants ws's CommonJS export (it has `.Server`), not the ESM
// wrapper's default.
const wsMain = createRequire(path.join(root, 'packages/ws/package.json')).resolve('ws');
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
  ],
  { cwd: scratch, stdio: ['ignore', 'ignore', 'inherit'], timeout: 10 * 60_000 },
);
const json = JSON.parse(readFileSync(report, 'utf8'));
const results = json.testResults.flatMap((file) => file.assertionResults);
const passed = results.filter((r) => r.status === 'passed');
console.log(
  `reconnecting-websocket's suite against ours: ${passed.length} of ${results.length} passed`,
);
for (const r of results.filter((t) => t.status !== 'passed')) {
  const why = (r.failureMessages?.[0] ?? r.status).split('\n')[0];
  console.log(`- ${r.title}: ${why}`);
}
if (process.env.KEEP_PEER_SUITE === undefined) rmSync(scratch, { recursive: true, force: true });

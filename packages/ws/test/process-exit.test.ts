import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  refusedPort,
  type SilentServer,
  startSilentServer,
  startWsServer,
  type TestWsServer,
} from './support/servers.js';

const child = fileURLToPath(new URL('./fixtures/end-child.mjs', import.meta.url));
const CLOSE_TIMEOUT = 1000;
/** The bound of the issue: the process is gone within closeTimeout + 500 ms of end(). */
const EXIT_BOUND = CLOSE_TIMEOUT + 500;

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
  /** From the line "ending" (or "ending (failed)") to the exit, in ms. */
  exitAfterEnd: number | undefined;
}

/**
 * Runs the fixture to its exit. `onConnected` runs when the child reports its connection (the
 * `stopped` case stops the server there). A child alive 15 s after its start is killed, which
 * fails the test.
 */
async function runChild(args: string[], onConnected?: () => void): Promise<ChildRun> {
  const proc = spawn(process.execPath, [child, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  let endingAt: number | undefined;
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (endingAt === undefined && /^ending/m.test(out)) endingAt = performance.now();
    if (onConnected !== undefined && /^connected$/m.test(out)) {
      const run = onConnected;
      onConnected = undefined;
      run();
      proc.stdin.write('go\n');
    }
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    proc.once('exit', (c, s) => resolve([c, s])),
  );
  const exitedAt = performance.now();
  clearTimeout(killer);
  return {
    code,
    signal,
    lines: out.trim().split('\n'),
    stderr,
    exitAfterEnd: endingAt === undefined ? undefined : exitedAt - endingAt,
  };
}

function expectCleanExit(run: ChildRun): void {
  expect(run.stderr).toBe('');
  expect(run.signal).toBeNull();
  expect(run.code).toBe(0);
  expect(run.exitAfterEnd).toBeDefined();
  expect(run.exitAfterEnd).toBeLessThanOrEqual(EXIT_BOUND);
}

/** Classes to try: the default everywhere, and Node's global WebSocket where there is one. */
const classes = ['default', ...(typeof globalThis.WebSocket === 'function' ? ['global'] : [])];

describe(`semantic 13 on Node ${process.versions.node}: after end() the process exits by itself within closeTimeout + 500 ms`, () => {
  let server: TestWsServer;
  let silent: SilentServer;
  let refused: number;
  beforeAll(async () => {
    server = await startWsServer();
    silent = await startSilentServer();
    refused = await refusedPort();
  });
  afterAll(async () => {
    await server.close();
    await silent.close();
  });

  for (const socketClass of classes) {
    for (const how of ['end', 'end-force']) {
      it(`${socketClass} class, ${how}(): while connecting (the handshake hangs)`, async () => {
        const url = `ws://127.0.0.1:${silent.port}/`;
        const run = await runChild([url, 'connecting', how, socketClass, String(CLOSE_TIMEOUT)]);
        expectCleanExit(run);
        expect(run.lines).toEqual(['ending', 'ended']);
      });

      it(`${socketClass} class, ${how}(): during the backoff wait after a refused attempt`, async () => {
        const url = `ws://127.0.0.1:${refused}/`;
        const run = await runChild([url, 'offline', how, socketClass, String(CLOSE_TIMEOUT)]);
        expectCleanExit(run);
        expect(run.lines.at(-2)).toBe('ending');
        expect(run.lines.at(-1)).toBe('ended');
      });

      it(`${socketClass} class, ${how}(): connected to a healthy server`, async () => {
        const run = await runChild([
          server.url,
          'connected',
          how,
          socketClass,
          String(CLOSE_TIMEOUT),
        ]);
        expectCleanExit(run);
        expect(run.lines).toEqual(['ending', 'ended']);
      });
    }
  }

  // Node's global WebSocket has no terminate(): its socket is released after closeTimeout, but
  // undici itself holds it until the server answers (README: the dead-peer table), so this case
  // is the default class's.
  for (const how of ['end', 'end-force']) {
    it(`default class, ${how}(): connected to a server that stopped answering (the close frame goes unanswered)`, async () => {
      const stopped = await startWsServer();
      try {
        const run = await runChild(
          [stopped.url, 'stopped', how, 'default', String(CLOSE_TIMEOUT)],
          () => stopped.last().socket.pause(),
        );
        expectCleanExit(run);
        expect(run.lines).toEqual(['connected', 'ending', 'ended']);
        if (how === 'end') expect(run.exitAfterEnd).toBeGreaterThanOrEqual(CLOSE_TIMEOUT - 50);
      } finally {
        await stopped.close();
      }
    });
  }

  for (const socketClass of classes) {
    it(`${socketClass} class: a connect timeout with maxNumOfAttempts 1 fails the Connback and the process exits`, async () => {
      const url = `ws://127.0.0.1:${silent.port}/`;
      const run = await runChild([url, 'timeout', 'none', socketClass, String(CLOSE_TIMEOUT)]);
      expectCleanExit(run);
      expect(run.lines).toEqual(['error CONNBACK_CONNECT_TIMEOUT', 'ending (failed)']);
    });
  }
});

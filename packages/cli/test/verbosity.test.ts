import { afterEach, describe, expect, it } from 'vitest';
import { killStrays, runCli } from './run-cli.js';
import { EchoServer, startWsServer } from './servers.js';

afterEach(() => killStrays());

/** Fast reconnection, so that a test waits fractions of a second, not seconds. */
const FAST = ['--initial-delay', '50', '--max-delay', '200', '--jitter', 'none'];

/** A port nobody listens on (refused at once). */
async function refusedPort(): Promise<number> {
  const server = await EchoServer.start();
  const port = server.port;
  await server.close();
  return port;
}

const linesOf = (text: string) => text.trim().split('\n');

/** Runs against a refused port until the attempts run out; resolves with standard error. */
async function failing(args: readonly string[]): Promise<string> {
  const port = await refusedPort();
  const run = runCli([`tcp://127.0.0.1:${port}`, '--max-attempts', '4', ...FAST, ...args]);
  expect(await run.exitWithin(15_000)).toBe(1);
  return run.stderr();
}

describe('connback: how much standard error says', () => {
  it('by default a failed attempt adds no line after the first of its kind; the last line gives up', async () => {
    const lines = linesOf(await failing([]));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^connback: cannot connect to tcp:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED .*; retrying$/,
    );
    expect(lines[1]).toMatch(
      /^connback: giving up: could not connect to tcp:\/\/127\.0\.0\.1:\d+ in 4 attempts: connect ECONNREFUSED/,
    );
  });

  it('-v adds every state change, attempt, backoff delay and error', async () => {
    const stderr = await failing(['-v']);
    for (const text of [
      'connback: idle → connecting',
      'connback: connecting → offline',
      'connback: attempt 2 in 50 ms',
      'connback: offline → connecting',
      '(attempt 4)',
    ]) {
      expect(stderr).toContain(text);
    }
    expect(stderr.match(/^connback: error: connect ECONNREFUSED/gm)).toHaveLength(4);
    expect(linesOf(stderr).at(-1)).toContain('giving up');
  });

  it('-q prints only the fatal line; --json every event, as before', async () => {
    expect(linesOf(await failing(['-q']))).toHaveLength(1);
    const events = linesOf(await failing(['--json'])).map(
      (line) => (JSON.parse(line) as { event: string }).event,
    );
    const count = (name: string) => events.filter((event) => event === name).length;
    expect(count('error')).toBe(4);
    expect(count('attempt')).toBe(3);
    expect(count('retry')).toBe(3);
    expect(count('state')).toBeGreaterThanOrEqual(8);
    expect(events.at(-1)).toBe('fatal');
  });

  it('a drop and a reconnect, by default: connected, lost, the first refusal, reconnected; nothing per attempt', async () => {
    const server = await EchoServer.start();
    try {
      const url = `tcp://127.0.0.1:${server.port}`;
      const run = runCli([url, ...FAST]);
      await run.waitForStderr('connected to');
      await server.down();
      await run.waitForStderr('cannot connect to');
      // A few refused attempts more, which say nothing.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await server.up();
      await run.waitForStderr('reconnected to');
      run.child.stdin.end();
      expect(await run.exitWithin(15_000)).toBe(0);
      const lines = linesOf(run.stderr());
      expect(lines).toHaveLength(5);
      expect(lines[0]).toBe(`connback: connected to ${url}`);
      expect(lines[1]).toBe('connback: connection closed by the server');
      expect(lines[2]).toMatch(/^connback: cannot connect to .*ECONNREFUSED.*; retrying$/);
      expect(lines[3]).toMatch(new RegExp(`^connback: reconnected to ${url} \\(attempt \\d+\\)$`));
      expect(lines[4]).toBe('connback: standard input ended and everything was sent');
    } finally {
      await server.close();
    }
  });
});

describe('connback ws://: a close without a close frame (1006)', () => {
  it('is said as "closed without a close frame (connection lost)", and the command reconnects', async () => {
    let connections = 0;
    const server = await startWsServer((socket) => {
      connections += 1;
      // Every other connection is cut without a close frame.
      if (connections % 2 === 1) setTimeout(() => socket.terminate(), 100);
      else socket.on('message', (data) => socket.send(String(data)));
    });
    try {
      const url = `ws://127.0.0.1:${server.port}/`;
      const run = runCli([url, ...FAST]);
      await run.waitForStderr('reconnected to');
      expect(run.stderr()).toContain(
        `connback: ${url} closed without a close frame (connection lost)\n`,
      );
      run.child.stdin.end();
      expect(await run.exitWithin(15_000)).toBe(0);

      const verbose = runCli([url, '-v', ...FAST]);
      await verbose.waitForStderr('reconnected to');
      expect(verbose.stderr()).toContain(
        'connback: error: closed without a close frame (connection lost)\n',
      );
      verbose.child.stdin.end();
      expect(await verbose.exitWithin(15_000)).toBe(0);
    } finally {
      await server.close();
    }
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { holdsFor, waitFor } from '../../../test-support/wait.js';
import { killStrays, runCli, runToEnd } from './run-cli.js';
import { startWsServer } from './servers.js';

afterEach(() => killStrays());

/** Fast reconnection, so that a test waits fractions of a second, not seconds. */
const FAST = ['--initial-delay', '50', '--max-delay', '200', '--jitter', 'none'];

/** The control characters of the peer's close reason that appear unescaped in `text`. */
function raw(text: string): string[] {
  return ['\x1b', '\r', '\u202e'].filter((char) => text.includes(char));
}

/** Everything a run printed, on both streams. */
function printed(run: { stdout: string; stderr: string }): string {
  return run.stdout + run.stderr;
}

describe('connback <url>: each URL error plainly, in one line, never echoing credentials (exit 2)', () => {
  it.each([
    ['tcp://127.0.0.1:70000', 'tcp://127.0.0.1:70000: port 70000 is out of range (1 to 65535)'],
    ['tcp://127.0.0.1:0', 'port 0 is out of range (1 to 65535)'],
    ['ws://127.0.0.1:99999/feed', 'port 99999 is out of range (1 to 65535)'],
    ['tcp://127.0.0.1:http', 'the port must be a number from 1 to 65535'],
    ['tcp://:4321', 'tcp://:4321: a host is required'],
    ['ws://:80/feed', 'ws://:80/feed: a host is required'],
    ['ws://', 'a host is required'],
    [
      'gopher://alice:s3cret@example.org/',
      'unsupported scheme "gopher:" in gopher://***:***@example.org/',
    ],
    ['alice:s3cret@example.org:4321', 'not a URL: ***:***@example.org:4321'],
    ['tcp:example.org:4321', 'not a URL: tcp:example.org:4321 (tcp:// is needed)'],
    ['unix:/tmp/%zz.sock', 'unix:/tmp/%zz.sock: the socket path holds a "%" that is not an escape'],
    ['unix:', 'unix:: a socket path is required'],
  ])('%s → %s', async (url, message) => {
    const run = await runToEnd([url]);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(message);
    expect(lines[1]).toBe("Try 'connback --help'.");
    expect(printed(run)).not.toContain('s3cret');
    expect(printed(run)).not.toContain('alice');
  });

  it('ws://bob:1234/5678@host/feed (a "/" in the password) is refused with the fix, and nothing of the credentials is printed, in plain, --json or DEBUG output', async () => {
    const url = 'ws://bob:1234/5678@example.org/feed';
    for (const args of [[url], [url, '--json']]) {
      const run = await runToEnd(args);
      const debug = await runToEnd(args, '', 15_000, { DEBUG: 'connback:*' });
      for (const result of [run, debug]) {
        expect(result.code).toBe(2);
        expect(result.stderr).toContain('ws://***:***@example.org/feed');
        expect(result.stderr).toContain('%2F');
        for (const secret of ['bob', '1234', '5678']) expect(printed(result)).not.toContain(secret);
      }
    }
  });

  it('a usage error quoting a flag value hides a URL in it', async () => {
    const run = await runToEnd([
      '--keepalive',
      'ws://bob:s3cret@example.org/',
      'tcp://127.0.0.1:1',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--keepalive takes a number');
    expect(printed(run)).not.toContain('s3cret');
  });
});

describe('connback ws://: credentials and secret parameters never printed while it runs', () => {
  it('a percent-encoded password ("/" as %2F) and ?token=: neither in plain, --json nor DEBUG=connback:* output', async () => {
    const server = await startWsServer();
    try {
      const url = `ws://bob:12%2F34@127.0.0.1:${server.port}/feed?token=t0ps3cret&room=1`;
      for (const args of [[url], [url, '--json']]) {
        const run = await runToEnd(args, 'hello\n', 15_000, { DEBUG: 'connback:*' });
        expect(run.code).toBe(0);
        expect(run.stdout).toBe('hello\n');
        // The traces ran (the URL is printed, redacted), and the credentials are not in them.
        expect(run.stderr).toContain('connback:ws');
        expect(run.stderr).toContain(`ws://***:***@127.0.0.1:${server.port}/feed?token=***&room=1`);
        for (const secret of ['bob', '12%2F34', '12/34', 't0ps3cret']) {
          expect(printed(run)).not.toContain(secret);
        }
      }
      expect(server.requests).toHaveLength(2);
    } finally {
      await server.close();
    }
  });
});

describe('connback: control characters from the peer are escaped on the terminal', () => {
  it('a close reason with ESC sequences, a carriage return, a line feed and U+202E: escaped in the plain lines and in DEBUG output, escaped JSON with --json', async () => {
    const reason = '\x1b[2J\x1b[31mred\rover\nconnback: fake line\u202e';
    const server = await startWsServer((socket) => socket.close(1008, reason));
    try {
      const url = `ws://127.0.0.1:${server.port}/`;
      const plain = runCli([url, ...FAST], { DEBUG: 'connback:*' });
      expect(await plain.exitWithin(15_000)).toBe(1);
      const stderr = plain.stderr();
      expect(stderr).toContain('giving up');
      expect(stderr).toContain('\\x1b[2J\\x1b[31mred\\x0dover\\x0aconnback: fake line\\u202e');
      expect(raw(stderr)).toEqual([]);
      for (const line of stderr.split('\n')) expect(line).not.toMatch(/^connback: fake line/);

      const json = runCli([url, '--json', ...FAST]);
      expect(await json.exitWithin(15_000)).toBe(1);
      expect(raw(json.stderr())).toEqual([]);
      const lines = json
        .stderr()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const error = lines.find((line) => line['event'] === 'error');
      expect(error?.['message']).toBe(`WebSocket closed with code 1008: ${reason}`);
    } finally {
      await server.close();
    }
  });
});

describe('connback ws://: a server that stops reading', () => {
  it('standard input waits while the queue is full (the socket is backed up), then every line arrives once, in order, after the server reads again; exit 0', async () => {
    const received: string[] = [];
    const sockets: import('ws').WebSocket[] = [];
    const server = await startWsServer((socket) => {
      sockets.push(socket);
      // Stops reading the TCP socket: the kernel buffers fill, then the client's.
      socket.pause();
      socket.on('message', (data) => received.push(String(data)));
    });
    try {
      // 8 MiB: more than the kernel's buffers, the socket's 1 MiB mark and the 1 MiB queue.
      const lines = Array.from({ length: 4096 }, (_, i) => `${i}:`.padEnd(2048, 'x'));
      const run = runCli([`ws://127.0.0.1:${server.port}/`]);
      run.child.stdin.end(`${lines.join('\n')}\n`);
      await waitFor(() => sockets.length === 1, 'the connection');
      await holdsFor(() => received.length === 0, 'nothing read while paused', 500);
      sockets[0]?.resume();
      expect(await run.exitWithin(30_000)).toBe(0);
      await waitFor(() => received.length === lines.length, 'every line at the server', 10_000);
      expect(received).toEqual(lines);
      expect(run.stderr()).toContain('every message was sent');
    } finally {
      await server.close();
    }
  });
});

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killStrays, runCli, runToEnd } from './run-cli.js';
import { EchoServer, startWsServer } from './servers.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Fast reconnection, so that a test waits fractions of a second, not seconds. */
const FAST = ['--initial-delay', '50', '--max-delay', '200', '--jitter', 'none'];

const pipelines = new Set<ChildProcessWithoutNullStreams>();

afterEach(() => {
  killStrays();
  for (const child of pipelines) child.kill('SIGKILL');
  pipelines.clear();
});

/**
 * `connback args | head -1` in bash, as typed in a shell; resolves with connback's exit code
 * (PIPESTATUS), what head printed and connback's standard error. Standard input stays open, so
 * the end comes from the pipe. Bounded by `timeoutMs`.
 */
async function intoHead(
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    'bash',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash variable, not a template
    ['-c', '"$0" "$@" | head -1; exit "${PIPESTATUS[0]}"', process.execPath, BIN, ...args],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  pipelines.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  pipelines.delete(child);
  return { code, stdout, stderr };
}

/** A port nobody listens on (refused at once). */
async function refusedPort(): Promise<number> {
  const server = await EchoServer.start();
  const port = server.port;
  await server.close();
  return port;
}

describe('connback | head -1: the reader of standard output goes away', () => {
  it('tcp://: exit 0, the first line through, and nothing on standard error but the lifecycle (no EPIPE, no stack trace)', async () => {
    const server = await EchoServer.start({ tickEvery: 20 });
    try {
      const url = `tcp://127.0.0.1:${server.port}`;
      const run = await intoHead([url]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^tick \d+\n$/);
      expect(run.stderr).toBe(`connback: connected to ${url}\n`);
      const quiet = await intoHead([url, '-q']);
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).toBe('');
    } finally {
      await server.close();
    }
  });

  it('ws://: exit 0, the first message through, and nothing on standard error but the lifecycle', async () => {
    const server = await startWsServer((socket) => {
      let n = 0;
      const timer = setInterval(() => socket.send(`message ${n++}`), 20);
      socket.once('close', () => clearInterval(timer));
    });
    try {
      const url = `ws://127.0.0.1:${server.port}/feed`;
      const run = await intoHead([url]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^message \d+\n$/);
      expect(run.stderr).toBe(`connback: connected to ${url}\n`);
    } finally {
      await server.close();
    }
  });
});

describe('connback: standard input ends before any connection', () => {
  it('never connected: waits out the attempts, then exit 1 with one line saying why (never "everything was sent")', async () => {
    const port = await refusedPort();
    const url = `tcp://127.0.0.1:${port}`;
    for (const input of ['', 'hello\n']) {
      const run = await runToEnd([url, '--max-attempts', '1', ...FAST], input);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `connback: giving up: could not connect to ${url} in 1 attempt: connect ECONNREFUSED 127.0.0.1:${port} (CONNBACK_ATTEMPTS_EXHAUSTED)\n`,
      );
    }
    const unix = await runToEnd([
      'unix:/nonexistent/connback.sock',
      '--max-attempts',
      '3',
      ...FAST,
    ]);
    expect(unix.code).toBe(1);
    expect(unix.stderr).not.toContain('everything was sent');
    expect(unix.stderr.trim().split('\n').at(-1)).toContain(
      'giving up: could not connect to unix:/nonexistent/connback.sock in 3 attempts',
    );
  });

  it('the server comes up later: the input is sent then, and exit 0 only after that', async () => {
    const port = await refusedPort();
    const run = runCli([`tcp://127.0.0.1:${port}`, ...FAST]);
    run.child.stdin.end('hello\n');
    await run.waitForStderr('cannot connect to');
    let received = '';
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => sockets.delete(socket));
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await run.exitWithin(15_000)).toBe(0);
      expect(received).toBe('hello\n');
      const lines = run.stderr().trim().split('\n');
      expect(lines.at(-2)).toMatch(/^connback: connected to /);
      expect(lines.at(-1)).toBe('connback: standard input ended and everything was sent');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

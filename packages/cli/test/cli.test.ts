import { afterEach, describe, expect, it } from 'vitest';
import { killStrays, runCli, runToEnd } from './run-cli.js';
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

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('connback <url>: usage (exit 2)', () => {
  it.each([
    [['--nope', 'tcp://127.0.0.1:1'], '--nope'],
    [['ftp://127.0.0.1:21'], 'unsupported scheme "ftp:"'],
    [['tcp://127.0.0.1'], 'a port from 1 to 65535 is required'],
    [['not a url'], 'not a URL'],
    [['--keepalive', 'soon', 'tcp://127.0.0.1:1'], '--keepalive takes a number'],
    [['--strategy', 'linear', 'tcp://127.0.0.1:1'], '--strategy is one of fibonacci, exponential'],
    [
      ['--max-delay', '10', '--initial-delay', '100', 'tcp://127.0.0.1:1'],
      '--max-delay must be at least --initial-delay (100), got "10"',
    ],
    [['--max-delay', '500', 'tcp://127.0.0.1:1'], '--max-delay must be at least the initial delay'],
    [['--max-attempts', '0', 'tcp://127.0.0.1:1'], '--max-attempts must be at least 1, got "0"'],
    [['--max-attempts', '2.5', 'tcp://127.0.0.1:1'], '--max-attempts takes a whole number'],
    [['--keepalive', '-1', 'tcp://127.0.0.1:1'], '--keepalive cannot be negative, got "-1"'],
    [['--keepalive=-1', 'tcp://127.0.0.1:1'], '--keepalive cannot be negative, got "-1"'],
    [['--connect-timeout', '-5', 'tcp://127.0.0.1:1'], '--connect-timeout cannot be negative'],
    [['--initial-delay', '0', 'tcp://127.0.0.1:1'], '--initial-delay must be at least 1'],
    [['--initial-delay', '0x10', 'tcp://127.0.0.1:1'], '--initial-delay takes a number (ms)'],
    [['--keepalive', '1e12', 'tcp://127.0.0.1:1'], '--keepalive is at most'],
    [['tcp://127.0.0.1:1', '--keepalive'], '--keepalive needs a value (seconds)'],
    [['--json=yes', 'tcp://127.0.0.1:1'], '--json takes no value, got "yes"'],
    [['-x', 'tcp://127.0.0.1:1'], 'unknown flag -x'],
    [['-q', '-v', 'tcp://127.0.0.1:1'], '--verbose and --quiet exclude each other'],
    [['--ca', 'ca.pem', 'tcp://127.0.0.1:1'], '--ca is for tls:// and wss:// URLs'],
    [['-k', 'ws://127.0.0.1:1/'], '--insecure is for tls:// and wss:// URLs'],
    [['--cert', 'c.pem', 'tls://127.0.0.1:1'], '--cert needs --key'],
    [
      ['--ca', '/nonexistent/ca.pem', 'tls://127.0.0.1:1'],
      '--ca /nonexistent/ca.pem: cannot read the file (no such file)',
    ],
    [['--ca', '/', 'wss://127.0.0.1:1/'], '--ca /: cannot read the file (a directory, not a file)'],
    [['demo', '--keepalive', '1'], 'demo takes no connection options'],
    [[], 'a URL is required'],
  ])('%j → exit 2 and one line: %s', async (args, message) => {
    const { code, stderr } = await runToEnd(args);
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(message);
    expect(lines[0]).toMatch(/^connback: (?!connback:)/);
    // Core's option names never reach the user: the flags do.
    expect(lines[0]).not.toMatch(/maxNumOfAttempts|initialDelay|maxDelay|connectTimeout/);
    expect(lines[1]).toBe("Try 'connback --help'.");
  });

  it('--help prints the usage and every flag, --version the version; both exit 0', async () => {
    const help = await runToEnd(['--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--keepalive',
      '--ping',
      '--connect-timeout',
      '--initial-delay',
      '--max-delay',
      '--max-attempts',
      '--strategy',
      '--jitter',
      '--min-uptime',
      '--quiet',
      '--verbose',
      '--json',
      '--ca',
      '--cert',
      '--key',
      '--servername',
      '--insecure',
      '--retry-cert-errors',
      'NODE_EXTRA_CA_CERTS',
    ]) {
      expect(help.stdout).toContain(flag);
    }
    const version = await runToEnd(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('connback tcp://: standard input through a server restart', () => {
  it('carries every line typed before, during and after a restart on the same port; exit 0 at the end of input', async () => {
    const server = await EchoServer.start();
    const run = runCli([`tcp://127.0.0.1:${server.port}`, '--json', ...FAST]);
    try {
      run.child.stdin.write('one\n');
      await run.waitForStdout('one\n');
      await server.down();
      await run.waitForStderr('"event":"retry"');
      // Typed while the server is down: held by the stream, sent after the reconnect.
      run.child.stdin.write('two\n');
      run.child.stdin.write('three\n');
      await server.up();
      await run.waitForStdout('three\n');
      run.child.stdin.write('four\n');
      await run.waitForStdout('four\n');
      run.child.stdin.end();
      expect(await run.exited).toBe(0);
      expect(run.stdout()).toBe('one\ntwo\nthree\nfour\n');
      const events = jsonLines(run.stderr());
      expect(events.some((e) => e['event'] === 'connect' && e['reconnect'] === true)).toBe(true);
      expect(events.some((e) => e['event'] === 'close')).toBe(true);
      expect(events.at(-1)?.['event']).toBe('end');
      for (const event of events) expect(typeof event['time']).toBe('string');
    } finally {
      await server.close();
    }
  });

  it('plain lines on standard error when it is not a terminal, nothing but fatal errors with --quiet', async () => {
    const server = await EchoServer.start();
    try {
      const plain = await runToEnd([`tcp://127.0.0.1:${server.port}`], 'hello\n');
      expect(plain.code).toBe(0);
      // One line per event that matters: no state changes, no close of our own.
      expect(plain.stderr).toBe(
        `connback: connected to tcp://127.0.0.1:${server.port}\n` +
          'connback: standard input ended and everything was sent\n',
      );
      const quiet = await runToEnd([`tcp://127.0.0.1:${server.port}`, '--quiet'], 'hello\n');
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).toBe('');
    } finally {
      await server.close();
    }
  });

  it('exit 1 when the attempts run out, with the code on standard error (even with --quiet)', async () => {
    const port = await refusedPort();
    // Standard input stays open: the exit comes from the failure, not from the end of input.
    const run = runCli([`tcp://127.0.0.1:${port}`, '--max-attempts', '3', '--quiet', ...FAST]);
    const code = await run.exitWithin(15_000);
    expect(code).toBe(1);
    expect(run.stderr()).toContain('CONNBACK_ATTEMPTS_EXHAUSTED');
    expect(run.stderr()).toContain('ECONNREFUSED');
    expect(run.stderr().trim().split('\n')).toHaveLength(1);
  });

  it('Ctrl-C (SIGINT) ends at once with exit 130, even while reconnecting', async () => {
    const port = await refusedPort();
    const run = runCli([`tcp://127.0.0.1:${port}`, '-v', ...FAST]);
    await run.waitForStderr('attempt 2');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.stderr()).toContain('interrupted');
  });
});

describe('connback ws://', () => {
  it('one message per line both ways, and no credential of the URL is ever printed', async () => {
    const server = await startWsServer();
    try {
      const url = `ws://user:secret@127.0.0.1:${server.port}/feed`;
      const plain = await runToEnd([url], 'hello\nworld\n');
      expect(plain.code).toBe(0);
      expect(plain.stdout).toBe('hello\nworld\n');
      const json = await runToEnd([url, '--json'], 'again\n');
      expect(json.code).toBe(0);
      for (const text of [plain.stderr, json.stderr, plain.stdout, json.stdout]) {
        expect(text).not.toContain('secret');
      }
      expect(json.stderr).toContain('***');
      jsonLines(json.stderr);
      // The credentials still reached the server, as basic authentication.
      const auth = server.requests[0]?.headers.authorization ?? '';
      expect(Buffer.from(auth.replace('Basic ', ''), 'base64').toString()).toBe('user:secret');
    } finally {
      await server.close();
    }
  });

  it('a fatal close code (1008, policy violation) ends with exit 1', async () => {
    const server = await startWsServer((socket) => socket.close(1008, 'not allowed'));
    try {
      const run = runCli([`ws://127.0.0.1:${server.port}/`, ...FAST]);
      const code = await run.exitWithin(15_000);
      expect(code).toBe(1);
      expect(run.stderr()).toContain('giving up');
      expect(run.stderr()).toContain('1008');
    } finally {
      await server.close();
    }
  });
});

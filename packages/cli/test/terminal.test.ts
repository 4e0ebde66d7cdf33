import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test-support/wait.js';
import { EchoServer } from './servers.js';
import { startTerminal, type TerminalRun } from './tmux.js';

/** Fast reconnection, so that a test waits fractions of a second, not seconds. */
const FAST = ['--initial-delay', '50', '--max-delay', '200', '--jitter', 'none'];

/** The whole status row: state, target, counters, maybe the wait. Nothing else on that row. */
const STATUS_ROW =
  /^\[(idle|connecting|connected|offline|ending|ended|failed)\] tcp:\/\/127\.0\.0\.1:\d+ · \d+ reconnects · \d+ drops( · next attempt in \d+ ms)?$/;
/** Any piece of the status line. */
const STATUS_PIECE = /\[(idle|connecting|connected|offline|ending|ended|failed)\]|reconnects ·/;

let open: TerminalRun[] = [];
const servers: { close(): Promise<void> }[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const terminal of open) await terminal.close();
  open = [];
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const server of servers.splice(0)) await server.close();
});

async function terminal(args: readonly string[], size?: { rows?: number; columns?: number }) {
  const run = await startTerminal(args, size);
  open.push(run);
  return run;
}

/**
 * What the screen may show while connback runs: in the scrolling area only whole lines of data,
 * of what was typed (the terminal's echo and the server's), and lifecycle lines; the last row is
 * the status row or empty, and the status appears nowhere else.
 */
function checkScreen(data: RegExp): (rows: string[]) => void {
  return (rows) => {
    const last = rows.at(-1) ?? '';
    if (last !== '' && !STATUS_ROW.test(last)) {
      throw new Error(
        `the last row is not a status line: ${JSON.stringify(last)}\n${rows.join('\n')}`,
      );
    }
    for (const row of rows.slice(0, -1)) {
      if (STATUS_PIECE.test(row)) {
        throw new Error(
          `status text above the last row: ${JSON.stringify(row)}\n${rows.join('\n')}`,
        );
      }
      if (row !== '' && !data.test(row) && !/^connback: \S/.test(row)) {
        throw new Error(
          `a row that is neither data nor a lifecycle line: ${JSON.stringify(row)}\n${rows.join('\n')}`,
        );
      }
    }
  };
}

const count = (rows: string[], text: string) => rows.filter((row) => row === text).length;

describe('connback on a terminal (tmux): the status line keeps the last row', () => {
  it('data, typed lines and lifecycle lines scroll above it, whole; a line typed while offline survives every redraw; Ctrl-D gives the screen back (region reset, row cleared)', async () => {
    const server = await EchoServer.start({ tickEvery: 150 });
    servers.push(server);
    const rows = 14;
    const run = await terminal([`tcp://127.0.0.1:${server.port}`, ...FAST], { rows });
    const check = checkScreen(/^(tick \d+|typed-\w+)$/);

    await run.waitForScreen(
      (s) => s.at(-1)?.startsWith('[connected]') === true && s.some((r) => /^tick \d+$/.test(r)),
      'connected, with data',
      10_000,
      check,
    );
    expect(await run.region()).toEqual([0, rows - 2]);
    await run.typeLine('typed-one');
    // Twice: the terminal's echo of what was typed, then the echo server's copy.
    await run.waitForScreen((s) => count(s, 'typed-one') === 2, 'typed-one echoed', 10_000, check);

    await server.down();
    await run.waitForScreen(
      (s) => s.includes('connback: connection closed by the server'),
      'the close',
      10_000,
      check,
    );
    await run.typeLine('typed-offline');
    await run.waitForScreen(
      (s) => s.includes('typed-offline'),
      'the echo of the typed line',
      10_000,
      check,
    );
    // Offline, attempts every 50 to 200 ms, each redrawing the status twice or more: the typed
    // line stays where it is.
    await run.watchFor(800, (s) => {
      check(s);
      if (count(s, 'typed-offline') !== 1)
        throw new Error(`typed-offline was lost:\n${s.join('\n')}`);
    });

    await server.up();
    await run.waitForScreen(
      (s) =>
        s.some((r) => r.startsWith('connback: reconnected to')) && count(s, 'typed-offline') === 2,
      'the reconnect, and the line typed offline at the server',
      10_000,
      check,
    );
    await run.press('C-d');
    expect(await run.exitCode()).toBe(0);
    // The whole screen scrolls again: the shell's lines reach the last row, no status is left.
    expect(await run.region()).toEqual([0, rows - 1]);
    const after = await run.screen();
    expect(after.at(-1)).toBe('[exit 0]');
    expect(after.filter((r) => STATUS_PIECE.test(r))).toEqual([]);
    // Nothing scrolled into the history was ever glued to the status line either.
    const history = await run.transcript();
    expect(history.filter((r) => STATUS_PIECE.test(r))).toEqual([]);
    const iTyped = history.indexOf('typed-offline');
    const iReconnected = history.findIndex((r) => r.startsWith('connback: reconnected to'));
    expect(iTyped).toBeGreaterThanOrEqual(0);
    expect(iTyped).toBeLessThan(iReconnected);
  });

  it('a line of data without a line feed (a prompt) is not glued to the lifecycle line after it', async () => {
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => sockets.delete(socket));
      connections += 1;
      if (connections === 1) {
        socket.write('login: ');
        setTimeout(() => socket.destroy(), 300);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    });
    const port = (server.address() as net.AddressInfo).port;
    const run = await terminal([`tcp://127.0.0.1:${port}`, ...FAST]);
    const shown = await run.waitForScreen(
      (s) => s.some((r) => r.startsWith('connback: reconnected to')),
      'the reconnect',
      10_000,
      checkScreen(/^login:$/),
    );
    const prompt = shown.indexOf('login:');
    expect(prompt).toBeGreaterThanOrEqual(0);
    expect(shown[prompt + 1]).toBe('connback: connection closed by the server');
    await run.press('C-c');
    expect(await run.exitCode()).toBe(130);
    expect(await run.region()).toEqual([0, run.rows - 1]);
  });

  it('a resize moves the status line to the new last row; the typed lines stay above it', async () => {
    const server = await EchoServer.start();
    servers.push(server);
    const run = await terminal([`tcp://127.0.0.1:${server.port}`, ...FAST], { rows: 14 });
    const check = checkScreen(/^typed-\w+$/);
    await run.waitForScreen(
      (s) => s.at(-1)?.startsWith('[connected]') === true,
      'connected',
      10_000,
      check,
    );
    await run.typeLine('typed-before');
    await run.waitForScreen((s) => count(s, 'typed-before') === 2, 'the echo', 10_000, check);

    await run.resize(8, 100);
    await run.waitForScreen(
      (s) => s.length === 8 && s.at(-1)?.startsWith('[connected]') === true,
      'the status line on row 8',
      10_000,
      check,
    );
    expect(await run.region()).toEqual([0, 6]);
    await run.typeLine('typed-after');
    const shown = await run.waitForScreen(
      (s) => count(s, 'typed-after') === 2,
      'the echo',
      10_000,
      check,
    );
    expect(shown.slice(0, -1)).toContain('typed-before');

    await run.resize(16, 100);
    await run.waitForScreen(
      (s) => s.length === 16 && s.at(-1)?.startsWith('[connected]') === true,
      'the status line on row 16',
      10_000,
    );
    expect(await run.region()).toEqual([0, 14]);
    await run.press('C-c');
    expect(await run.exitCode()).toBe(130);
    expect(await run.region()).toEqual([0, 15]);
  });

  it('Ctrl-Z (SIGTSTP) gives the row back while stopped, and SIGCONT takes it again; SIGHUP ends with 129 and resets the terminal', async () => {
    const server = await EchoServer.start();
    servers.push(server);
    const rows = 12;
    const run = await terminal([`tcp://127.0.0.1:${server.port}`, ...FAST], { rows });
    await run.waitForScreen((s) => s.at(-1)?.startsWith('[connected]') === true, 'connected');
    const pid = await run.pid();

    process.kill(pid, 'SIGTSTP');
    await run.waitForScreen((s) => s.at(-1) === '', 'the status row cleared');
    expect(await run.region()).toEqual([0, rows - 1]);
    process.kill(pid, 'SIGCONT');
    await run.waitForScreen(
      (s) => s.at(-1)?.startsWith('[connected]') === true,
      'the status again',
    );
    expect(await run.region()).toEqual([0, rows - 2]);

    process.kill(pid, 'SIGHUP');
    expect(await run.exitCode()).toBe(129);
    expect(await run.region()).toEqual([0, rows - 1]);
    expect((await run.screen()).filter((r) => STATUS_PIECE.test(r))).toEqual([]);
  });
});

describe('connback on a terminal of unknown size', () => {
  it('under script(1) without a window size: plain lines, no status line and no escape sequence', async () => {
    const server = await EchoServer.start();
    servers.push(server);
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
    const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
    const command = [
      process.execPath,
      bin,
      `tcp://127.0.0.1:${server.port}`,
      '--max-attempts',
      '1',
      ...FAST,
    ]
      .map(quote)
      .join(' ');
    // script's own input is a pipe, so the terminal it makes has no size (0 × 0).
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let shown = '';
    child.stdout.on('data', (chunk: Buffer) => {
      shown += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('close', (code) => resolve(code)),
    );
    await waitFor(
      () => shown.includes('connback: connected to'),
      `the connect; it shows ${JSON.stringify(shown)}`,
      10_000,
    );
    await server.down();
    expect(await exited).toBe(1);
    expect(shown).toContain('connback: giving up');
    expect(shown).not.toContain('\x1b');
    expect(shown).not.toMatch(STATUS_PIECE);
  });
});

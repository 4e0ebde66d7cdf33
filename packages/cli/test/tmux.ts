import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/*
 * The built binary in a real terminal: a tmux server of its own (a private socket, `tmux -L`),
 * one window whose size the test sets, and the screen read back with capture-pane, as a person
 * would see it. tmux interprets every escape sequence the command writes, so the assertions are
 * on what is shown, not on the bytes.
 */

const run = promisify(execFile);

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Every tmux command is bounded; the server answers in milliseconds. */
const TMUX_TIMEOUT_MS = 5000;
const POLL_MS = 40;

let servers = 0;

/** A `connback` running in a tmux window, and what its terminal shows. */
export interface TerminalRun {
  readonly rows: number;
  /** The visible rows, top to bottom, trailing spaces removed. */
  screen(): Promise<string[]>;
  /** Every line the window showed: the history that scrolled away, then the visible rows. */
  transcript(): Promise<string[]>;
  /** The scroll region, as 0-based [top, bottom] rows. */
  region(): Promise<[number, number]>;
  /** Types `text` and Enter (as keystrokes, in one write to the terminal). */
  typeLine(text: string): Promise<void>;
  /** Presses a key as tmux names it: `C-c`, `C-d`, `Enter`. */
  press(key: string): Promise<void>;
  /** Resizes the window, as a user dragging the terminal's border. */
  resize(rows: number, columns: number): Promise<void>;
  /** The pid of the connback process (a child of the shell in the window). */
  pid(): Promise<number>;
  /**
   * Polls the screen until `predicate` holds; `check` runs on every screen seen meanwhile (the
   * invariants). Throws after `timeoutMs` with the last screen.
   */
  waitForScreen(
    predicate: (rows: string[]) => boolean,
    what: string,
    timeoutMs?: number,
    check?: (rows: string[]) => void,
  ): Promise<string[]>;
  /** Reads the screen for `ms`, running `check` on every one. */
  watchFor(ms: number, check: (rows: string[]) => void): Promise<void>;
  /** The exit code, once the line `[exit N]` is shown. */
  exitCode(timeoutMs?: number): Promise<number>;
  /** Kills the tmux server and removes its socket and configuration. */
  close(): Promise<void>;
}

/**
 * Starts `connback args` in a fresh tmux window of `rows` × `columns`, through bash, which after
 * the command prints more lines than the window has rows, then `[exit N]` on the cursor's line
 * (so that a scroll region left behind would show), and keeps the window open.
 */
export async function startTerminal(
  args: readonly string[],
  { rows = 12, columns = 120 }: { rows?: number; columns?: number } = {},
): Promise<TerminalRun> {
  servers += 1;
  const socket = `connback-test-${process.pid}-${servers}-${Date.now().toString(36)}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'connback-tmux-'));
  const conf = path.join(dir, 'tmux.conf');
  // No status bar (it would take a row of the window), no user configuration.
  writeFileSync(conf, 'set -g status off\nset -g history-limit 2000\n');
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8' };
  delete env['TMUX'];
  const tmux = async (...command: string[]): Promise<string> => {
    const { stdout } = await run('tmux', ['-L', socket, ...command], {
      env,
      timeout: TMUX_TIMEOUT_MS,
    });
    return stdout;
  };
  const script = `"$0" "$@"; code=$?; seq -f 'after-%g' 1 ${2 * rows}; printf '[exit %s]' "$code"; exec sleep 600`;
  let socketPath: string | undefined;
  try {
    await tmux(
      '-f',
      conf,
      'new-session',
      '-d',
      '-s',
      'cli',
      '-x',
      String(columns),
      '-y',
      String(rows),
      'bash',
      '-c',
      script,
      process.execPath,
      BIN,
      ...args,
    );
    socketPath = (await tmux('display-message', '-p', '-t', 'cli', '#{socket_path}')).trim();
  } catch (error) {
    await tmux('kill-server').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  let current = rows;
  const screen = async () =>
    (await tmux('capture-pane', '-p', '-t', 'cli'))
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => line.trimEnd());
  const waitForScreen: TerminalRun['waitForScreen'] = async (
    predicate,
    what,
    timeoutMs = 10_000,
    check = () => {},
  ) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const shown = await screen();
      check(shown);
      if (predicate(shown)) return shown;
      if (performance.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${shown.join('\n')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  return {
    get rows() {
      return current;
    },
    screen,
    transcript: async () =>
      (await tmux('capture-pane', '-p', '-S', '-', '-t', 'cli'))
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => line.trimEnd()),
    region: async () => {
      const text = await tmux(
        'display-message',
        '-p',
        '-t',
        'cli',
        '#{scroll_region_upper} #{scroll_region_lower}',
      );
      const [top, bottom] = text.trim().split(' ').map(Number);
      return [top ?? Number.NaN, bottom ?? Number.NaN];
    },
    typeLine: async (text) => {
      // One write, as a person's line reaches the terminal by the time they press Enter: sent in
      // two, a lifecycle line printed in between would follow the half-typed text on its row.
      await tmux('send-keys', '-t', 'cli', '-l', `${text}\r`);
    },
    press: async (key) => {
      await tmux('send-keys', '-t', 'cli', key);
    },
    resize: async (newRows, newColumns) => {
      await tmux('resize-window', '-t', 'cli', '-x', String(newColumns), '-y', String(newRows));
      current = newRows;
    },
    pid: async () => {
      const shell = Number(
        (await tmux('display-message', '-p', '-t', 'cli', '#{pane_pid}')).trim(),
      );
      const children = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim();
      const pid = Number(children.split(' ')[0]);
      if (!Number.isInteger(pid) || pid <= 0) throw new Error('connback is not running');
      return pid;
    },
    waitForScreen,
    watchFor: async (ms, check) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        check(await screen());
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
    exitCode: async (timeoutMs = 10_000) => {
      const shown = await waitForScreen(
        (lines) => lines.some((line) => /^\[exit \d+\]$/.test(line)),
        'the command to exit',
        timeoutMs,
      );
      const line = shown.find((l) => /^\[exit \d+\]$/.test(l)) ?? '';
      return Number(/\d+/.exec(line)?.[0]);
    },
    close: async () => {
      await tmux('kill-server').catch(() => undefined);
      // tmux leaves the socket file behind.
      if (socketPath !== undefined) rmSync(socketPath, { force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

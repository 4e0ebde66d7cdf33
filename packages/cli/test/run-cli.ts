import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../../test-support/wait.js';

/** The built binary, run as a user runs it. */
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** A running `connback` process with what it printed so far. */
export interface CliRun {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** Like `exited`, but kills the process if it has not exited within `timeoutMs`. */
  exitWithin(timeoutMs: number): Promise<number | string>;
  /** Waits until standard output contains `text`. */
  waitForStdout(text: string, timeoutMs?: number): Promise<void>;
  waitForStderr(text: string, timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Kills what a failed test left running (called from afterEach). */
export function killStrays(): void {
  for (const child of running) child.kill('SIGKILL');
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    child,
    exitWithin: async (timeoutMs) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout: (text, timeoutMs = 10_000) =>
      waitFor(
        () => out.includes(text),
        `stdout to contain ${JSON.stringify(text)}; it has ${JSON.stringify(out)}`,
        timeoutMs,
      ),
    waitForStderr: (text, timeoutMs = 10_000) =>
      waitFor(
        () => err.includes(text),
        `stderr to contain ${JSON.stringify(text)}; it has ${JSON.stringify(err)}`,
        timeoutMs,
      ),
  };
}

/** Runs to the end with `input` on standard input; every run is bounded by `timeoutMs`. */
export async function runToEnd(
  args: readonly string[],
  input = '',
  timeoutMs = 15_000,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const run = runCli(args, env);
  run.child.stdin.end(input);
  const code = await run.exitWithin(timeoutMs);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

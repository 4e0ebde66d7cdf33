import type { Readable, Writable } from 'node:stream';
import type { ReportStream } from './reporter.js';

/** A signal that ends the command: Ctrl-C, `kill`, or the terminal going away. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The process's streams and signals, injected so that the commands run inside tests too. */
export interface CliIo {
  /** Standard input: what goes to the connection. */
  readonly stdin: Readable;
  /** Standard output: what arrives from the connection, and nothing else. */
  readonly stdout: Writable & {
    /** True when standard output is a terminal. */
    readonly isTTY?: boolean | undefined;
  };
  /** Standard error: the lifecycle, usage errors and the status line. */
  readonly stderr: Writable & ReportStream;
  /**
   * Subscribes to Ctrl-C (SIGINT), SIGTERM, and SIGHUP when the command runs on a terminal.
   * @param listener - Called with the signal's name (undefined: an interrupt of unknown origin).
   * @returns The unsubscribe function.
   */
  onInterrupt(listener: (signal?: StopSignal) => void): () => void;
  /**
   * Ctrl-Z: `stopping` runs before the process stops, `continued` once it runs again (`fg`).
   * Without it the process stops the usual way.
   * @param stopping - Called before the process stops (the status row is given back then).
   * @param continued - Called once the process runs again.
   * @returns The unsubscribe function.
   */
  onSuspend?(stopping: () => void, continued: () => void): () => void;
  /**
   * Runs `listener` when the process exits, however it exits.
   * @param listener - Called once, as the process exits.
   * @returns The unsubscribe function.
   */
  onExit?(listener: () => void): () => void;
}

/** The signals listened to in every case. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * The process's own streams and signals, as {@link main} takes them. SIGHUP is listened to only
 * when a stream is a terminal (under `nohup` it stays ignored); errors of a closed standard error
 * are swallowed.
 */
export function processIo(): CliIo {
  // Standard error closed (`2>&1 | head -1`): nothing can be reported any more, but that is no
  // reason to die with a stack trace. Standard output's errors are the command's to handle.
  process.stderr.on('error', () => {});
  // SIGHUP is the terminal hanging up. Only listened to when there is a terminal: under nohup
  // (which redirects every stream away from it) the inherited "ignore" must stay in force.
  const onTerminal =
    process.stdin.isTTY === true || process.stdout.isTTY === true || process.stderr.isTTY === true;
  const signals: StopSignal[] = onTerminal ? [...STOP_SIGNALS, 'SIGHUP'] : [...STOP_SIGNALS];
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    onInterrupt: (listener) => {
      const handlers = signals.map((signal) => {
        const handler = () => listener(signal);
        process.on(signal, handler);
        return () => process.off(signal, handler);
      });
      return () => {
        for (const off of handlers) off();
      };
    },
    onSuspend: (stopping, continued) => {
      // A SIGTSTP listener replaces the default stop: stop for real once the terminal is tidy.
      const stop = () => {
        stopping();
        process.kill(process.pid, 'SIGSTOP');
      };
      process.on('SIGTSTP', stop);
      process.on('SIGCONT', continued);
      return () => {
        process.off('SIGTSTP', stop);
        process.off('SIGCONT', continued);
      };
    },
    onExit: (listener) => {
      process.on('exit', listener);
      return () => process.off('exit', listener);
    },
  };
}

/**
 * Exit codes of the command: 0 done (standard input ended and was sent, or standard output was
 * closed by its reader), 1 the connection could not be kept, 2 a usage error, 129 the terminal
 * hung up (SIGHUP), 130 interrupted (SIGINT, SIGTERM).
 */
export const ExitCode = {
  /** 0: standard input ended and everything was sent, standard output was closed, or `--help`. */
  Ok: 0,
  /** 1: the connection could not be kept (attempts exhausted, a fatal close, a certificate error). */
  Failed: 1,
  /** 2: a usage error (an unknown flag, a bad value, a bad URL). */
  Usage: 2,
  /** 129: the terminal hung up (SIGHUP). */
  Hangup: 129,
  /** 130: interrupted (SIGINT, SIGTERM). */
  Interrupted: 130,
} as const;

/**
 * The exit code for a signal that ended the command (internal).
 * @param signal - The signal; undefined counts as an interrupt.
 */
export function exitCodeOf(signal: StopSignal | undefined): number {
  return signal === 'SIGHUP' ? ExitCode.Hangup : ExitCode.Interrupted;
}

/**
 * True for an error that only says the reader of standard output went away (`| head -1`): the
 * command then ends quietly, as `nc` does. Node ignores SIGPIPE, so the error comes as EPIPE.
 * (internal)
 * @param error - An error of standard output.
 */
export function isClosedOutput(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET';
}

import type { Readable, Writable } from 'node:stream';
import type { ReportStream } from './reporter.js';

/** A signal that ends the command: Ctrl-C, `kill`, or the terminal going away. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The process's streams and signals, injected so that the commands run inside tests too. */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable & { readonly isTTY?: boolean | undefined };
  readonly stderr: Writable & ReportStream;
  /**
   * Subscribes to Ctrl-C (SIGINT), SIGTERM, and SIGHUP when the command runs on a terminal;
   * returns the unsubscribe function. The listener gets the signal's name.
   */
  onInterrupt(listener: (signal?: StopSignal) => void): () => void;
  /**
   * Ctrl-Z: `stopping` runs before the process stops, `continued` once it runs again (`fg`);
   * returns the unsubscribe function. Without it the process stops the usual way.
   */
  onSuspend?(stopping: () => void, continued: () => void): () => void;
  /** Runs `listener` when the process exits, however it exits; returns the unsubscribe function. */
  onExit?(listener: () => void): () => void;
}

/** The signals listened to in every case. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The process's own streams and signals. */
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
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2, Hangup: 129, Interrupted: 130 } as const;

/** The exit code for a signal that ended the command. */
export function exitCodeOf(signal: StopSignal | undefined): number {
  return signal === 'SIGHUP' ? ExitCode.Hangup : ExitCode.Interrupted;
}

/**
 * True for an error that only says the reader of standard output went away (`| head -1`): the
 * command then ends quietly, as `nc` does. Node ignores SIGPIPE, so the error comes as EPIPE.
 */
export function isClosedOutput(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET';
}

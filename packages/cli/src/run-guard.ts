import { type CliIo, isClosedOutput, type StopSignal } from './io.js';
import type { Reporter } from './reporter.js';

/** How a run ends from outside: what each runner does about it. */
export interface RunEnds {
  /** A signal (Ctrl-C, SIGTERM, SIGHUP): end the connection at once. */
  interrupted(signal: StopSignal | undefined): void;
  /**
   * Standard output can take no more: its reader went away (`quiet`, the EPIPE of `| head -1`),
   * or writing failed otherwise (`error`, to report).
   */
  outputClosed(quiet: boolean, error: Error): void;
}

/**
 * Connects a run to the process: signals, standard output's errors, Ctrl-Z and the exit, so
 * that the terminal is given back (the status row) whichever way the command ends. Returns the
 * function that lets go, to call when the run finishes.
 */
export function guardRun(io: CliIo, reporter: Reporter, ends: RunEnds): () => void {
  const stopInterrupt = io.onInterrupt((signal) => {
    reporter.event('interrupt', signal === 'SIGHUP' ? 'hung up (SIGHUP)' : 'interrupted', {
      signal,
    });
    ends.interrupted(signal);
  });
  // Stays after the run: an EPIPE can still arrive while the process exits, and without a
  // listener it would be an uncaught exception.
  io.stdout.on('error', (error: Error) => ends.outputClosed(isClosedOutput(error), error));
  // Only with a status row to give back: a SIGTSTP listener would also catch the signal where the
  // kernel discards it (an orphaned process group), and stop for good.
  const stopSuspend = reporter.live
    ? io.onSuspend?.(
        () => reporter.suspend(),
        () => reporter.resume(),
      )
    : undefined;
  const stopExit = io.onExit?.(() => reporter.close());
  return () => {
    stopInterrupt();
    stopSuspend?.();
    stopExit?.();
    reporter.close();
  };
}

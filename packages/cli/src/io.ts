import type { Readable, Writable } from 'node:stream';
import type { ReportStream } from './reporter.js';

/** The process's streams and signals, injected so that the commands run inside tests too. */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & ReportStream;
  /** Subscribes to Ctrl-C; returns the unsubscribe function. */
  onInterrupt(listener: () => void): () => void;
}

export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    onInterrupt: (listener) => {
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
  };
}

/** Exit codes of the command. */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2, Interrupted: 130 } as const;

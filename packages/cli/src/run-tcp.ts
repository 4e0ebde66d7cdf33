import type { Socket } from 'node:net';
import type { ConnbackOptions } from '@connback/core';
import { createTcpStream, type TcpStreamOptions } from '@connback/tcp';
import { type CliIo, ExitCode, exitCodeOf } from './io.js';
import type { Reporter } from './reporter.js';
import { guardRun } from './run-guard.js';
import type { Target } from './target.js';
import type { TlsConnectOptions } from './tls-files.js';

/** Bytes of standard input held while the connection is down; past it, reading stdin waits. */
const HIGH_WATER_BYTES = 64 * 1024;
/** The bound of what the stream holds (stdin is paused long before it). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * `connback tcp://…`, `tls://…`, `unix:…`: standard input → the reconnecting stream (held while
 * the connection is down, back-pressured), the stream → standard output. Resolves with the exit
 * code: 0 once standard input ended and all of it was handed to a socket (the end of input waits
 * for a first connection if there was none yet), or once standard output's reader went away;
 * 1 when the Connback fails; 129 on SIGHUP, 130 on Ctrl-C.
 */
export function runTcp(
  target: Extract<Target, { kind: 'tcp' | 'unix' }>,
  options: ConnbackOptions,
  ping: string | undefined,
  io: CliIo,
  reporter: Reporter,
  tls: TlsConnectOptions = {},
): Promise<number> {
  const endpoint =
    target.kind === 'unix'
      ? { path: target.path }
      : { host: target.host, port: target.port, ...(target.tls ? { tls } : {}) };
  // Without a protocol to ping with, keepalive is off unless asked for.
  const keepalive = options.keepalive ?? (ping === undefined ? 0 : undefined);
  const streamOptions: TcpStreamOptions = {
    ...endpoint,
    ...options,
    ...(keepalive === undefined ? {} : { keepalive }),
    ...(ping === undefined ? {} : { ping }),
    highWaterMark: HIGH_WATER_BYTES,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
  };
  const stream = createTcpStream(streamOptions);
  const connback = stream.connback;
  reporter.watch(connback, target.display);

  return new Promise<number>((resolve) => {
    let settled = false;
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      release();
      io.stdin.unpipe(stream);
      io.stdin.pause();
      stream.unpipe(io.stdout);
      resolve(code);
    };
    const release = guardRun(io, reporter, {
      interrupted: (signal) => {
        stream.destroy();
        finish(exitCodeOf(signal));
      },
      outputClosed: (quiet, error) => {
        if (settled) return;
        if (!quiet) reporter.fatal(error, `cannot write to standard output: ${error.message}`);
        stream.destroy();
        finish(quiet ? ExitCode.Ok : ExitCode.Failed);
      },
    });
    // A failed Connback was reported by its onfail already; the stream's error that follows
    // (it is destroyed with the bytes it could not send) is only news when that did not happen.
    let connbackFailed = false;
    connback.onfail(() => {
      connbackFailed = true;
    });
    stream.on('error', (error) => {
      if (!connbackFailed) reporter.fatal(error);
      finish(ExitCode.Failed);
    });
    // The last socket: at the end it closes gracefully, and the exit waits until it has, so
    // that what it still holds is sent (its close timeout bounds the wait).
    let socket: Socket | undefined;
    connback.onconnect((client) => {
      socket = client;
    });
    stream.on('finish', () => {
      reporter.event('end', 'standard input ended and everything was sent');
      if (socket === undefined || socket.destroyed) finish(ExitCode.Ok);
      else socket.once('close', () => finish(ExitCode.Ok));
    });
    stream.on('data', (chunk: Buffer) => reporter.dataWritten(chunk));
    stream.pipe(io.stdout, { end: false });
    // The end of input ends the stream only after a first connection: ending it before would
    // end the Connback with nothing ever sent, and claim it was.
    io.stdin.pipe(stream, { end: false });
    io.stdin.once('end', () => {
      if (settled) return;
      if (connback.stats.connects > 0) {
        stream.end();
        return;
      }
      const stop = connback.onconnect(() => {
        stop();
        if (!settled) stream.end();
      });
    });
  });
}

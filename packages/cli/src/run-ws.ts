import { createInterface } from 'node:readline';
import type { ConnbackOptions } from '@connback/core';
import {
  createWsConnback,
  ReadyState,
  type WebSocketConstructor,
  type WebSocketLike,
  type WsConnbackOptions,
  WsSendQueueError,
} from '@connback/ws';
import { WebSocket } from 'ws';
import { type CliIo, ExitCode, exitCodeOf } from './io.js';
import type { Reporter } from './reporter.js';
import { guardRun } from './run-guard.js';
import type { Target } from './target.js';
import type { TlsConnectOptions } from './tls-files.js';

/**
 * Lines the send queue holds while the connection is down, or while the server reads slower than
 * we type (past the socket's 1 MiB mark); past it, reading stdin waits.
 */
const MAX_QUEUED_MESSAGES = 1000;
const MAX_QUEUED_BYTES = 1024 * 1024;
/** How often the end of input checks that everything queued has left the socket. */
const FLUSH_POLL_MS = 20;

/** A message as text for standard output, whatever the WebSocket class delivered. */
function textOf(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString();
  if (ArrayBuffer.isView(data))
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString();
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]).toString();
  return String(data);
}

/**
 * `connback ws://…`, `wss://…`: each line of standard input is one text message (queued while the
 * connection is down or the socket is backed up; reading waits while the queue is full, until
 * `drained()`), each message received is one line
 * of standard output. Resolves with the exit code: 0 once standard input ended and every message
 * left the socket, or once standard output's reader went away; 1 when the Connback fails
 * (attempts exhausted, a fatal close code); 129 on SIGHUP, 130 on Ctrl-C.
 */
export function runWs(
  target: Extract<Target, { kind: 'ws' }>,
  options: ConnbackOptions,
  ping: string | undefined,
  io: CliIo,
  reporter: Reporter,
  tls: TlsConnectOptions = {},
): Promise<number> {
  const wsOptions: WsConnbackOptions = {
    // ws, not Node 22's global WebSocket: only ws can send protocol pings, and takes TLS options.
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    ...(Object.keys(tls).length === 0 ? {} : { wsOptions: tls }),
    ...options,
    ...(ping === undefined ? {} : { pingMessage: ping, pingFrames: false }),
    maxQueuedMessages: MAX_QUEUED_MESSAGES,
    maxQueuedBytes: MAX_QUEUED_BYTES,
  };
  const ws = createWsConnback(target.url, wsOptions);
  // A WsConnback is the Connback: the name says which of its sides the code below uses.
  const connback = ws;
  reporter.watch(connback, target.display);

  return new Promise<number>((resolve) => {
    /** Lines the queue refused (it was full): sent first once it has room again. */
    const waiting: string[] = [];
    let awaitingDrain = false;
    let inputEnded = false;
    let settled = false;
    let poll: ReturnType<typeof setInterval> | undefined;
    const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });

    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      release();
      if (poll !== undefined) clearInterval(poll);
      lines.close();
      io.stdin.pause();
      resolve(code);
    };
    const release = guardRun(io, reporter, {
      interrupted: (signal) => {
        connback.end(true);
        finish(exitCodeOf(signal));
      },
      outputClosed: (quiet, error) => {
        if (settled) return;
        if (!quiet) reporter.fatal(error, `cannot write to standard output: ${error.message}`);
        connback.end(true);
        finish(quiet ? ExitCode.Ok : ExitCode.Failed);
      },
    });

    const send = (line: string): boolean => {
      try {
        ws.send(line);
        return true;
      } catch (error) {
        if (!(error instanceof WsSendQueueError)) throw error;
        return false;
      }
    };

    /** Sends what waits; if the queue is full again, tries once it drained (back-pressure). */
    const drainWaiting = () => {
      while (waiting.length > 0 && send(waiting[0] as string)) waiting.shift();
      if (waiting.length === 0) {
        lines.resume();
        return;
      }
      if (awaitingDrain) return;
      awaitingDrain = true;
      ws.drained().then(
        () => {
          awaitingDrain = false;
          if (!settled) drainWaiting();
        },
        // Ended or failed: finish() has run or will, with its own exit code.
        () => {
          awaitingDrain = false;
        },
      );
    };

    /** Everything typed left the socket: end the Connback gracefully, exit 0. */
    const endWhenFlushed = () => {
      const socket = connback.client;
      const flushed =
        waiting.length === 0 &&
        ws.queued.messages === 0 &&
        socket !== undefined &&
        socket.readyState === ReadyState.OPEN &&
        ws.bufferedAmount === 0;
      if (!flushed) return;
      clearInterval(poll);
      reporter.event('end', 'standard input ended and every message was sent');
      // The exit waits for the closing handshake (the connector's closeTimeout bounds it): what
      // the server sent before its close frame, replies to the last lines included, is printed.
      connback.onend(() => {
        if (socket.readyState === ReadyState.CLOSED) finish(ExitCode.Ok);
        else socket.addEventListener('close', () => finish(ExitCode.Ok));
      });
      connback.end();
    };

    const onMessage = (event: { data: unknown }) => {
      if (settled) return;
      const line = `${textOf(event.data)}\n`;
      io.stdout.write(line);
      reporter.dataWritten(line);
    };
    let current: WebSocketLike | undefined;
    connback.onconnect((socket) => {
      current = socket;
      socket.addEventListener('message', onMessage);
      socket.addEventListener('close', () => socket.removeEventListener('message', onMessage));
    });
    connback.onclose(() => {
      // A drop: nothing more of that socket counts. Our own end (state ending) keeps reading
      // until the socket has closed.
      if (connback.state !== 'ending') current?.removeEventListener('message', onMessage);
      current = undefined;
    });
    connback.onfail(() => finish(ExitCode.Failed));

    lines.on('line', (line) => {
      if (waiting.length > 0 || !send(line)) {
        waiting.push(line);
        lines.pause();
        drainWaiting();
      }
    });
    lines.on('close', () => {
      if (settled) return;
      inputEnded = true;
      poll = setInterval(() => inputEnded && endWhenFlushed(), FLUSH_POLL_MS);
    });
  });
}

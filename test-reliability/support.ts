import { createHash } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import type { Connback } from '@connback/core';
import type { Recorder } from '../test-support/connback-recorder.js';
import { recordFigure } from '../test-support/figures.js';
import {
  clientSockets,
  type LedgerEntry,
  maxOpenAtOnce,
} from '../test-support/real-time-leak-check.js';

export const host = '127.0.0.1';
/** Keepalive of the suite, in seconds and in ms. */
export const K = 0.2;
export const K_MS = K * 1000;
/** connectTimeout of the suite (ms). */
export const CT = 300;
/** Backoff of the suite (jitter none, fibonacci): 50, 50, 100, 150, 200, 200... ms. */
export const INITIAL_DELAY = 50;
export const MAX_DELAY = 200;
/** Timer lateness reached 17 ms under load on these 2-core machines: leave plenty. */
export const SLACK = 150;

export function now(): number {
  return performance.now();
}

export { holdsFor, waitFor } from '../test-support/wait.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a rejection after `ms` (for the awaits that no condition polls). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] as number));
}

export function round(values: readonly number[]): number[] {
  return values.map((v) => Math.round(v * 10) / 10);
}

/**
 * Prints a measured figure (always: the suite exists to measure them) and records it for the
 * RELIABILITY.md report when CONNBACK_FIGURES is set.
 */
export function figure(id: string, what: string, values: number | number[], unit: string): void {
  const list = Array.isArray(values) ? values : [values];
  console.info(`[figure] ${id} ${what}: ${round(list).join(', ')} ${unit}`);
  recordFigure(id, what, list, unit);
}

// ---------------------------------------------------------------- the ledger

/**
 * The ledger lists every `net.connect` socket, the proxy's own upstream sockets included. Those
 * are created with `allowHalfOpen: true` (the proxy passes half-closes on); a Connback's sockets
 * (TcpConnector, and ws through http) never are: that tells them apart.
 */
export function isClientSocket(entry: LedgerEntry): boolean {
  return !entry.socket.allowHalfOpen;
}

/** The sockets the Connbacks of the test created (not the proxy's upstream ones). */
export function connbackSockets(): LedgerEntry[] {
  return clientSockets().filter(isClientSocket);
}

/** The most Connback sockets open at the same moment. */
export function maxClientsAtOnce(): number {
  return maxOpenAtOnce(isClientSocket);
}

// ---------------------------------------------------------------- recording a Connback

export {
  codeOf,
  type RecordedEvent,
  type Recorder,
  record,
} from '../test-support/connback-recorder.js';

/**
 * The event grammar of RELIABILITY.md for a Connback ended once: no event after `onend` (so no
 * `onconnect` after it), at most one `onclose` per connection and only after one, `onend` once.
 * Returns the violations.
 */
export function grammarViolations<T>(rec: Recorder<T>): string[] {
  const problems: string[] = [];
  let open = false;
  let ended = false;
  rec.log.forEach(({ name }, i) => {
    if (ended) problems.push(`#${i} ${name} after end`);
    if (name === 'connect') {
      if (open) problems.push(`#${i} connect while a connection was open`);
      open = true;
    } else if (name.startsWith('close(')) {
      if (!open) problems.push(`#${i} ${name} without an open connection`);
      open = false;
    } else if (name === 'end') {
      ended = true;
    }
  });
  const ends = rec.count('end');
  if (ends !== 1) problems.push(`${ends} onend for one end()`);
  return problems;
}

/** Bytes received by each TCP client since it connected (listened from its `onconnect`). */
export function receivedText(cb: Connback<net.Socket>): (socket: net.Socket | undefined) => string {
  const texts = new Map<net.Socket, string>();
  cb.onconnect((socket) => {
    texts.set(socket, '');
    socket.on('data', (chunk: Buffer) => texts.set(socket, texts.get(socket) + chunk.toString()));
  });
  return (socket) => (socket === undefined ? '' : (texts.get(socket) ?? ''));
}

/** When each data chunk arrived on each TCP client (listened from its `onconnect`). */
export function dataTimes(cb: Connback<net.Socket>): (socket: net.Socket | undefined) => number[] {
  const times = new Map<net.Socket, number[]>();
  cb.onconnect((socket) => {
    const list: number[] = [];
    times.set(socket, list);
    socket.on('data', () => list.push(now()));
  });
  return (socket) => (socket === undefined ? [] : (times.get(socket) ?? []));
}

// ---------------------------------------------------------------- servers

/** A loopback TCP server; `close()` destroys its connections too. */
export interface TcpServer {
  readonly port: number;
  readonly accepted: net.Socket[];
  readonly open: Set<net.Socket>;
  close(): Promise<void>;
}

/** An echo server by default. */
export async function startTcpServer(
  onConnection: (socket: net.Socket) => void = (socket) => socket.pipe(socket),
): Promise<TcpServer> {
  const accepted: net.Socket[] = [];
  const open = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted.push(socket);
    open.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => open.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    open,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The part of `ws`'s server-side WebSocket these tests use. */
export interface ServerWebSocket {
  readonly readyState: number;
  send(data: string | Buffer): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message' | 'ping', listener: (data: Buffer) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

interface WebSocketServerLike {
  readonly clients: Set<ServerWebSocket>;
  on(event: 'connection', listener: (socket: ServerWebSocket) => void): this;
  once(event: 'listening', listener: () => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
  off(event: 'error', listener: (error: Error) => void): this;
  address(): net.AddressInfo | string | null;
  close(callback?: () => void): void;
}

type WebSocketServerClass = new (options: {
  host: string;
  port: number;
  autoPong?: boolean;
}) => WebSocketServerLike;

// `ws` is a dependency of @connback/ws, not of the repository root: load it from there.
const requireFromWs = createRequire(new URL('../packages/ws/package.json', import.meta.url));
const { WebSocketServer } = requireFromWs('ws') as { WebSocketServer: WebSocketServerClass };

export interface WsServerConnection {
  readonly socket: ServerWebSocket;
  /** When each protocol ping arrived. */
  readonly pings: number[];
  closed: { code: number; at: number } | undefined;
}

export interface WsServer {
  readonly port: number;
  readonly connections: WsServerConnection[];
  last(): WsServerConnection;
  /** Terminates every connection, then stops listening. */
  close(): Promise<void>;
}

/** A `ws` server on loopback (answers pings: ws's autoPong). */
export async function startWsServer(
  onConnection: (connection: WsServerConnection) => void = () => {},
): Promise<WsServer> {
  const wss = new WebSocketServer({ host, port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      wss.off('error', reject);
      resolve();
    });
  });
  const connections: WsServerConnection[] = [];
  wss.on('connection', (socket) => {
    const connection: WsServerConnection = { socket, pings: [], closed: undefined };
    connections.push(connection);
    socket.on('error', () => {});
    socket.on('ping', () => connection.pings.push(now()));
    socket.on('close', (code) => {
      connection.closed = { code, at: now() };
    });
    onConnection(connection);
  });
  return {
    port: (wss.address() as net.AddressInfo).port,
    connections,
    last: () => {
      const connection = connections.at(-1);
      if (connection === undefined) throw new Error('no connection was accepted');
      return connection;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of wss.clients) socket.terminate();
        wss.close(() => resolve());
      }),
  };
}

/**
 * A bare WebSocket server (an HTTP upgrade handled by hand) that can send a frame `ws` rejects as
 * a protocol error: the client's WebSocket then emits `error` and then `close`.
 */
export interface RawWsServer {
  readonly port: number;
  readonly upgraded: net.Socket[];
  /** Sends a frame with the reserved opcode 3 on the last connection. */
  sendBadFrame(): void;
  close(): Promise<void>;
}

export async function startRawWsServer(): Promise<RawWsServer> {
  const upgraded: net.Socket[] = [];
  const server = http.createServer((_request, response) => response.writeHead(426).end());
  server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket) => {
    socket.on('error', () => {});
    const key = String(request.headers['sec-websocket-key']);
    const accept = createHash('sha1')
      .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    // The client answers a protocol error with a close frame: then the server hangs up.
    socket.on('data', () => socket.end());
    upgraded.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    upgraded,
    sendBadFrame: () => upgraded.at(-1)?.write(Buffer.from([0x83, 0x00])),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of upgraded) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

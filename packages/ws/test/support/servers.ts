import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { WsConnbackOptions } from '../../src/index.js';

export { holdsFor, waitFor } from '../../../../test-support/wait.js';

export const host = '127.0.0.1';

/** One connection a {@link TestWsServer} accepted, as the server saw it. */
export interface ServerConnection {
  /** The server side of the WebSocket. */
  readonly socket: WebSocket;
  /** The upgrade request's headers. */
  readonly headers: IncomingHttpHeaders;
  /** Every message received, as text, in order. */
  readonly messages: string[];
  /** When each protocol ping frame arrived (`performance.now()`). */
  readonly pings: number[];
  /** When each message arrived, parallel to `messages`. */
  readonly messageTimes: number[];
  /** The close code and reason the server saw; undefined while open. */
  closed: { code: number; reason: string } | undefined;
}

/** A `ws` server on loopback that records what each connection receives. */
export interface TestWsServer {
  readonly wss: WebSocketServer;
  readonly port: number;
  /** `ws://127.0.0.1:<port>/` */
  readonly url: string;
  /** Every connection accepted, in order. */
  readonly connections: ServerConnection[];
  /** The last connection accepted (throws if none was). */
  last(): ServerConnection;
  /** The connections not closed yet. */
  open(): ServerConnection[];
  /** Terminates every connection (the clients see 1006), then stops listening. */
  close(): Promise<void>;
}

export interface WsServerOptions {
  /** 0 (default): any free port. */
  port?: number;
  /** Answer protocol pings automatically (the default of ws). */
  autoPong?: boolean;
  /** Called for each accepted connection, after it is recorded. */
  onConnection?: (connection: ServerConnection) => void;
}

/** Starts a `ws` server on 127.0.0.1. */
export async function startWsServer(options: WsServerOptions = {}): Promise<TestWsServer> {
  const wss = new WebSocketServer({
    host,
    port: options.port ?? 0,
    autoPong: options.autoPong ?? true,
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      wss.off('error', reject);
      resolve();
    });
  });
  const port = (wss.address() as net.AddressInfo).port;
  const connections: ServerConnection[] = [];
  wss.on('connection', (socket, request) => {
    const connection: ServerConnection = {
      socket,
      headers: request.headers,
      messages: [],
      messageTimes: [],
      pings: [],
      closed: undefined,
    };
    connections.push(connection);
    socket.on('error', () => {});
    socket.on('message', (data: RawData) => {
      connection.messageTimes.push(performance.now());
      connection.messages.push(String(data));
    });
    socket.on('ping', () => connection.pings.push(performance.now()));
    socket.on('close', (code: number, reason: Buffer) => {
      connection.closed = { code, reason: reason.toString() };
    });
    options.onConnection?.(connection);
  });
  return {
    wss,
    port,
    url: `ws://${host}:${port}/`,
    connections,
    last: () => {
      const connection = connections.at(-1);
      if (connection === undefined) throw new Error('no connection was accepted');
      return connection;
    },
    open: () => connections.filter((connection) => connection.closed === undefined),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of wss.clients) socket.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** A plain TCP server that accepts connections and never says a word (a WebSocket handshake hangs). */
export interface SilentServer {
  readonly port: number;
  /** Every connection accepted, in order. */
  readonly accepted: net.Socket[];
  /** The accepted connections the client has closed (or that were destroyed). */
  readonly closed: Set<net.Socket>;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const accepted: net.Socket[] = [];
  const closed = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => {});
    socket.once('close', () => closed.add(socket));
    // Read (and ignore) the upgrade request, so that the client's FIN is seen.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of accepted) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it (bound, noted, closed). */
export async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Options for loopback tests: exact small delays, a short connect timeout, no heartbeat (the
 * keepalive tests set their own).
 */
export function quick(more: WsConnbackOptions = {}): WsConnbackOptions {
  return {
    jitter: 'none',
    initialDelay: 50,
    maxDelay: 100,
    connectTimeout: 500,
    keepalive: 0,
    ...more,
  };
}

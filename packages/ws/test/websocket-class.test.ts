import { ErrorCode } from '@connback/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientOptions, WebSocket as WsWebSocket } from 'ws';
import {
  createWsConnback,
  type WebSocketConstructor,
  type WebSocketLike,
  WsConnback,
  WsConnector,
} from '../src/index.js';
import { browserOnlyClass } from './support/browser-only.js';
import { codeOf, received, record } from './support/recorder.js';
import { quick, startWsServer, waitFor } from './support/servers.js';

/** Keepalive of these tests, in seconds and in ms. */
const K = 0.2;
const K_MS = K * 1000;
/** Timer lateness reached 17 ms under load on these 2-core machines: leave plenty. */
const SLACK = 150;

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] as number));
}

/** A subclass of ws's WebSocket that records the URL of every socket it constructs. */
function countingClass() {
  const made: string[] = [];
  class CountingWebSocket extends WsWebSocket {
    constructor(url: string, protocols?: string | string[], options?: ClientOptions) {
      super(url, protocols, options);
      made.push(url);
    }
  }
  // ws's own class (and so any subclass) is assignable to the `WebSocket` option as it is.
  const asOption: WebSocketConstructor = CountingWebSocket;
  return { CountingWebSocket: asOption as WebSocketConstructor & typeof CountingWebSocket, made };
}

const globals = globalThis as { WebSocket?: unknown };
const originalGlobal = globals.WebSocket;

afterEach(() => {
  if (originalGlobal === undefined) delete globals.WebSocket;
  else globals.WebSocket = originalGlobal;
});

describe('the WebSocket class', () => {
  it('a WsConnector with an injected class uses it for every attempt, with the protocols and wsOptions given', async () => {
    const server = await startWsServer();
    const { CountingWebSocket, made } = countingClass();
    const connector = new WsConnector({
      url: server.url,
      WebSocket: CountingWebSocket,
      protocols: ['chat.v2', 'chat.v1'],
      wsOptions: { headers: { 'x-connback-test': 'yes' } },
    });
    const wsc = new WsConnback(connector, quick());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      expect(rec.clients[0]).toBeInstanceOf(CountingWebSocket);
      expect(made).toEqual([server.url]);
      expect(rec.clients[0]?.protocol).toBe('chat.v2');
      expect(server.last().socket.protocol).toBe('chat.v2');
      expect(server.last().headers['x-connback-test']).toBe('yes');
      server.last().socket.terminate();
      await waitFor(() => rec.count('connect') === 2, 'the reconnect');
      expect(rec.clients[1]).toBeInstanceOf(CountingWebSocket);
      expect(made).toHaveLength(wsc.connback.stats.attempts);
      expect(made).toHaveLength(2);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('in Node the ws package is the default even where a global WebSocket exists (Node 22+); an injected class wins over both', async () => {
    const server = await startWsServer();
    const global = countingClass();
    const injected = countingClass();
    globals.WebSocket = global.CountingWebSocket;
    const byDefault = createWsConnback(server.url, quick());
    const viaOption = createWsConnback(
      server.url,
      quick({ WebSocket: injected.CountingWebSocket }),
    );
    try {
      await waitFor(
        () => byDefault.connback.connected && viaOption.connback.connected,
        'both connections',
      );
      expect(byDefault.connback.client).toBeInstanceOf(WsWebSocket);
      expect(byDefault.connback.client).not.toBeInstanceOf(global.CountingWebSocket);
      expect(viaOption.connback.client).toBeInstanceOf(injected.CountingWebSocket);
      expect(global.made).toEqual([]);
      expect(injected.made).toHaveLength(1);
    } finally {
      byDefault.end(true);
      viaOption.end(true);
      await server.close();
    }
  });

  it('without ping() on the class, the pingMessage is sent every keepalive, any message from the server is a heartbeat, and silence is a keepalive timeout', async () => {
    let replying = true;
    const server = await startWsServer({
      onConnection: ({ socket }) =>
        socket.on('message', (data) => {
          if (replying && String(data) === 'hb') socket.send('hb-ack');
        }),
    });
    const { BrowserOnlyWebSocket, made } = browserOnlyClass();
    const wsc = createWsConnback(
      server.url,
      quick({ WebSocket: BrowserOnlyWebSocket, keepalive: K, pingMessage: 'hb' }),
    );
    const rec = record(wsc.connback);
    let ticker: ReturnType<typeof setInterval> | undefined;
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const connectedAt = rec.lastAt('connect');
      const socket = wsc.connback.client as WebSocketLike;
      expect(socket).toBeInstanceOf(BrowserOnlyWebSocket);
      const got = received(socket);
      const connection = server.last();
      // 1. The ping message goes out every keepalive; the replies keep the connection.
      await waitFor(() => connection.messages.length >= 6, 'six ping messages', 6 * K_MS + 2000);
      expect(connection.messages.every((message) => message === 'hb')).toBe(true);
      expect(connection.pings).toEqual([]);
      const first = (connection.messageTimes[0] as number) - connectedAt;
      expect(first).toBeGreaterThanOrEqual(K_MS - 20);
      expect(first).toBeLessThanOrEqual(K_MS + SLACK);
      for (const gap of gaps(connection.messageTimes)) {
        expect(gap).toBeGreaterThanOrEqual(K_MS - 20);
        expect(gap).toBeLessThanOrEqual(K_MS + SLACK);
      }
      expect(got.length).toBeGreaterThanOrEqual(5);
      // 2. No more replies, but unsolicited messages: still alive, well past 2 × keepalive.
      replying = false;
      ticker = setInterval(() => connection.socket.send('tick'), K_MS / 4);
      const pingsBefore = connection.messages.length;
      await waitFor(
        () => connection.messages.length >= pingsBefore + 6,
        'six more ping messages',
        6 * K_MS + 2000,
      );
      expect(got).toContain('tick');
      expect(wsc.connback.client).toBe(socket);
      expect(rec.events()).toEqual(['connect']);
      // 3. Silence: the keepalive closes within 2 × keepalive and the client reconnects.
      clearInterval(ticker);
      const stoppedAt = performance.now();
      await waitFor(() => rec.errors.length > 0, 'the keepalive timeout', 3000);
      expect(codeOf(rec.errors[0]?.error)).toBe(ErrorCode.KeepaliveTimeout);
      expect((rec.errors[0]?.at as number) - stoppedAt).toBeLessThanOrEqual(2 * K_MS + 250);
      await waitFor(() => rec.count('connect') === 2, 'the reconnect');
      expect(rec.events()).toEqual([
        'connect',
        `error:${ErrorCode.KeepaliveTimeout}`,
        'close(true)',
        'offline',
        'reconnect',
        'connect',
      ]);
      expect(made).toHaveLength(2);
      // Without terminate(), the dropped socket was closed with a close frame.
      await waitFor(() => connection.closed !== undefined, 'the server to see the close');
    } finally {
      clearInterval(ticker);
      wsc.end(true);
      await server.close();
    }
  });

  it('a pingMessage function that returns what a WebSocket cannot send fails the heartbeat with CONNBACK_PING_FAILED, its cause a TypeError naming pingMessage and the type, and the client reconnects', async () => {
    const server = await startWsServer();
    const { BrowserOnlyWebSocket } = browserOnlyClass();
    const wsc = createWsConnback(
      server.url,
      quick({ WebSocket: BrowserOnlyWebSocket, keepalive: K, pingMessage: () => 123 as never }),
    );
    const rec = record(wsc.connback);
    try {
      await waitFor(() => rec.errors.length > 0, 'the failed ping', 2 * K_MS + 2000);
      const error = rec.errors[0]?.error as Error;
      expect(codeOf(error)).toBe(ErrorCode.PingFailed);
      expect(error.cause).toBeInstanceOf(TypeError);
      expect((error.cause as Error).message).toMatch(
        /pingMessage function must return .* \(got a number \(123\)\)/,
      );
      expect(server.last().messages).toEqual([]);
      await waitFor(() => rec.count('connect') === 2, 'the reconnect');
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('with pingFrames false, ws sends the pingMessage (a function, called per ping) instead of ping frames', async () => {
    const server = await startWsServer({
      onConnection: ({ socket }) => socket.on('message', (data) => socket.send(`ack ${data}`)),
    });
    let n = 0;
    const wsc = createWsConnback(
      server.url,
      quick({
        keepalive: K,
        pingFrames: false,
        pingMessage: () => {
          n += 1;
          return `hb ${n}`;
        },
      }),
    );
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const connection = server.last();
      await waitFor(() => connection.messages.length >= 5, 'five ping messages', 5 * K_MS + 2000);
      expect(connection.messages.slice(0, 5)).toEqual(['hb 1', 'hb 2', 'hb 3', 'hb 4', 'hb 5']);
      expect(connection.pings).toEqual([]);
      expect(rec.events()).toEqual(['connect']);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});

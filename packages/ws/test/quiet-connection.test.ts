import { ErrorCode } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { createWsConnback, type WebSocketConstructor, type WebSocketLike } from '../src/index.js';
import { browserOnlyClass } from './support/browser-only.js';
import { codeOf, record } from './support/recorder.js';
import { holdsFor, startWsServer, waitFor } from './support/servers.js';

/** Keepalive of these tests, in seconds and in ms. */
const K = 0.2;
const K_MS = K * 1000;

/**
 * Classes without protocol pings: a browser-shaped wrapper everywhere, and Node's own global
 * WebSocket (undici) where the runtime has one (Node 22+).
 */
function unpingableClasses(): [string, WebSocketConstructor][] {
  const classes: [string, WebSocketConstructor][] = [
    ['a browser-shaped class', browserOnlyClass().BrowserOnlyWebSocket],
  ];
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof global === 'function') classes.push(["Node's global WebSocket", global]);
  return classes;
}

describe(`semantic 17 on Node ${process.versions.node}: no default configuration closes a healthy quiet connection`, () => {
  it('default options (only keepalive lowered) against a ws server that sends nothing for 20 × keepalive: 0 closes, 0 errors, and pongs arrive', async () => {
    const server = await startWsServer();
    const wsc = createWsConnback(server.url, { keepalive: K });
    const rec = record(wsc.connback);
    let pongs = 0;
    wsc.connback.onconnect((socket) => socket.on?.('pong', () => (pongs += 1)));
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const connection = server.last();
      await holdsFor(() => wsc.connback.connected, 'the connection staying up', 20 * K_MS);
      expect(rec.events()).toEqual(['connect']);
      expect(rec.errors).toEqual([]);
      expect(connection.messages).toEqual([]);
      // A ping every keepalive (pings may leave up to an eighth of a period early): about 20.
      expect(connection.pings.length).toBeGreaterThanOrEqual(15);
      expect(pongs).toBeGreaterThanOrEqual(15);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  for (const [name, WebSocket] of unpingableClasses()) {
    it(`${name} cannot be pinged: with no pingMessage a silent server stays connected for 20 × keepalive and nothing is sent to it`, async () => {
      const server = await startWsServer();
      const wsc = createWsConnback(server.url, { keepalive: K, WebSocket });
      const rec = record(wsc.connback);
      try {
        await waitFor(() => wsc.connback.connected, 'the connection');
        const connection = server.last();
        await holdsFor(() => wsc.connback.connected, 'the connection staying up', 20 * K_MS);
        expect(rec.events()).toEqual(['connect']);
        expect(rec.errors).toEqual([]);
        expect(connection.messages).toEqual([]);
        expect(connection.pings).toEqual([]);
        expect(wsc.connback.client).toBeInstanceOf(WebSocket);
        // The transport still reports a real drop.
        connection.socket.terminate();
        await waitFor(() => rec.count('connect') === 2, 'the reconnect after the drop');
      } finally {
        wsc.end(true);
        await server.close();
      }
    });

    it(`${name} with idleTimeout: true: keepalive is an idle timeout — a server that sends every keepalive / 2 stays, a silent one is closed within 2 × keepalive`, async () => {
      const server = await startWsServer();
      const wsc = createWsConnback(server.url, {
        keepalive: K,
        WebSocket,
        idleTimeout: true,
        initialDelay: 50,
        jitter: 'none',
      });
      const rec = record(wsc.connback);
      let ticker: ReturnType<typeof setInterval> | undefined;
      try {
        await waitFor(() => wsc.connback.connected, 'the connection');
        const connection = server.last();
        ticker = setInterval(() => connection.socket.send('tick'), K_MS / 2);
        await holdsFor(() => wsc.connback.connected, 'the connection staying up', 8 * K_MS);
        expect(rec.events()).toEqual(['connect']);
        clearInterval(ticker);
        const silentFrom = performance.now();
        await waitFor(() => rec.errors.length > 0, 'the idle timeout', 2 * K_MS + 1000);
        expect(codeOf(rec.errors[0]?.error)).toBe(ErrorCode.KeepaliveTimeout);
        expect((rec.errors[0]?.at as number) - silentFrom).toBeLessThanOrEqual(2 * K_MS + 250);
        // Nothing was sent to the server: an idle timeout, not a ping.
        expect(connection.messages).toEqual([]);
        await waitFor(() => rec.count('connect') === 2, 'the reconnect');
      } finally {
        clearInterval(ticker);
        wsc.end(true);
        await server.close();
      }
    });
  }

  it('a socket that can be pinged ignores idleTimeout: ws keeps pinging and a silent server stays', async () => {
    const server = await startWsServer();
    const wsc = createWsConnback(server.url, { keepalive: K, idleTimeout: true });
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      await holdsFor(() => wsc.connback.connected, 'the connection staying up', 8 * K_MS);
      expect(rec.events()).toEqual(['connect']);
      expect(server.last().pings.length).toBeGreaterThanOrEqual(5);
      expect((wsc.connback.client as WebSocketLike).readyState).toBe(1);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});

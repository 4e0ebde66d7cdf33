import { ErrorCode } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { recordFigure } from '../../../test-support/figures.js';
import { createWsConnback, type WebSocketLike } from '../src/index.js';
import { codeOf, received, record } from './support/recorder.js';
import {
  host,
  quick,
  startSilentServer,
  startWsServer,
  type TestWsServer,
  waitFor,
} from './support/servers.js';
import { clientSockets, maxOpenAtOnce } from './support/setup.js';

/** Keepalive of these tests, in seconds and in ms. */
const K = 0.2;
const K_MS = K * 1000;
/** Timer lateness reached 17 ms under load on these 2-core machines: leave plenty. */
const SLACK = 150;

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] as number));
}

describe('WebSocket handshake hangs (row 4)', () => {
  it('against a server that accepts the TCP connection and never answers the upgrade, each attempt fails with CONNBACK_CONNECT_TIMEOUT at connectTimeout, one attempt at a time, without an uncaught error', async () => {
    const CT = 300;
    const DELAY = 100;
    const silent = await startSilentServer();
    // ws emits 'error' on a socket terminated while CONNECTING: had nobody listened, vitest would
    // report the uncaught exception and fail the run.
    const wsc = createWsConnback(
      `ws://${host}:${silent.port}/`,
      quick({ connectTimeout: CT, initialDelay: DELAY, maxDelay: DELAY }),
    );
    const rec = record(wsc.connback);
    try {
      await waitFor(() => rec.errors.length >= 3, 'three timed-out attempts', 5000);
      wsc.end(true);
      expect(rec.codes().slice(0, 3)).toEqual(Array(3).fill(ErrorCode.ConnectTimeout));
      expect(rec.count('connect')).toBe(0);
      expect(rec.count('offline')).toBe(1);
      // Every attempt reached the server: it is the handshake that hung, not the TCP connect.
      expect(silent.accepted.length).toBeGreaterThanOrEqual(3);
      await waitFor(
        () => clientSockets().every((entry) => entry.closedAt !== undefined),
        'every attempt socket closed',
      );
      const attempts = clientSockets().slice(0, 3);
      attempts.forEach((entry, i) => {
        const failedAfter = (rec.errors[i]?.at as number) - entry.openedAt;
        expect(failedAfter).toBeGreaterThanOrEqual(CT - 20);
        expect(failedAfter).toBeLessThanOrEqual(CT + SLACK);
        expect((entry.closedAt as number) - entry.openedAt).toBeLessThanOrEqual(CT + SLACK);
      });
      for (const waited of gaps(attempts.map((entry) => entry.openedAt))) {
        expect(waited).toBeGreaterThanOrEqual(CT + DELAY - 20);
        expect(waited).toBeLessThanOrEqual(CT + DELAY + SLACK);
      }
      expect(maxOpenAtOnce()).toBe(1);
      // The server saw each abandoned connection close.
      await waitFor(
        () => silent.accepted.every((socket) => silent.closed.has(socket)),
        'the server to see every attempt go away',
      );
    } finally {
      wsc.end(true);
      await silent.close();
    }
  });
});

describe('half-open peer (row 7, R3)', () => {
  it('a server that stops answering pings is detected with CONNBACK_KEEPALIVE_TIMEOUT within 2 × keepalive + 250 ms, in each of 10 trials, and the client reconnects', async () => {
    const TRIALS = 10;
    let answering = true;
    // autoPong false: the server answers pings only while `answering`, like a peer that froze.
    const server = await startWsServer({
      autoPong: false,
      onConnection: ({ socket }) =>
        socket.on('ping', (data) => {
          if (answering) socket.pong(data);
        }),
    });
    const wsc = createWsConnback(
      server.url,
      quick({
        keepalive: K,
        connectTimeout: 500,
        initialDelay: 50,
        maxDelay: 50,
        delayFirstAttempt: true,
      }),
    );
    const rec = record(wsc.connback);
    const detections: number[] = [];
    try {
      for (let trial = 0; trial < TRIALS; trial += 1) {
        answering = true;
        await waitFor(() => wsc.connback.connected, `connection ${trial + 1}`);
        const socket = wsc.connback.client as WebSocketLike;
        const connection = server.last();
        await waitFor(() => connection.pings.length >= 1, 'a ping answered');
        // Stop at a different point of the ping cycle in each trial.
        const answeredAt = performance.now();
        const offset = (trial * K_MS) / TRIALS;
        await waitFor(() => performance.now() - answeredAt >= offset, 'the phase offset');
        expect(wsc.connback.client).toBe(socket);
        const errorsBefore = rec.errors.length;
        answering = false;
        const stoppedAt = performance.now();
        await waitFor(() => rec.errors.length > errorsBefore, 'the keepalive timeout', 3000);
        const detected = rec.errors[errorsBefore];
        expect(codeOf(detected?.error)).toBe(ErrorCode.KeepaliveTimeout);
        const took = (detected?.at as number) - stoppedAt;
        detections.push(took);
        expect(took).toBeGreaterThanOrEqual(K_MS - 20);
        expect(took).toBeLessThanOrEqual(2 * K_MS + 250);
        // The dead socket is terminated: the server sees it go.
        await waitFor(() => connection.closed !== undefined, 'the server to see the close');
      }
      answering = true;
      await waitFor(() => wsc.connback.connected, 'the last reconnect');
      recordFigure(
        'R3',
        'half-open detection on loopback: WebSocket, server stops answering pings, keepalive 0.2 s (bound 650 ms)',
        detections,
        'ms',
      );
      expect(rec.codes()).toEqual(Array(TRIALS).fill(ErrorCode.KeepaliveTimeout));
      expect(rec.count('connect')).toBe(TRIALS + 1);
      expect(rec.count('close(true)')).toBe(TRIALS);
      expect(rec.count('end')).toBe(0);
      expect(server.connections).toHaveLength(TRIALS + 1);
      expect(maxOpenAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('pongs keep a connection without any message alive for more than 10 × keepalive: protocol ping frames every keepalive, no error, no reconnect', async () => {
    const server = await startWsServer();
    const wsc = createWsConnback(server.url, quick({ keepalive: K }));
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const connectedAt = rec.lastAt('connect');
      const socket = wsc.connback.client as WebSocketLike;
      const got = received(socket);
      const connection = server.last();
      await waitFor(() => connection.pings.length >= 11, 'eleven pings', 11 * K_MS + 2000);
      expect(performance.now() - connectedAt).toBeGreaterThan(10 * K_MS);
      expect(wsc.connback.connected).toBe(true);
      expect(wsc.connback.client).toBe(socket);
      expect(rec.events()).toEqual(['connect']);
      expect(rec.errors).toEqual([]);
      expect(server.connections).toHaveLength(1);
      // No message either way: the pongs alone kept it alive.
      expect(connection.messages).toEqual([]);
      expect(got).toEqual([]);
      const first = (connection.pings[0] as number) - connectedAt;
      expect(first).toBeGreaterThanOrEqual(K_MS - 20);
      expect(first).toBeLessThanOrEqual(K_MS + SLACK);
      for (const gap of gaps(connection.pings)) {
        expect(gap).toBeGreaterThanOrEqual(K_MS - 20);
        expect(gap).toBeLessThanOrEqual(K_MS + SLACK);
      }
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});

describe('server restart (row 8, R4)', () => {
  it('the server closes (terminating its clients) and a new one starts on the same port: the client reconnects to it, one client at a time', async () => {
    const DELAY = 100;
    let server: TestWsServer = await startWsServer();
    const port = server.port;
    const wsc = createWsConnback(
      server.url,
      quick({
        keepalive: K,
        initialDelay: DELAY,
        maxDelay: DELAY,
        delayFirstAttempt: true,
      }),
    );
    const rec = record(wsc.connback);
    const recovery: number[] = [];
    try {
      for (let restart = 1; restart <= 3; restart += 1) {
        await waitFor(() => wsc.connback.connected, `connection ${restart}`);
        expect(wsc.send(`hello ${restart}`)).toBe('sent');
        const connection = server.last();
        await waitFor(() => connection.messages.length === 1, 'the message');
        expect(connection.messages).toEqual([`hello ${restart}`]);
        const errorsBefore = rec.errors.length;
        const refusals = () =>
          rec.errors.slice(errorsBefore).filter((e) => codeOf(e.error) === 'ECONNREFUSED');
        await server.close();
        await waitFor(() => refusals().length >= 1, 'a refused attempt');
        server = await startWsServer({ port });
        await waitFor(() => rec.count('connect') === restart + 1, 'the reconnect', 3000);
        const lastRefusal = refusals().at(-1)?.at as number;
        const took = rec.lastAt('connect') - lastRefusal;
        recovery.push(took);
        expect(took).toBeLessThanOrEqual(DELAY + 100 + SLACK);
        expect(server.connections).toHaveLength(1);
        // The drop (1006) and refusals, nothing else.
        expect(rec.codes()[errorsBefore]).toBe('CONNBACK_WS_CLOSED');
        for (const code of rec.codes().slice(errorsBefore + 1)) expect(code).toBe('ECONNREFUSED');
      }
      await waitFor(() => wsc.connback.connected, 'the last connection');
      expect(wsc.send('back')).toBe('sent');
      await waitFor(() => server.last().messages.length === 1, 'the message to the new server');
      recordFigure(
        'R4',
        'recovery after a WebSocket server restart, from the last refused attempt (backoff delay 100 ms; bound 200 ms)',
        recovery,
        'ms',
      );
      expect(rec.count('connect')).toBe(4);
      expect(rec.count('close(true)')).toBe(3);
      expect(rec.count('offline')).toBe(3);
      expect(rec.failures).toEqual([]);
      expect(clientSockets().filter((entry) => !entry.socket.destroyed)).toHaveLength(1);
      expect(maxOpenAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});

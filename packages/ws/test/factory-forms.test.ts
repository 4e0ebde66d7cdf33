import { Connback, ErrorCode, isConnbackError } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../test-support/thrown.js';
import {
  createWsConnback,
  ReconnectingWebSocket,
  type WebSocketLike,
  WsConnback,
  type WsConnbackOptions,
  WsConnector,
} from '../src/index.js';
import { record } from './support/recorder.js';
import { quick, refusedPort, startWsServer, waitFor } from './support/servers.js';
import { clientSockets } from './support/setup.js';

/** Sends a line on the live socket and waits until the server has it. */
async function roundTrip(ws: WsConnback, server: { last(): { messages: string[] } }) {
  expect(ws.send('hello')).toBe('sent');
  await waitFor(() => server.last().messages.includes('hello'), 'the message at the server');
}

describe('createWsConnback: one shape with createTcpConnback (a URL, a URL and options, or one object)', () => {
  it('each argument form gives a WsConnback that is a Connback and connects: (url), (URL object), (url, options), ({ url, ...options })', async () => {
    const server = await startWsServer();
    try {
      // One at a time, so that the server's last connection is the one being checked.
      const forms = [
        () => createWsConnback(server.url),
        () => createWsConnback(new URL(server.url)),
        () => createWsConnback(server.url, quick()),
        () => createWsConnback({ url: server.url, ...quick({ maxQueuedMessages: 5 }) }),
      ];
      const made: WsConnback[] = [];
      for (const form of forms) {
        const ws = form();
        made.push(ws);
        expect(ws).toBeInstanceOf(WsConnback);
        expect(ws).toBeInstanceOf(Connback);
        try {
          await ws.ready();
          expect(ws.state).toBe('connected');
          await roundTrip(ws, server);
        } finally {
          ws.end(true);
        }
        expect(ws.state).toBe('ended');
      }
      expect(server.connections).toHaveLength(made.length);
      expect(made[2]?.options.initialDelay).toBe(50);
      expect(made[3]?.options.maxDelay).toBe(100);
    } finally {
      await server.close();
    }
  });

  it('the Connback surface is on the WsConnback itself: onconnect, onclose, onstatechange, state, client, stats, reconnect(), ready()', async () => {
    const server = await startWsServer();
    const ws = createWsConnback({ url: server.url, ...quick() });
    const log: string[] = [];
    ws.onconnect((socket, info) => {
      log.push(`connect ${info.reconnect} ${socket === ws.client}`);
    });
    ws.onclose((hasError) => log.push(`close ${hasError}`));
    ws.onstatechange(({ to }) => log.push(to));
    try {
      const first = await ws.ready();
      const second = await ws.reconnect();
      expect(second).not.toBe(first);
      expect(ws.stats.reconnects).toBe(1);
      expect(log).toEqual([
        'connecting',
        'connected',
        'connect false true',
        'offline',
        'close false',
        'connecting',
        'connected',
        'connect true true',
      ]);
    } finally {
      ws.end(true);
      await server.close();
    }
  });

  it('old code keeps working: ws.connback is the WsConnback itself (deprecated), its events, ready() and end() included; end() keeps the queue and returns the WsConnback', async () => {
    const port = await refusedPort();
    const ws = createWsConnback(`ws://127.0.0.1:${port}/`, quick());
    expect(ws.connback).toBe(ws);
    const rec = record(ws.connback);
    await waitFor(() => rec.count('error:ECONNREFUSED') >= 1, 'a refused attempt');
    expect(ws.send('kept')).toBe('queued');
    expect(ws.end()).toBe(ws);
    expect(ws.connback.state).toBe('ended');
    expect(ws.queued).toEqual({ messages: 1, bytes: 4 });
    expect(ws.connback.ended).toBe(true);
    expect(ws.takeQueued()).toEqual(['kept']);
  });

  it('the queue still flushes before other onconnect listeners run, when they are added to the WsConnback itself', async () => {
    const port = await refusedPort();
    const ws = createWsConnback({ url: `ws://127.0.0.1:${port}/`, ...quick() });
    const rec = record(ws);
    let server: Awaited<ReturnType<typeof startWsServer>> | undefined;
    ws.onconnect(() => {
      ws.send('from onconnect');
    });
    try {
      await waitFor(() => rec.count('error:ECONNREFUSED') >= 1, 'a refused attempt');
      ws.send('queued first');
      server = await startWsServer({ port });
      const live = server;
      await waitFor(
        () => live.connections.length === 1 && live.last().messages.length === 2,
        'both',
      );
      expect(live.last().messages).toEqual(['queued first', 'from onconnect']);
    } finally {
      ws.end(true);
      await server?.close();
    }
  });

  it('a list of URLs in the object form is a pool, as in the (url, options) form', async () => {
    const dead = await refusedPort();
    const server = await startWsServer();
    const ws = createWsConnback({ url: [`ws://127.0.0.1:${dead}/`, server.url], ...quick() });
    try {
      const socket: WebSocketLike = await ws.ready();
      expect(socket.url).toBe(server.url);
      expect(ws.stats.outageAttempts).toBe(2);
      expect(server.connections).toHaveLength(1);
    } finally {
      ws.end(true);
      await server.close();
    }
  });
});

describe('createWsConnback: bad arguments are refused at once, saying what is wrong, never echoing credentials', () => {
  it.each([
    ['ws://127.0.0.1:99999/feed', 'port 99999 is out of range (1 to 65535)'],
    ['ws://:80/feed', 'a host is required (ws://host[:port]/path'],
    ['ws://127.0.0.1:http/', 'the port must be a number from 1 to 65535'],
    ['http://alice:s3cret@example.org/', 'unsupported scheme "http:" (expected'],
    ['tcp://127.0.0.1:4321', 'unsupported scheme "tcp:"'],
    ['alice:s3cret@example.org:80', 'not a URL (expected'],
    ['ws:example.org', 'not a URL (ws:// is needed)'],
    [
      'wss://alice:s3/cret@example.org/feed',
      'an "@" after the host leaves unclear where the credentials end',
    ],
  ])(
    '%s → %s, the URL not shown at all (as before: a parameter may hold a secret not named like one)',
    (url, says) => {
      for (const error of [
        thrown(() => createWsConnback(url)),
        thrown(() => createWsConnback({ url })),
        thrown(() => new WsConnector({ url })),
        thrown(() => new ReconnectingWebSocket(url)),
      ]) {
        expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
        expect(error.message).toContain('connback/ws: option "url" must be a ws:// or wss:// URL');
        expect(error.message).toContain(says);
        expect(error.message).not.toContain('s3cret');
        expect(error.message).not.toContain('alice');
        expect(error.message).not.toContain('example.org');
        expect(error.message).not.toContain('127.0.0.1');
      }
      expect(clientSockets()).toHaveLength(0);
    },
  );

  it('the URL missing from the object form, given twice, options given twice, and options that are not an object are each refused plainly', () => {
    const url = 'ws://127.0.0.1:1/';
    const cases: [() => unknown, string][] = [
      [() => createWsConnback({ keepalive: 1 } as never), 'option "url" is required'],
      [() => createWsConnback({} as never), 'option "url" is required'],
      [() => createWsConnback(url, { url } as WsConnbackOptions), '"url" given twice'],
      [
        () => createWsConnback({ url } as never, { keepalive: 1 } as never),
        'give the options once',
      ],
      [() => createWsConnback(url, 5 as never), 'must be an object (got number)'],
      [() => createWsConnback(url, null as never), 'must be an object (got null)'],
      [() => createWsConnback({ url, keepAlve: 1 } as never), 'unknown option "keepAlve"'],
      [() => createWsConnback(42 as never), 'option "url" must be a ws:// or wss:// URL'],
    ];
    for (const [make, says] of cases) {
      const error = thrown(make);
      expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
      expect(error.message).toContain(says);
    }
    expect(clientSockets()).toHaveLength(0);
  });
});

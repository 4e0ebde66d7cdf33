import { type AttemptToken, ErrorCode, isConnbackError } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { createWsConnback, type WebSocketLike } from '../src/index.js';
import { received } from './support/recorder.js';
import { host, quick, refusedPort, startWsServer, waitFor } from './support/servers.js';

/** graphql-ws style: send connection_init, wait for connection_ack; stop when the token fires. */
function ackHandshake(socket: WebSocketLike, token: AttemptToken): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onMessage = (event: { data: unknown }) => {
      done(String(event.data) === 'connection_ack' ? undefined : new Error(String(event.data)));
    };
    const done = (error?: unknown) => {
      socket.removeEventListener('message', onMessage);
      stop();
      if (error === undefined) resolve();
      else reject(error);
    };
    const stop = token.onCancellationRequested(() => done(token.reason));
    socket.addEventListener('message', onMessage);
    socket.send('connection_init');
  });
}

describe('semantic 20: a list of URLs over loopback WebSockets', () => {
  it("'in-order': a refused first URL fails over to the next, named in onconnect and stats", async () => {
    const dead = `ws://${host}:${await refusedPort()}/`;
    const server = await startWsServer();
    const wsc = createWsConnback([dead, server.url], quick());
    const infos: (string | undefined)[] = [];
    wsc.connback.onconnect((_socket, info) => infos.push(info.endpoint));
    try {
      await wsc.connback.ready();
      expect(infos).toEqual([server.url]);
      expect(wsc.connback.stats.endpoint).toBe(server.url);
      expect(wsc.connback.stats.endpoints?.map((s) => [s.failures, s.connects])).toEqual([
        [1, 0],
        [0, 1],
      ]);
    } finally {
      wsc.connback.end(true);
      await server.close();
    }
  });

  it("'round-robin' walks the URLs; credentials are redacted in what names them", async () => {
    const a = await startWsServer();
    const b = await startWsServer();
    const withSecret = (url: string) => url.replace('ws://', 'ws://user:hunter2@');
    const wsc = createWsConnback(
      [withSecret(a.url), withSecret(b.url)],
      quick({ urlPolicy: 'round-robin' }),
    );
    const infos: (string | undefined)[] = [];
    wsc.connback.onconnect((_socket, info) => infos.push(info.endpoint));
    try {
      await wsc.connback.ready();
      await wsc.connback.reconnect();
      await wsc.connback.reconnect();
      expect(infos.map((i) => i?.replace(/.*:(\d+)\/$/, '$1'))).toEqual(
        [a, b, a].map((s) => String(s.port)),
      );
      expect(JSON.stringify([infos, wsc.connback.stats])).not.toContain('hunter2');
    } finally {
      wsc.connback.end(true);
      await a.close();
      await b.close();
    }
  });

  it('an empty list, a mix of ws: and wss:, or an unknown policy is refused with CONNBACK_INVALID_OPTION', () => {
    expect(() => createWsConnback([], quick())).toThrow(/"url" must be a URL or a non-empty list/);
    expect(() => createWsConnback(['ws://a.example/', 'wss://b.example/'], quick())).toThrow(
      /one scheme/,
    );
    expect(() =>
      createWsConnback(['ws://a.example/'], quick({ urlPolicy: 'nearest' as 'random' })),
    ).toThrow(/"urlPolicy"/);
  });
});

describe('a handshake inside the attempt (WebSocket)', () => {
  it('onconnect waits for connection_ack; the ack reaches no listener added at onconnect', async () => {
    const server = await startWsServer({
      onConnection: (c) =>
        c.socket.on('message', (data) => {
          if (String(data) === 'connection_init') c.socket.send('connection_ack');
          if (String(data) === 'subscribe') c.socket.send('first event');
        }),
    });
    const wsc = createWsConnback(server.url, quick({ handshake: ackHandshake }));
    let messages: string[] = [];
    wsc.connback.onconnect((socket) => {
      messages = received(socket);
      socket.send('subscribe');
    });
    try {
      await wsc.connback.ready();
      await waitFor(() => messages.length >= 1, 'the first event');
      expect(messages).toEqual(['first event']);
    } finally {
      wsc.connback.end(true);
      await server.close();
    }
  });

  it('a handshake that hangs fails at connectTimeout and the socket is closed', async () => {
    const server = await startWsServer();
    const wsc = createWsConnback(
      server.url,
      quick({ handshake: ackHandshake, connectTimeout: 300 }),
    );
    const errors: Error[] = [];
    wsc.connback.onerror((e) => errors.push(e));
    try {
      await waitFor(() => errors.length >= 1, 'the connect timeout');
      expect(isConnbackError(errors[0], ErrorCode.ConnectTimeout)).toBe(true);
      await waitFor(() => server.connections[0]?.closed !== undefined, 'the socket closed');
    } finally {
      wsc.connback.end(true);
      await server.close();
    }
  });
});

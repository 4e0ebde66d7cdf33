import { describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { createWsConnback, ReadyState, type WebSocketLike } from '../src/index.js';
import { received, record } from './support/recorder.js';
import {
  host,
  quick,
  refusedPort,
  startWsServer,
  type TestWsServer,
  waitFor,
} from './support/servers.js';
import { clientSockets, maxOpenAtOnce } from './support/setup.js';

/** Timer lateness reached 17 ms under load on these 2-core machines: leave plenty. */
const SLACK = 150;

/** The class the connector falls back to: the global one (Node 22+), else ws's. */
/** A server that answers every message with `echo:<message>`. */
function echoServer(): Promise<TestWsServer> {
  return startWsServer({
    onConnection: ({ socket }) => socket.on('message', (data) => socket.send(`echo:${data}`)),
  });
}

describe('connect', () => {
  it('createWsConnback(url) connects with the ws package on every Node (also where a global WebSocket exists), gives onconnect the open socket, and messages flow both ways', async () => {
    const server = await echoServer();
    const wsc = createWsConnback(server.url, quick());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const socket = rec.clients[0] as WebSocketLike;
      expect(socket).toBe(wsc.connback.client);
      expect(socket).toBeInstanceOf(WsWebSocket);
      expect(socket.readyState).toBe(ReadyState.OPEN);
      const got = received(socket);
      expect(wsc.send('hello')).toBe('sent');
      expect(wsc.send('world')).toBe('sent');
      await waitFor(() => got.length === 2, 'the two echoes');
      expect(got).toEqual(['echo:hello', 'echo:world']);
      expect(server.last().messages).toEqual(['hello', 'world']);
      expect(server.connections).toHaveLength(1);
      expect(rec.events()).toEqual(['connect']);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('a message the server sends as soon as a connection opens reaches a message listener added in onconnect, on the first connection and after a reconnect', async () => {
    let greeted = 0;
    const server = await startWsServer({
      onConnection: ({ socket }) => {
        greeted += 1;
        socket.send(`welcome ${greeted}`);
      },
    });
    const wsc = createWsConnback(server.url, quick());
    const got: string[] = [];
    wsc.connback.onconnect((socket) => {
      socket.addEventListener('message', (event: { data: unknown }) =>
        got.push(String(event.data)),
      );
    });
    const rec = record(wsc.connback);
    try {
      await waitFor(() => greeted === 1 && wsc.connback.connected, 'the connection');
      await waitFor(() => got.length === 1, 'the greeting of the first connection', 1000);
      server.last().socket.terminate();
      await waitFor(() => rec.count('connect') === 2, 'the reconnect');
      await waitFor(() => got.length === 2, 'the greeting of the second connection', 1000);
      expect(got).toEqual(['welcome 1', 'welcome 2']);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('calls a URL function once per attempt: for refused attempts, the attempt that connects, and the reconnect after a drop', async () => {
    const port = await refusedPort();
    let server: TestWsServer | undefined;
    let calls = 0;
    const wsc = createWsConnback(() => {
      calls += 1;
      return `ws://${host}:${port}/`;
    }, quick());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => rec.count('error:ECONNREFUSED') >= 2, 'two refused attempts');
      server = await startWsServer({ port });
      await waitFor(() => wsc.connback.connected, 'the connection');
      const attempts = wsc.connback.stats.attempts;
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect(calls).toBe(attempts);
      server.last().socket.terminate();
      await waitFor(() => rec.count('connect') === 2, 'the reconnect');
      expect(wsc.connback.stats.attempts).toBe(attempts + 1);
      expect(calls).toBe(attempts + 1);
      expect(server.connections).toHaveLength(2);
      expect(maxOpenAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await server?.close();
    }
  });

  it('an async URL function (resolving to a URL object) works', async () => {
    const server = await echoServer();
    let calls = 0;
    const wsc = createWsConnback(async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return new URL(server.url);
    }, quick());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const got = received(rec.clients[0] as WebSocketLike);
      expect(wsc.send('ping?')).toBe('sent');
      await waitFor(() => got.length === 1, 'the echo');
      expect(got).toEqual(['echo:ping?']);
      expect(calls).toBe(1);
      expect(rec.events()).toEqual(['connect']);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});

describe('graceful close (row 9)', () => {
  it('end() sends a 1000 close frame: the server sees code 1000; onclose(false) then onend, and the socket closes', async () => {
    const server = await startWsServer();
    const wsc = createWsConnback(server.url, quick());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const socket = rec.clients[0] as WebSocketLike;
      expect(wsc.end()).toBe(wsc);
      expect(wsc.connback.state).toBe('ended');
      expect(socket.readyState).toBe(ReadyState.CLOSING);
      await waitFor(() => server.last().closed !== undefined, 'the server to see the close');
      expect(server.last().closed).toEqual({ code: 1000, reason: '' });
      await waitFor(() => socket.readyState === ReadyState.CLOSED, 'the client socket to close');
      await waitFor(
        () => clientSockets().every((entry) => entry.closedAt !== undefined),
        'the TCP socket to close',
      );
      expect(rec.events()).toEqual(['connect', 'close(false)', 'end']);
      expect(rec.errors).toEqual([]);
      expect(server.connections).toHaveLength(1);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('end(true) terminates at once: the TCP socket is destroyed before end returns and the server sees 1006', async () => {
    const server = await startWsServer();
    const wsc = createWsConnback(server.url, quick());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      expect(clientSockets()).toHaveLength(1);
      wsc.end(true);
      expect(clientSockets()[0]?.socket.destroyed).toBe(true);
      await waitFor(() => server.last().closed !== undefined, 'the server to see the close');
      expect(server.last().closed?.code).toBe(1006);
      expect(rec.events()).toEqual(['connect', 'close(false)', 'end']);
      expect(rec.errors).toEqual([]);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('end() against a server that never answers the close frame terminates the socket after closeTimeout', async () => {
    const CLOSE_TIMEOUT = 300;
    const server = await startWsServer();
    const wsc = createWsConnback(server.url, quick({ closeTimeout: CLOSE_TIMEOUT }));
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      // The server stops reading: the close frame is never answered.
      server.last().socket.pause();
      const endedAt = performance.now();
      wsc.end();
      const entry = clientSockets()[0];
      expect(entry?.socket.destroyed).toBe(false);
      await waitFor(() => entry?.closedAt !== undefined, 'the forced close', 3000);
      const took = (entry?.closedAt as number) - endedAt;
      expect(took).toBeGreaterThanOrEqual(CLOSE_TIMEOUT - 5);
      expect(took).toBeLessThanOrEqual(CLOSE_TIMEOUT + SLACK);
      expect(rec.events()).toEqual(['connect', 'close(false)', 'end']);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});

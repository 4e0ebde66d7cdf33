import { ErrorCode } from '@connback/core';
import { describe, expect, it } from 'vitest';
import {
  ReconnectingWebSocket,
  type WsCloseEvent,
  type WsErrorEvent,
  type WsMessageEvent,
} from '../src/index.js';
import { holdsFor, quick, refusedPort, startWsServer, waitFor } from './support/servers.js';

/** Options for these tests: exact short delays, and a first retry at once after a drop. */
const fast = () => quick({ initialDelay: 30, maxDelay: 60, minUptime: 0 });

describe('ReconnectingWebSocket: the browser WebSocket surface over a Connback', () => {
  it('listeners added once (addEventListener and on… properties) keep working across three reconnects: one open and one close per connection, every message', async () => {
    let n = 0;
    const server = await startWsServer({
      onConnection: ({ socket }) => {
        n += 1;
        socket.send(`hello ${n}`);
      },
    });
    const socket = new ReconnectingWebSocket(server.url, fast());
    // Eager: connecting from the constructor on, as a WebSocket is.
    expect(socket.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    const log: string[] = [];
    socket.addEventListener('message', (event) => {
      log.push(`message ${(event as WsMessageEvent).data}`);
    });
    socket.onopen = () => log.push(`open ${socket.readyState}`);
    socket.onclose = (event) => log.push(`close ${event.code}`);
    try {
      for (let connection = 1; connection <= 4; connection += 1) {
        await waitFor(() => log.includes(`message hello ${connection}`), `message ${connection}`);
        if (connection < 4) server.last().socket.terminate();
      }
      expect(log).toEqual([
        'open 1',
        'message hello 1',
        'close 1006',
        'open 1',
        'message hello 2',
        'close 1006',
        'open 1',
        'message hello 3',
        'close 1006',
        'open 1',
        'message hello 4',
      ]);
      expect(socket.connback.stats.reconnects).toBe(3);
    } finally {
      socket.close();
      await waitFor(() => socket.readyState === ReconnectingWebSocket.CLOSED, 'CLOSED');
      await server.close();
    }
    expect(log.at(-1)).toBe('close 1000');
  });

  it('the same addEventListener("message") listener and onmessage receive the messages of every connection across three server drops, each message once; send() after each reconnect is answered', async () => {
    let n = 0;
    const server = await startWsServer({
      onConnection: ({ socket }) => {
        n += 1;
        const number = n;
        socket.send(`hello ${number}`);
        socket.on('message', (data) => socket.send(`echo ${number} ${String(data)}`));
      },
    });
    const socket = new ReconnectingWebSocket(server.url, fast());
    const viaListener: string[] = [];
    const viaProperty: string[] = [];
    const listener = (event: Event) => viaListener.push(String((event as WsMessageEvent).data));
    socket.addEventListener('message', listener);
    socket.onmessage = (event) => viaProperty.push(String(event.data));
    socket.onopen = () => socket.send('hi');
    try {
      for (let connection = 1; connection <= 4; connection += 1) {
        await waitFor(
          () => viaProperty.includes(`echo ${connection} hi`),
          `the echo on connection ${connection}`,
        );
        // The server drops the connection (no close frame): the client sees 1006.
        if (connection < 4) server.last().socket.terminate();
      }
      const expected = [1, 2, 3, 4].flatMap((c) => [`hello ${c}`, `echo ${c} hi`]);
      expect(viaListener).toEqual(expected);
      expect(viaProperty).toEqual(expected);
      expect(socket.connback.stats.reconnects).toBe(3);
      socket.removeEventListener('message', listener);
      socket.send('after removing the listener');
      await waitFor(() => viaProperty.length === expected.length + 1, 'the last echo');
      expect(viaListener).toHaveLength(expected.length);
    } finally {
      socket.close();
      await waitFor(() => socket.readyState === ReconnectingWebSocket.CLOSED, 'CLOSED');
      await server.close();
    }
  });

  it('close(code, reason): the server sees them, readyState goes CLOSING then CLOSED with the close event, nothing reconnects, and send() then throws InvalidStateError', async () => {
    const server = await startWsServer();
    const socket = new ReconnectingWebSocket(server.url, fast());
    const closes: WsCloseEvent[] = [];
    socket.onclose = (event) => closes.push(event);
    try {
      await waitFor(() => socket.readyState === ReconnectingWebSocket.OPEN, 'OPEN');
      socket.close(4000, 'done here');
      expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSING);
      await waitFor(() => closes.length === 1, 'the close event');
      expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
      expect(server.last().closed).toEqual({ code: 4000, reason: 'done here' });
      expect(closes[0]?.code).toBe(4000);
      expect(closes[0]?.reason).toBe('done here');
      expect(closes[0]?.wasClean).toBe(true);
      expect(() => socket.send('late')).toThrow(
        expect.objectContaining({ name: 'InvalidStateError' }),
      );
      expect(server.connections).toHaveLength(1);
      expect(() => socket.close(1001)).toThrow(RangeError);
      expect(() => socket.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    } finally {
      socket.close();
      await server.close();
    }
  });

  it('lazyConnect: CLOSED before the first attempt, as reconnecting-websocket with startClosed; reconnect() opens it; null protocols keep the options', async () => {
    const server = await startWsServer();
    // null as protocols, as plain JavaScript may pass it: the options still apply.
    const socket = new ReconnectingWebSocket(server.url, null as never, {
      ...fast(),
      lazyConnect: true,
    });
    try {
      expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
      expect(socket.connback.options.lazyConnect).toBe(true);
      await holdsFor(() => server.connections.length === 0, 'no connection while lazy', 100);
      socket.reconnect();
      expect(socket.readyState).toBe(ReconnectingWebSocket.CONNECTING);
      await waitFor(() => socket.readyState === ReconnectingWebSocket.OPEN, 'OPEN');
      expect(socket.protocol).toBe('');
    } finally {
      socket.close();
      await server.close();
    }
  });

  it('send() before the first open queues; the queue goes out first, in order; bufferedAmount counts what is queued', async () => {
    const port = await refusedPort();
    const socket = new ReconnectingWebSocket(`ws://127.0.0.1:${port}/`, {
      ...fast(),
      lazyConnect: true,
    });
    socket.send('one');
    socket.send('two');
    expect(socket.bufferedAmount).toBe(6);
    // Lazy and not started: nothing is connecting yet.
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    const server = await startWsServer({ port });
    try {
      socket.connback.start();
      await waitFor(() => server.connections.length === 1, 'the connection');
      await waitFor(() => server.last().messages.length === 2, 'the queued messages');
      expect(server.last().messages).toEqual(['one', 'two']);
      expect(socket.bufferedAmount).toBe(0);
    } finally {
      socket.close();
      await server.close();
    }
  });

  it("binaryType 'arraybuffer' is set on every socket: binary messages arrive as ArrayBuffers before and after a reconnect", async () => {
    const server = await startWsServer({
      onConnection: ({ socket }) => socket.send(Buffer.from([1, 2, 3])),
    });
    const socket = new ReconnectingWebSocket(server.url, fast());
    socket.binaryType = 'arraybuffer';
    const received: unknown[] = [];
    socket.onmessage = (event) => received.push(event.data);
    try {
      await waitFor(() => received.length === 1, 'the first message');
      server.last().socket.terminate();
      await waitFor(() => received.length === 2, 'the message after the reconnect');
      for (const data of received) {
        expect(data).toBeInstanceOf(ArrayBuffer);
        expect([...new Uint8Array(data as ArrayBuffer)]).toEqual([1, 2, 3]);
      }
      expect(socket.binaryType).toBe('arraybuffer');
    } finally {
      socket.close();
      await server.close();
    }
  });

  it('reconnect(code, reason) closes the live connection with them and opens a new one; url and protocol are the live socket’s', async () => {
    const server = await startWsServer();
    const socket = new ReconnectingWebSocket(server.url, 'chat.v1', { ...fast(), minUptime: 5000 });
    let opens = 0;
    socket.onopen = () => {
      opens += 1;
    };
    try {
      await waitFor(() => opens === 1, 'the first open');
      expect(socket.url).toBe(server.url);
      expect(socket.protocol).toBe('chat.v1');
      expect(typeof socket.extensions).toBe('string');
      const first = server.last();
      const closes: WsCloseEvent[] = [];
      const errors: WsErrorEvent[] = [];
      socket.onclose = (event) => closes.push(event);
      socket.onerror = (event) => errors.push(event);
      socket.reconnect(4001, 'switching');
      // Until the server answered the close, the old connection is closing.
      expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSING);
      await waitFor(() => opens === 2, 'the second open');
      await waitFor(() => first.closed !== undefined, 'the server to see the close');
      expect(first.closed?.code).toBe(4001);
      expect(server.connections).toHaveLength(2);
      // The close event is the closing handshake's, as a WebSocket's: the server's answer.
      expect(closes.map((e) => [e.code, e.reason, e.wasClean])).toEqual([
        [4001, 'switching', true],
      ]);
      // A requested close is not a lost connection, even one shorter than minUptime.
      expect(errors).toEqual([]);
    } finally {
      socket.close();
      await server.close();
    }
  });

  it('a refused attempt is an error event with connback’s error, while readyState stays CONNECTING; onerror replaced by a new handler is called alone', async () => {
    const port = await refusedPort();
    const socket = new ReconnectingWebSocket(`ws://127.0.0.1:${port}/`, fast());
    const first: WsErrorEvent[] = [];
    const second: WsErrorEvent[] = [];
    socket.onerror = (event) => first.push(event);
    try {
      await waitFor(() => first.length >= 1, 'the first error event');
      expect((first[0]?.error as { code?: string } | undefined)?.code).toBe('ECONNREFUSED');
      expect(socket.readyState).toBe(ReconnectingWebSocket.CONNECTING);
      socket.onerror = (event) => second.push(event);
      const before = first.length;
      await waitFor(() => second.length >= 1, 'an error event for the new handler');
      expect(first.length).toBe(before);
      expect(socket.onerror).not.toBeNull();
    } finally {
      socket.close();
    }
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });

  it('[Symbol.asyncDispose]() closes and resolves after the close event; a keepalive timeout is an error event with its code', async () => {
    const server = await startWsServer({ autoPong: false });
    const socket = new ReconnectingWebSocket(server.url, { ...fast(), keepalive: 0.1 });
    const errors: string[] = [];
    socket.onerror = (event) => errors.push((event.error as { code?: string }).code ?? '');
    await waitFor(() => errors.length >= 1, 'the keepalive timeout', 3000);
    expect(errors[0]).toBe(ErrorCode.KeepaliveTimeout);
    await waitFor(() => socket.readyState === ReconnectingWebSocket.OPEN, 'OPEN again');
    await socket[Symbol.asyncDispose]();
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(socket.connback.state).toBe('ended');
    await server.close();
  });
});

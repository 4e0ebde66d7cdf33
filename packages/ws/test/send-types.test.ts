import { describe, expect, it } from 'vitest';
import { type ClientOptions, WebSocket as WsWebSocket } from 'ws';
import { thrown } from '../../../test-support/thrown.js';
import { createWsConnback, WsSendQueueError } from '../src/index.js';
import { record } from './support/recorder.js';
import {
  host,
  quick,
  refusedPort,
  startWsServer,
  type TestWsServer,
  waitFor,
} from './support/servers.js';

/** Values a WebSocket cannot send, and how the TypeError names each one's type. */
const NOT_DATA: [value: unknown, named: string][] = [
  [{ hello: 1 }, 'an object'],
  [123, 'a number (123)'],
  [null, 'null'],
  [undefined, 'undefined'],
  [true, 'a boolean (true)'],
  [['a'], 'an array'],
  [new Map(), 'a Map'],
  [Symbol('s'), 'a symbol'],
  [() => 'x', 'a function'],
];

describe('send() checks what it is given (semantic 14)', () => {
  it('while down: send({ hello: 1 }), send(123)... throw a TypeError naming the type, queue nothing, and the queue keeps counting bytes and delivering in order', async () => {
    const port = await refusedPort();
    let server: TestWsServer | undefined;
    const wsc = createWsConnback(
      `ws://${host}:${port}/`,
      quick({ WebSocket: WsWebSocket, maxQueuedBytes: 10 }),
    );
    const rec = record(wsc.connback);
    try {
      await waitFor(() => rec.count('error:ECONNREFUSED') >= 1, 'a refused attempt');
      expect(wsc.send('before')).toBe('queued');
      for (const [value, named] of NOT_DATA) {
        const error = thrown(() => wsc.send(value as never));
        expect(error).toBeInstanceOf(TypeError);
        expect(error.message).toContain('send()');
        expect(error.message).toContain(named);
        expect(wsc.queued).toEqual({ messages: 1, bytes: 6 });
      }
      // maxQueuedBytes still holds: the count is a number, not NaN.
      expect(wsc.send('afte')).toBe('queued');
      expect(() => wsc.send('x')).toThrow(WsSendQueueError);
      server = await startWsServer({ port });
      await waitFor(() => server?.connections[0]?.messages.length === 2, 'the queue delivered');
      expect(server.last().messages).toEqual(['before', 'afte']);
      expect(wsc.queued).toEqual({ messages: 0, bytes: 0 });
      // Later messages are not blocked behind anything.
      expect(wsc.send('later')).toBe('sent');
      await waitFor(() => server?.last().messages.length === 3, 'a later message');
      expect(server.last().messages[2]).toBe('later');
    } finally {
      wsc.end(true);
      await server?.close();
    }
  });

  it('while connected: a bad type throws the same TypeError and nothing reaches the server', async () => {
    const server = await startWsServer();
    const wsc = createWsConnback(server.url, quick({ WebSocket: WsWebSocket }));
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      expect(() => wsc.send({ hello: 1 } as never)).toThrow(TypeError);
      expect(() => wsc.send(123 as never)).toThrow(/a number \(123\)/);
      expect(wsc.send('ok')).toBe('sent');
      await waitFor(() => server.last().messages.length === 1, 'the good message');
      expect(server.last().messages).toEqual(['ok']);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('accepts a string, an ArrayBuffer, a SharedArrayBuffer, typed arrays, a DataView, a Buffer and a Blob, queued and sent, counting their bytes', async () => {
    const port = await refusedPort();
    let server: TestWsServer | undefined;
    const wsc = createWsConnback(`ws://${host}:${port}/`, quick({ WebSocket: WsWebSocket }));
    const bytes = (text: string) => new TextEncoder().encode(text);
    const shared = new SharedArrayBuffer(3);
    new Uint8Array(shared).set(bytes('sab'));
    const view = bytes('xview');
    const messages = [
      'text',
      bytes('buffer').buffer,
      shared,
      bytes('u8'),
      new DataView(view.buffer, 1, 4),
      Buffer.from('node'),
      new Blob(['blob']),
    ];
    try {
      for (const message of messages) expect(wsc.send(message)).toBe('queued');
      expect(wsc.queued).toEqual({ messages: 7, bytes: 4 + 6 + 3 + 2 + 4 + 4 + 4 });
      server = await startWsServer({ port });
      await waitFor(() => server?.connections[0]?.messages.length === 7, 'every message');
      expect(server.last().messages).toEqual([
        'text',
        'buffer',
        'sab',
        'u8',
        'view',
        'node',
        'blob',
      ]);
      for (const message of messages) expect(wsc.send(message)).toBe('sent');
      await waitFor(() => server?.last().messages.length === 14, 'every message again');
    } finally {
      wsc.end(true);
      await server?.close();
    }
  });

  it('a queued message the socket refuses at the flush is dropped, reported on onerror, and the connection replaced: it never blocks the messages behind it', async () => {
    const port = await refusedPort();
    let server: TestWsServer | undefined;
    /** ws's class, but its send() refuses the text "poison" (as a browser refuses some data). */
    class Picky extends WsWebSocket {
      constructor(url: string, protocols?: string | string[], options?: ClientOptions) {
        super(url, protocols, options);
        const send = this.send.bind(this) as (...args: unknown[]) => void;
        this.send = ((...args: unknown[]) => {
          if (args[0] === 'poison') throw new TypeError('refused by the socket');
          send(...args);
        }) as WsWebSocket['send'];
      }
    }
    const wsc = createWsConnback(`ws://${host}:${port}/`, quick({ WebSocket: Picky }));
    const rec = record(wsc.connback);
    try {
      await waitFor(() => rec.count('error:ECONNREFUSED') >= 1, 'a refused attempt');
      for (const text of ['first', 'poison', 'after']) expect(wsc.send(text)).toBe('queued');
      server = await startWsServer({ port });
      await waitFor(
        () => server?.connections[1]?.messages.length === 1,
        'the rest, next connection',
      );
      expect(server.connections[0]?.messages).toEqual(['first']);
      expect(server.connections[1]?.messages).toEqual(['after']);
      expect(rec.errors.some(({ error }) => error.message === 'refused by the socket')).toBe(true);
      expect(wsc.queued).toEqual({ messages: 0, bytes: 0 });
      expect(wsc.send('later')).toBe('sent');
    } finally {
      wsc.end(true);
      await server?.close();
    }
  });
});

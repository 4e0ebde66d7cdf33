import { describe, expect, it } from 'vitest';
import { thrown } from '../../../test-support/thrown.js';
import { createWsConnback, WsSendQueueError } from '../src/index.js';
import { record } from './support/recorder.js';
import {
  holdsFor,
  host,
  quick,
  refusedPort,
  startWsServer,
  type TestWsServer,
  waitFor,
} from './support/servers.js';
import { maxOpenAtOnce } from './support/setup.js';

/** Waits until the server has accepted a connection and received `count` messages on it. */
async function receivedCount(server: TestWsServer, count: number): Promise<string[]> {
  await waitFor(
    () => server.connections.length > 0 && server.last().messages.length >= count,
    `${count} messages at the server`,
  );
  return server.last().messages;
}

describe('send queue', () => {
  it("send() returns 'queued' while down; on the next connection the queue goes out in order before messages sent from an onconnect listener, then send() returns 'sent'", async () => {
    const port = await refusedPort();
    let server: TestWsServer | undefined;
    const wsc = createWsConnback(`ws://${host}:${port}/`, quick());
    const rec = record(wsc.connback);
    const fromListener: string[] = [];
    wsc.connback.onconnect(() => {
      fromListener.push(wsc.send('later 1'), wsc.send('later 2'));
    });
    try {
      await waitFor(() => rec.count('error:ECONNREFUSED') >= 1, 'a refused attempt');
      expect(wsc.send('q1')).toBe('queued');
      expect(wsc.send('q2')).toBe('queued');
      expect(wsc.send(new TextEncoder().encode('q3'))).toBe('queued');
      expect(wsc.queued).toEqual({ messages: 3, bytes: 6 });
      server = await startWsServer({ port });
      const messages = await receivedCount(server, 5);
      expect(messages).toEqual(['q1', 'q2', 'q3', 'later 1', 'later 2']);
      expect(fromListener).toEqual(['sent', 'sent']);
      expect(wsc.queued).toEqual({ messages: 0, bytes: 0 });
      expect(wsc.send('now')).toBe('sent');
      await receivedCount(server, 6);
      expect(server.last().messages.at(-1)).toBe('now');
      expect(server.connections).toHaveLength(1);
    } finally {
      wsc.end(true);
      await server?.close();
    }
  });

  it('keeps the order across a server restart: sent ones reach the old server, queued ones reach the new one first, in order', async () => {
    let server = await startWsServer();
    const port = server.port;
    const wsc = createWsConnback(server.url, quick());
    const rec = record(wsc.connback);
    let fromListener: string | undefined;
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const sent = ['a1', 'a2', 'a3'].map((message) => wsc.send(message));
      expect(sent).toEqual(['sent', 'sent', 'sent']);
      const old = server;
      await receivedCount(old, 3);
      await server.close();
      await waitFor(() => rec.count('close(true)') === 1, 'the drop');
      const queued = Array.from({ length: 20 }, (_, i) => `b${i + 1}`);
      for (const message of queued) expect(wsc.send(message)).toBe('queued');
      expect(wsc.queued.messages).toBe(20);
      wsc.connback.onconnect(() => {
        fromListener = wsc.send('c1');
      });
      server = await startWsServer({ port });
      const messages = await receivedCount(server, 21);
      expect(messages).toEqual([...queued, 'c1']);
      expect(fromListener).toBe('sent');
      expect(old.connections[0]?.messages).toEqual(['a1', 'a2', 'a3']);
      expect(maxOpenAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('with maxQueuedMessages 3 the fourth send() while down throws WsSendQueueError CONNBACK_WS_QUEUE_FULL naming the limits, and the three queued messages still go out', async () => {
    const port = await refusedPort();
    let server: TestWsServer | undefined;
    const wsc = createWsConnback(`ws://${host}:${port}/`, quick({ maxQueuedMessages: 3 }));
    try {
      for (const message of ['m1', 'm2', 'm3']) expect(wsc.send(message)).toBe('queued');
      const error = thrown(() => wsc.send('m4')) as WsSendQueueError;
      expect(error).toBeInstanceOf(WsSendQueueError);
      expect(error.name).toBe('WsSendQueueError');
      expect(error.code).toBe('CONNBACK_WS_QUEUE_FULL');
      expect(error.message).toContain('maxQueuedMessages 3');
      expect(error.message).toContain('maxQueuedBytes 1048576');
      expect(error.queued).toEqual({ messages: 3, bytes: 6 });
      expect(wsc.queued).toEqual({ messages: 3, bytes: 6 });
      // Still full: a second refusal changes nothing either.
      expect(() => wsc.send('m5')).toThrow(WsSendQueueError);
      server = await startWsServer({ port });
      const messages = await receivedCount(server, 3);
      await waitFor(() => wsc.connback.connected, 'the connection');
      expect(messages).toEqual(['m1', 'm2', 'm3']);
      expect(wsc.queued).toEqual({ messages: 0, bytes: 0 });
      expect(wsc.send('m6')).toBe('sent');
      await receivedCount(server, 4);
      expect(server.last().messages).toEqual(['m1', 'm2', 'm3', 'm6']);
    } finally {
      wsc.end(true);
      await server?.close();
    }
  });

  it('maxQueuedBytes counts UTF-8 bytes: a send() that would pass it throws CONNBACK_WS_QUEUE_FULL, what was queued is kept and delivered', async () => {
    const port = await refusedPort();
    let server: TestWsServer | undefined;
    const wsc = createWsConnback(`ws://${host}:${port}/`, quick({ maxQueuedBytes: 10 }));
    try {
      expect(wsc.send('héllo')).toBe('queued'); // 5 characters, 6 bytes
      expect(wsc.send('€')).toBe('queued'); // 1 character, 3 bytes
      expect(wsc.queued).toEqual({ messages: 2, bytes: 9 });
      const error = thrown(() => wsc.send('ab')) as WsSendQueueError;
      expect(error).toBeInstanceOf(WsSendQueueError);
      expect(error.code).toBe('CONNBACK_WS_QUEUE_FULL');
      expect(error.message).toContain('maxQueuedBytes 10');
      expect(error.message).toContain('maxQueuedMessages 1000');
      expect(error.queued).toEqual({ messages: 2, bytes: 9 });
      expect(wsc.send('a')).toBe('queued'); // exactly 10 bytes
      expect(() => wsc.send('é')).toThrow(WsSendQueueError);
      expect(wsc.queued).toEqual({ messages: 3, bytes: 10 });
      server = await startWsServer({ port });
      const messages = await receivedCount(server, 3);
      await waitFor(() => wsc.connback.connected, 'the connection');
      expect(messages).toEqual(['héllo', '€', 'a']);
      // The bound is for the queue only: an open socket takes a bigger message at once.
      expect(wsc.send('x'.repeat(100))).toBe('sent');
      await receivedCount(server, 4);
    } finally {
      wsc.end(true);
      await server?.close();
    }
  });

  it('end() keeps the queue: takeQueued() returns it in order and empties it', async () => {
    const port = await refusedPort();
    const wsc = createWsConnback(`ws://${host}:${port}/`, quick());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => rec.count('error:ECONNREFUSED') >= 1, 'a refused attempt');
      const binary = new Uint8Array([1, 2, 3]);
      expect(wsc.send('x1')).toBe('queued');
      expect(wsc.send(binary)).toBe('queued');
      expect(wsc.send('x3')).toBe('queued');
      expect(wsc.end()).toBe(wsc);
      expect(wsc.connback.state).toBe('ended');
      expect(wsc.queued).toEqual({ messages: 3, bytes: 7 });
      expect(wsc.takeQueued()).toEqual(['x1', binary, 'x3']);
      expect(wsc.queued).toEqual({ messages: 0, bytes: 0 });
      expect(wsc.takeQueued()).toEqual([]);
      // While ended, send() queues again (there is no socket).
      expect(wsc.send('x4')).toBe('queued');
      expect(wsc.takeQueued()).toEqual(['x4']);
    } finally {
      wsc.end(true);
    }
  });

  it('queued messages survive end() and go out after a later reconnect()', async () => {
    const port = await refusedPort();
    let server: TestWsServer | undefined;
    const wsc = createWsConnback(`ws://${host}:${port}/`, quick());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => rec.count('error:ECONNREFUSED') >= 1, 'a refused attempt');
      expect(wsc.send('kept 1')).toBe('queued');
      expect(wsc.send('kept 2')).toBe('queued');
      wsc.end();
      server = await startWsServer({ port });
      const ended = server;
      await holdsFor(() => ended.connections.length === 0, 'no attempt after end()', 200);
      expect(wsc.queued.messages).toBe(2);
      const socket = await wsc.connback.reconnect();
      expect(socket).toBe(wsc.connback.client);
      const messages = await receivedCount(server, 2);
      expect(messages).toEqual(['kept 1', 'kept 2']);
      expect(wsc.queued).toEqual({ messages: 0, bytes: 0 });
      expect(server.connections).toHaveLength(1);
    } finally {
      wsc.end(true);
      await server?.close();
    }
  });
});

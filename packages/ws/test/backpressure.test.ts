import { ErrorCode, isConnbackError } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { createWsConnback, type WsConnback, WsSendQueueError } from '../src/index.js';
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

const MARK = 64 * 1024;
const QUEUE_BYTES = 256 * 1024;
const SIZE = 16 * 1024;
/** One message as the socket counts it: the payload and its frame header (at most 14 bytes). */
const FRAME = SIZE + 14;
/** 32 MiB in all: far more than loopback's kernel buffers (about 4 MiB here) take. */
const MOST_MESSAGES = 2048;

/** Message `i`: its number, then filler up to SIZE bytes. */
function message(i: number): string {
  return `${i}:`.padEnd(SIZE, 'x');
}

/** What a WsConnback holds in memory for a server that does not read: socket and queue. */
function held(wsc: WsConnback): number {
  return wsc.bufferedAmount + wsc.queued.bytes;
}

/** Settles to 'resolved', 'pending' or the rejection's code, without waiting. */
async function peek(promise: Promise<void>): Promise<string> {
  const pending = Symbol('pending');
  const result = await Promise.race([
    promise.then(
      () => 'resolved',
      (error: unknown) => (error as { code?: string }).code ?? String(error),
    ),
    new Promise<symbol>((resolve) => setImmediate(() => resolve(pending))),
  ]);
  return result === pending ? 'pending' : (result as string);
}

/**
 * Sends numbered messages until the queue refuses one (at most MOST_MESSAGES); returns the
 * numbers accepted, the refusal, the results seen and the most memory held at any point.
 */
async function fillUntilRefused(wsc: WsConnback): Promise<{
  accepted: number[];
  refusal: WsSendQueueError | undefined;
  results: Set<string>;
  peak: number;
}> {
  const accepted: number[] = [];
  const results = new Set<string>();
  let refusal: WsSendQueueError | undefined;
  let peak = 0;
  for (let i = 0; i < MOST_MESSAGES && refusal === undefined; i++) {
    try {
      results.add(wsc.send(message(i)));
      accepted.push(i);
    } catch (error) {
      if (!(error instanceof WsSendQueueError)) throw error;
      refusal = error;
    }
    peak = Math.max(peak, held(wsc));
    // Lets the socket hand what it holds to the kernel, as a producer's own awaits would.
    if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return { accepted, refusal, results, peak };
}

function backedUp(server: TestWsServer): WsConnback {
  return createWsConnback(
    server.url,
    quick({
      WebSocket: WsWebSocket,
      maxBufferedBytes: MARK,
      maxQueuedBytes: QUEUE_BYTES,
      maxQueuedMessages: 100_000,
    }),
  );
}

describe('back-pressure while connected (reliability row 40)', () => {
  it('a server that stops reading: send() queues once bufferedAmount reaches maxBufferedBytes, then throws CONNBACK_WS_QUEUE_FULL; socket + queue stay bounded; once the server reads again drained() resolves and every accepted message arrives once, in order', async () => {
    const server = await startWsServer();
    const wsc = backedUp(server);
    const bound = MARK + FRAME + QUEUE_BYTES;
    try {
      await waitFor(() => wsc.connback.connected && server.connections.length === 1, 'connected');
      const serverSide = server.last();
      // ws's pause() stops reading the TCP socket: the kernel buffers fill, then the client's.
      serverSide.socket.pause();
      const { accepted, refusal, results, peak } = await fillUntilRefused(wsc);
      expect(refusal?.code).toBe('CONNBACK_WS_QUEUE_FULL');
      expect(results).toEqual(new Set(['sent', 'queued']));
      expect(peak).toBeLessThanOrEqual(bound);
      expect(wsc.bufferedAmount).toBeGreaterThanOrEqual(MARK);
      expect(wsc.bufferedAmount).toBeLessThan(MARK + FRAME);

      // Still stuck: more sends are refused and nothing grows.
      const waiting = wsc.drained();
      await holdsFor(
        () => {
          expect(() => wsc.send(message(-1))).toThrow(WsSendQueueError);
          return held(wsc) <= bound;
        },
        'socket + queue within the bounds',
        300,
      );
      expect(await peek(waiting)).toBe('pending');

      serverSide.socket.resume();
      await waiting;
      expect(wsc.queued.messages).toBe(0);
      expect(wsc.bufferedAmount).toBeLessThan(MARK);
      await waitFor(
        () => serverSide.messages.length === accepted.length,
        `${accepted.length} messages at the server`,
        20_000,
      );
      expect(serverSide.messages.map((text) => Number(text.split(':')[0]))).toEqual(accepted);
      expect(wsc.send('after')).toBe('sent');
      expect(server.connections).toHaveLength(1);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});

describe('drained(token?)', () => {
  it('waiting on a backed-up socket with nothing queued, it resolves when that connection drops (nothing is held back any more)', async () => {
    const server = await startWsServer();
    const wsc = backedUp(server);
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected && server.connections.length === 1, 'connected');
      server.last().socket.pause();
      const { refusal } = await fillUntilRefused(wsc);
      expect(refusal?.code).toBe('CONNBACK_WS_QUEUE_FULL');
      expect(wsc.takeQueued().length).toBeGreaterThan(0);
      const waiting = wsc.drained();
      expect(await peek(waiting)).toBe('pending');
      server.last().socket.terminate();
      await waiting;
      expect(rec.count('close(true)')).toBe(1);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('resolves at once when nothing is held back; while down with messages queued, once the reconnect flushed them', async () => {
    const port = await refusedPort();
    let server: TestWsServer | undefined;
    const wsc = createWsConnback(`ws://${host}:${port}/`, quick({ WebSocket: WsWebSocket }));
    const rec = record(wsc.connback);
    try {
      await waitFor(() => rec.count('error:ECONNREFUSED') >= 1, 'a refused attempt');
      expect(await peek(wsc.drained())).toBe('resolved');
      expect(wsc.send('q1')).toBe('queued');
      const flushed = wsc.drained();
      expect(await peek(flushed)).toBe('pending');
      server = await startWsServer({ port });
      await flushed;
      expect(wsc.queued.messages).toBe(0);
      await waitFor(() => server?.connections[0]?.messages.length === 1, 'the queued message');
    } finally {
      wsc.end(true);
      await server?.close();
    }
  });

  it('rejects with CONNBACK_CANCELLED when its AbortSignal or token fires, with CONNBACK_ENDED on end(); takeQueued() resolves it', async () => {
    const port = await refusedPort();
    const wsc = createWsConnback(`ws://${host}:${port}/`, quick({ WebSocket: WsWebSocket }));
    try {
      wsc.send('q');
      const controller = new AbortController();
      const aborted = wsc.drained(controller.signal);
      controller.abort();
      await expect(aborted).rejects.toSatisfy((e) => isConnbackError(e, ErrorCode.Cancelled));
      await expect(wsc.drained(AbortSignal.abort())).rejects.toSatisfy((e) =>
        isConnbackError(e, ErrorCode.Cancelled),
      );
      let cancel = (): void => {};
      const token = {
        isCancellationRequested: false,
        onCancellationRequested: (listener: () => unknown) => {
          cancel = () => listener();
          return () => {};
        },
      };
      const cancelled = wsc.drained(token);
      cancel();
      await expect(cancelled).rejects.toSatisfy((e) => isConnbackError(e, ErrorCode.Cancelled));

      const taken = wsc.drained();
      expect(wsc.takeQueued()).toEqual(['q']);
      await taken;

      wsc.send('q again');
      const ended = wsc.drained();
      wsc.end();
      await expect(ended).rejects.toSatisfy((e) => isConnbackError(e, ErrorCode.Ended));
      await expect(wsc.drained()).rejects.toSatisfy((e) => isConnbackError(e, ErrorCode.Ended));
    } finally {
      wsc.end(true);
    }
  });

  it('when attempts run out, a waiting drained() and one called later (messages queued after the failure) both reject with the reason onfail gave', async () => {
    const port = await refusedPort();
    const wsc = createWsConnback(
      `ws://${host}:${port}/`,
      quick({ initialDelay: 20, maxNumOfAttempts: 2 }),
    );
    const reasons: unknown[] = [];
    wsc.connback.onfail((_last, reason) => reasons.push(reason));
    try {
      expect(wsc.send('before')).toBe('queued');
      // Handled at once: it rejects while the test is still waiting for the failure.
      const waiting = wsc.drained().then(
        () => 'resolved',
        (error: unknown) => error,
      );
      await waitFor(() => wsc.connback.state === 'failed', 'the Connback to fail');
      expect(reasons).toHaveLength(1);
      expect(await waiting).toBe(reasons[0]);
      expect(isConnbackError(reasons[0], ErrorCode.AttemptsExhausted)).toBe(true);
      wsc.takeQueued();
      expect(await peek(wsc.drained())).toBe('resolved');
      expect(wsc.send('after')).toBe('queued');
      await expect(wsc.drained()).rejects.toBe(reasons[0]);
      expect(wsc.queued.messages).toBe(1);
    } finally {
      wsc.end(true);
    }
  });
});

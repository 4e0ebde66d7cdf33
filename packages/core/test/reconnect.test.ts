import { CancellationTokenSource } from '@jil/common/cancellation.js';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/index.js';
import { advance, connected, exact, flush, harness } from './support/harness.js';

describe('semantic 11: reconnect()', () => {
  it('while connected closes the old client first, then connects a new one (row 22)', async () => {
    const h = await connected();
    const old = h.cb.client;
    h.connector.script({ kind: 'resolve' });
    const client = await h.cb.reconnect();
    expect(old?.open).toBe(false);
    expect(h.connector.closes[0]).toEqual({ client: old, force: true });
    expect(client).toBe(h.cb.client);
    expect(h.events()).toEqual([
      'connect#1',
      'close(false)',
      'offline',
      'reconnect',
      'connect#2 (reconnect)',
    ]);
    h.cb.end();
  });

  it('automatic reconnection keeps working after a manual reconnect (row 22)', async () => {
    const h = await connected();
    h.connector.script({ kind: 'resolve' });
    await h.cb.reconnect();
    await advance(1000);
    h.connector.script({ kind: 'resolve' });
    h.cb.feedClose(true);
    await flush();
    expect(h.cb.connected).toBe(true);
    expect(h.connector.connects).toBe(3);
    h.cb.end();
  });

  it('during the backoff wait attempts now, and leaves no second timer (row 20)', async () => {
    const h = harness({ ...exact, initialDelay: 10_000, connectTimeout: 0 });
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    await flush();
    expect(h.cb.state).toBe('offline');
    void h.cb.reconnect();
    expect(h.connector.connects).toBe(2);
    await advance(10_000);
    expect(h.connector.connects).toBe(2);
    h.cb.end();
  });

  it('after end() starts a fresh episode with the same invariants (row 23)', async () => {
    const h = await connected();
    h.cb.end();
    h.connector.script({ kind: 'resolve' });
    const client = await h.cb.reconnect();
    expect(h.cb.connected).toBe(true);
    expect(h.cb.client).toBe(client);
    expect(h.connector.openClients).toEqual([client]);
    h.cb.end();
    expect(h.events().filter((e) => e === 'end')).toHaveLength(2);
  });

  it('after failure starts a fresh episode with a full attempt budget', async () => {
    const h = harness({ ...exact, maxNumOfAttempts: 2, initialDelay: 100 });
    const refused = { kind: 'reject', error: new Error('refused') } as const;
    h.connector.script(refused, refused);
    await advance(100);
    expect(h.cb.state).toBe('failed');
    h.connector.script(refused, { kind: 'resolve' });
    const client = h.cb.reconnect();
    await advance(100);
    await expect(client).resolves.toBe(h.cb.client);
    h.cb.end();
  });

  it('called from an onclose listener during end() restarts once end() is done', async () => {
    const h = await connected();
    h.connector.script({ kind: 'resolve' });
    let restarted: Promise<unknown> | undefined;
    h.cb.onclose(() => {
      restarted ??= h.cb.reconnect();
    });
    h.cb.end();
    const client = await restarted;
    expect(client).toBe(h.cb.client);
    expect(h.events()).toEqual([
      'connect#1',
      'close(false)',
      'end',
      'reconnect',
      'connect#2 (reconnect)',
    ]);
    h.cb.end();
  });
});

describe('awaitable: reconnect(token) and ready(token)', () => {
  it('ready() resolves at once with the live client', async () => {
    const h = await connected();
    await expect(h.cb.ready()).resolves.toBe(h.cb.client);
    h.cb.end();
  });

  it('ready() waits for the next client through a failed attempt', async () => {
    const h = harness({ ...exact, initialDelay: 100 });
    h.connector.script({ kind: 'reject', error: new Error('refused') }, { kind: 'resolve' });
    const ready = h.cb.ready();
    await advance(100);
    await expect(ready).resolves.toBe(h.cb.client);
    h.cb.end();
  });

  it('ready(signal) rejects with CONNBACK_CANCELLED when the AbortSignal fires, and changes nothing else', async () => {
    const h = harness();
    await flush();
    const controller = new AbortController();
    const ready = h.cb.ready(controller.signal);
    controller.abort();
    await expect(ready).rejects.toMatchObject({ code: ErrorCode.Cancelled });
    expect(h.cb.state).toBe('connecting');
    h.cb.end();
  });

  it('waiting promises reject with CONNBACK_ENDED on end()', async () => {
    const h = harness();
    const ready = h.cb.ready();
    h.cb.end();
    await expect(ready).rejects.toMatchObject({ code: ErrorCode.Ended });
    await expect(h.cb.ready()).rejects.toMatchObject({ code: ErrorCode.Ended });
  });

  it('waiting promises reject with the terminal error on failure', async () => {
    const h = harness({ ...exact, maxNumOfAttempts: 1 });
    const refused = new Error('refused');
    h.connector.script({ kind: 'reject', error: refused });
    const ready = h.cb.ready();
    await flush();
    await expect(ready).rejects.toMatchObject({
      code: ErrorCode.AttemptsExhausted,
      cause: refused,
    });
    await expect(h.cb.ready()).rejects.toMatchObject({ code: ErrorCode.AttemptsExhausted });
  });

  it('cancelling a @jil token given to reconnect() stops the attempt it started and goes idle', async () => {
    const h = harness({ ...exact, lazyConnect: true });
    const source = new CancellationTokenSource();
    const promise = h.cb.reconnect(source.token);
    const pending = h.connector.lastPending;
    source.cancel();
    await expect(promise).rejects.toMatchObject({ code: ErrorCode.Cancelled });
    expect(pending.token.isCancellationRequested).toBe(true);
    expect(h.cb.state).toBe('idle');
    const late = pending.resolve();
    await flush();
    expect(late.closedWithForce).toBe(true);
    h.connector.script({ kind: 'resolve' });
    h.cb.start();
    await flush();
    expect(h.cb.connected).toBe(true);
    h.cb.end();
  });

  it('ready() with an already aborted signal rejects at once and starts nothing', async () => {
    const h = harness({ ...exact, lazyConnect: true });
    await expect(h.cb.ready(AbortSignal.abort())).rejects.toMatchObject({
      code: ErrorCode.Cancelled,
    });
    expect(h.connector.connects).toBe(0);
    expect(h.cb.state).toBe('idle');
  });

  it('an already aborted signal rejects at once and starts nothing', async () => {
    const h = harness({ ...exact, lazyConnect: true });
    await expect(h.cb.reconnect(AbortSignal.abort())).rejects.toMatchObject({
      code: ErrorCode.Cancelled,
    });
    expect(h.connector.connects).toBe(0);
    expect(h.cb.state).toBe('idle');
  });

  it('a token fired after the reconnect resolved changes nothing', async () => {
    const h = harness({ ...exact, lazyConnect: true });
    h.connector.script({ kind: 'resolve' });
    const controller = new AbortController();
    await h.cb.reconnect(controller.signal);
    controller.abort();
    await flush();
    expect(h.cb.connected).toBe(true);
    h.cb.end();
  });

  it('an ignored reconnect() promise never becomes an unhandled rejection', async () => {
    const h = harness();
    void h.cb.reconnect();
    h.cb.end();
    await flush();
    expect(h.cb.state).toBe('ended');
  });

  it('reconnect() refuses something that is not a token or a signal', () => {
    const h = harness({ ...exact, lazyConnect: true });
    expect(() => h.cb.reconnect({} as AbortSignal)).toThrow(/CancellationToken or an AbortSignal/);
  });
});

import { describe, expect, it } from 'vitest';
import { Connback, ErrorCode } from '../src/index.js';
import { FakeConnector } from './support/fake-connector.js';
import { advance, exact, flush, harness } from './support/harness.js';

describe('first connect', () => {
  it('starts after the constructor returns, so listeners added right after new see every event', async () => {
    const connector = new FakeConnector().script({ kind: 'resolve' });
    const cb = new Connback(connector, exact);
    const seen: string[] = [];
    expect(connector.connects).toBe(0);
    cb.onstatechange(({ to }) => seen.push(to));
    cb.onconnect(() => seen.push('onconnect'));
    await flush();
    expect(seen).toEqual(['connecting', 'connected', 'onconnect']);
    cb.end();
  });

  it('lazyConnect waits for start(), and onconnect says it is not a reconnect', async () => {
    const h = harness({ ...exact, lazyConnect: true });
    h.connector.script({ kind: 'resolve' });
    await advance(5000);
    expect(h.cb.state).toBe('idle');
    expect(h.connector.connects).toBe(0);
    h.cb.start();
    await flush();
    expect(h.events()).toEqual(['connect#1']);
    h.cb.end();
  });

  it('ready() starts a lazy Connback and resolves with the client', async () => {
    const h = harness({ ...exact, lazyConnect: true });
    h.connector.script({ kind: 'resolve' });
    const client = await h.cb.ready();
    expect(client).toBe(h.cb.client);
    h.cb.end();
  });

  it('a connect that returns the client synchronously connects', async () => {
    const h = harness(exact, new FakeConnector().script({ kind: 'resolve-sync' }));
    await flush();
    expect(h.cb.connected).toBe(true);
    h.cb.end();
  });
});

describe('semantic 1: at most one attempt in flight and one live client', () => {
  it('reconnect() while connecting cancels the attempt in flight and replaces it: never two (row 21)', async () => {
    const h = harness();
    await flush();
    const first = h.connector.lastPending;
    const a = h.cb.reconnect();
    const b = h.cb.reconnect();
    expect(h.connector.connects).toBe(3);
    expect(first.token.isCancellationRequested).toBe(true);
    expect(h.connector.inFlight).toHaveLength(1);
    const late = first.resolve();
    const client = h.connector.lastPending.resolve();
    await expect(a).resolves.toBe(client);
    await expect(b).resolves.toBe(client);
    expect(late.closedWithForce).toBe(true);
    expect(h.connector.openClients).toEqual([client]);
    h.cb.end();
  });

  it('a drop followed by reconnect() calls still leaves one attempt and then one client', async () => {
    const h = harness(exact, new FakeConnector().script({ kind: 'resolve' }));
    await flush();
    h.cb.feedClose();
    void h.cb.reconnect();
    void h.cb.reconnect();
    expect(h.connector.inFlight).toHaveLength(1);
    h.connector.lastPending.resolve();
    await flush();
    expect(h.connector.openClients).toHaveLength(1);
    h.cb.end();
  });
});

describe('semantic 2: cancelled attempts never deliver their client', () => {
  it('end() during connect cancels the token; a late client is force-closed, never emitted (rows 12, 18)', async () => {
    const h = harness();
    await flush();
    const pending = h.connector.lastPending;
    h.cb.end();
    expect(pending.token.isCancellationRequested).toBe(true);
    expect(pending.token.reason).toMatchObject({ code: ErrorCode.Ended });
    const late = pending.resolve();
    await flush();
    expect(late.open).toBe(false);
    expect(late.closedWithForce).toBe(true);
    expect(h.events()).toEqual(['end']);
    expect(h.cb.client).toBeUndefined();
  });

  it('reconnect() after end() cancels nothing new and ignores a rejection of the old attempt (row 13)', async () => {
    const h = harness();
    await flush();
    const old = h.connector.lastPending;
    h.cb.end();
    old.reject(new Error('late refusal'));
    await flush();
    expect(h.errors).toEqual([]);
    expect(h.connector.connects).toBe(1);
  });

  it('a connector that ignores its token does not block later attempts (row 14)', async () => {
    const h = harness({ ...exact, connectTimeout: 100, initialDelay: 50 });
    await flush();
    const ignored = h.connector.lastPending;
    await advance(100);
    expect(h.errors.map((e) => (e as { code?: string }).code)).toEqual([ErrorCode.ConnectTimeout]);
    await advance(50);
    expect(h.connector.connects).toBe(2);
    const current = h.connector.lastPending.resolve();
    const late = ignored.resolve();
    await flush();
    expect(h.cb.client).toBe(current);
    expect(late.open).toBe(false);
    h.cb.end();
  });
});

describe('semantic 3: connect timeout', () => {
  it('cancels the token at connectTimeout, reports a timeout error and backs off (row 3)', async () => {
    const h = harness({ ...exact, connectTimeout: 500, initialDelay: 200 });
    await flush();
    const first = h.connector.lastPending;
    await advance(499);
    expect(first.token.isCancellationRequested).toBe(false);
    await advance(1);
    expect(first.token.isCancellationRequested).toBe(true);
    expect(first.token.reason).toMatchObject({ code: ErrorCode.ConnectTimeout });
    expect(h.cb.state).toBe('offline');
    expect(h.events()).toEqual([`error:${ErrorCode.ConnectTimeout}`, 'offline']);
    await advance(199);
    expect(h.connector.connects).toBe(1);
    await advance(1);
    expect(h.connector.connects).toBe(2);
    h.cb.end();
  });

  it('a client arriving after the timeout is closed with force and never becomes current', async () => {
    const h = harness({ ...exact, connectTimeout: 100, initialDelay: 1000 });
    await flush();
    const first = h.connector.lastPending;
    await advance(100);
    const late = first.resolve();
    await flush();
    expect(late.closedWithForce).toBe(true);
    expect(h.cb.connected).toBe(false);
    expect(h.log).not.toContain('connect#1');
    h.cb.end();
  });

  it('connectTimeout 0 disables the timeout', async () => {
    const h = harness({ ...exact, connectTimeout: 0 });
    await flush();
    await advance(10 * 60_000);
    expect(h.cb.state).toBe('connecting');
    h.cb.end();
  });
});

describe('semantic 4: a connect that throws synchronously is a failed attempt', () => {
  it('reports the error and backs off like a rejection (row 11)', async () => {
    const boom = new Error('bad port');
    const h = harness({ ...exact, initialDelay: 100 });
    h.connector.script({ kind: 'throw', error: boom }, { kind: 'reject', error: boom });
    await flush();
    expect(h.errors).toEqual([boom]);
    expect(h.cb.state).toBe('offline');
    await advance(100);
    expect(h.errors).toEqual([boom, boom]);
    expect(h.events()).toEqual(['error:bad port', 'offline', 'reconnect', 'error:bad port']);
    h.cb.end();
  });

  it('a connect that resolves without a client fails with CONNBACK_NO_CLIENT instead of onconnect(undefined)', async () => {
    const h = harness({ ...exact, initialDelay: 100 });
    h.connector.script({ kind: 'resolve-undefined' });
    await flush();
    expect(h.events()).toEqual([`error:${ErrorCode.NoClient}`, 'offline']);
    h.cb.end();
  });
});

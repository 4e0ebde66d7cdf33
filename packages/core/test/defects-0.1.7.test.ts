import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/index.js';
import { advance, connected, exact, flush, harness } from './support/harness.js';

/** Each test reproduces a defect observed by running @connback/core 0.1.7, and fails if it returns. */
describe('defects of 0.1.7 that must not come back', () => {
  it('end() during a pending connect: no late onconnect, and the late connection is closed', async () => {
    const h = harness();
    await flush();
    const pending = h.connector.lastPending;
    h.cb.end();
    const late = pending.resolve();
    await flush();
    expect(h.events()).toEqual(['end']);
    expect(late.open).toBe(false);
  });

  it('connect timeout: no onconnect(undefined), not connected, retried, the late transport closed', async () => {
    const h = harness({ ...exact, connectTimeout: 1000, initialDelay: 100 });
    await flush();
    const first = h.connector.lastPending;
    await advance(1000);
    expect(h.cb.connected).toBe(false);
    const late = first.resolve();
    await advance(100);
    expect(h.connector.connects).toBe(2);
    expect(late.open).toBe(false);
    expect(h.log.some((e) => e.startsWith('connect#'))).toBe(false);
    h.cb.end();
  });

  it('keepalive timeout: no onend, ending stays false, later drops still reconnect', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    h.connector.script({ kind: 'resolve' });
    await advance(2000);
    expect(h.events()).not.toContain('end');
    expect(h.cb.ending).toBe(false);
    await advance(1000);
    h.connector.script({ kind: 'resolve' });
    h.cb.feedClose();
    await flush();
    expect(h.cb.connected).toBe(true);
    h.cb.end();
  });

  it('a stale close from the old client does not mark the new connection closed', async () => {
    const h = await connected();
    const old = h.cb.client;
    h.connector.script({ kind: 'resolve' });
    await h.cb.reconnect();
    h.cb.feedClose(false, old);
    expect(h.cb.connected).toBe(true);
    h.cb.end();
  });

  it('a server that accepts and drops at once: no storm (0.1.7 made 835 connects per second)', async () => {
    const h = harness({ ...exact, initialDelay: 1000 });
    // Bounded: if the storm came back, the test fails on the count instead of spinning forever.
    h.connector.onConnect = () =>
      h.connector.script(h.connector.connects > 100 ? { kind: 'pending' } : { kind: 'resolve' });
    h.cb.onconnect((client) => queueMicrotask(() => h.cb.feedClose(false, client)));
    await advance(10_000);
    expect(h.connector.connects).toBeLessThanOrEqual(6);
    h.cb.end();
  });

  it('maxNumOfAttempts 3: three attempts, every error emitted including the first, then failed', async () => {
    const h = harness({ ...exact, maxNumOfAttempts: 3, initialDelay: 100 });
    const refused = { kind: 'reject', error: new Error('refused') } as const;
    h.connector.script(refused, refused, refused, refused);
    await advance(5000);
    expect(h.connector.connects).toBe(3);
    expect(h.errors).toHaveLength(3);
    expect(h.cb.state).toBe('failed');
    expect(h.cb.reconnecting).toBe(false);
    expect(h.events().at(-1)).toBe(`fail:${ErrorCode.AttemptsExhausted}<refused`);
  });

  it('close comes before offline and reconnect, and connected is false once end() returns', async () => {
    const h = await connected();
    await advance(1000);
    h.connector.script({ kind: 'pending' });
    h.cb.feedClose();
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'offline', 'reconnect']);
    h.connector.lastPending.resolve();
    await flush();
    h.cb.end();
    expect(h.cb.connected).toBe(false);
    expect(h.cb.client).toBeUndefined();
  });
});

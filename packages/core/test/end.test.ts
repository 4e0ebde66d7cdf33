import { describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../src/index.js';
import { advance, connected, exact, flush, harness } from './support/harness.js';

describe('semantic 10: end(force)', () => {
  it('closes the client with the given force, fires close(false) then end, once, and returns this', async () => {
    const h = await connected();
    const client = h.cb.client;
    expect(h.cb.end(true)).toBe(h.cb);
    expect(h.connector.closes).toEqual([{ client, force: true }]);
    expect(h.cb.connected).toBe(false);
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
    expect(h.cb.end()).toBe(h.cb);
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
  });

  it('end() without force asks for a graceful close (row 24: idempotent)', async () => {
    const h = await connected();
    h.cb.end();
    h.cb.end(true);
    expect(h.connector.closes.map((c) => c.force)).toEqual([false]);
    expect(h.events().filter((e) => e === 'end')).toHaveLength(1);
  });

  it('a close that never settles does not hold end() back (row 9)', async () => {
    const h = await connected();
    h.connector.closeScript = 'hang';
    h.cb.end();
    expect(h.cb.state).toBe('ended');
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
  });

  it.each([
    ['throws', 'throw', ['connect#1', `error:${ErrorCode.CloseFailed}`, 'close(false)', 'end']],
    ['rejects', 'reject', ['connect#1', 'close(false)', 'end', `error:${ErrorCode.CloseFailed}`]],
  ] as const)(
    'a close that %s goes to onerror once; the state still ends (row 10)',
    async (_, script, order) => {
      const h = await connected();
      h.connector.closeScript = script;
      h.cb.end();
      await flush();
      expect(h.cb.state).toBe('ended');
      expect(h.events()).toEqual(order);
      expect(h.errors[0]?.cause).toBeInstanceOf(Error);
    },
  );

  it('end() during the backoff wait: no further attempt, ever (row 19)', async () => {
    const h = harness({ ...exact, initialDelay: 100 });
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    await flush();
    expect(h.cb.state).toBe('offline');
    h.cb.end();
    await advance(60_000);
    expect(h.connector.connects).toBe(1);
    expect(h.events()).toEqual(['error:refused', 'offline', 'end']);
  });

  it('end() before the eager start means no attempt at all', async () => {
    const h = harness();
    h.cb.end();
    await flush();
    expect(h.connector.connects).toBe(0);
    expect(h.events()).toEqual(['end']);
  });

  it('end() after failure fires end and stays ended', async () => {
    const h = harness({ ...exact, maxNumOfAttempts: 1 });
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    await flush();
    expect(h.cb.state).toBe('failed');
    h.cb.end();
    expect(h.cb.state).toBe('ended');
    expect(h.events().at(-1)).toBe('end');
  });
});

describe('semantic 13: after end() nothing of connback remains', () => {
  it.each([
    ['connected with keepalive', { ...exact, keepalive: 1 }, 'resolve'],
    ['connecting with a connect timeout', { ...exact, connectTimeout: 1000 }, 'pending'],
    ['waiting to retry', { ...exact, initialDelay: 5000 }, 'reject'],
  ] as const)('no timer is left when ending while %s', async (_, options, script) => {
    const h = harness(options);
    h.connector.script(
      script === 'reject' ? { kind: 'reject', error: new Error('refused') } : { kind: script },
    );
    await flush();
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    h.cb.end();
    await flush();
    expect(vi.getTimerCount()).toBe(0);
    expect(h.connector.openClients).toEqual([]);
  });
});

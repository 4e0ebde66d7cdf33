import { describe, expect, it, vi } from 'vitest';
import { recordFigure } from '../../../test-support/figures.js';
import { Heartbeat } from '../src/heartbeat.js';
import { ErrorCode, isConnbackError } from '../src/index.js';
import type { Timers } from '../src/timers.js';
import { FakeConnector } from './support/fake-connector.js';
import { advance, connected, exact, flush, harness } from './support/harness.js';

const codes = (errors: Error[]) => errors.map((e) => (isConnbackError(e) ? e.code : e.message));

describe('semantic 7: keepalive', () => {
  it('pings every keepalive seconds while heartbeats come back', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    for (let second = 1; second <= 5; second += 1) {
      await advance(1000);
      expect(h.connector.pings).toHaveLength(second);
      h.cb.feedHeartbeat(h.cb.client);
    }
    expect(h.errors).toEqual([]);
    h.cb.end();
  });

  it('a keepalive longer than a second pings first at exactly K, wherever the connect falls between two ticks of the wake watcher', async () => {
    // A first Connback makes the process-wide watcher tick at 1 s, 2 s, ...; the second connects
    // 1 ms before a tick, and its keepalive timer is armed only at that tick.
    const other = await connected({ ...exact, keepalive: 60 });
    await advance(999);
    const h = await connected({ ...exact, keepalive: 3 });
    await advance(2999);
    expect(h.connector.pings).toHaveLength(0);
    await advance(1);
    expect(h.connector.pings).toHaveLength(1);
    h.cb.feedHeartbeat(h.cb.client);
    await advance(2999);
    expect(h.connector.pings).toHaveLength(1);
    await advance(1);
    expect(h.connector.pings).toHaveLength(2);
    expect(h.errors).toEqual([]);
    h.cb.end();
    other.cb.end();
  });

  it('a connection ended before the wake watcher ticks never pings and leaves no timer', async () => {
    const h = await connected({ ...exact, keepalive: 3 });
    await advance(500);
    h.cb.end();
    expect(vi.getTimerCount()).toBe(0);
    await advance(5000);
    expect(h.connector.pings).toHaveLength(0);
  });

  it('a silent peer is force-closed within 2 × keepalive, with the keepalive code, then reconnected — never onend (row 7)', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    const client = h.cb.client;
    h.connector.script({ kind: 'resolve' });
    await advance(1999);
    expect(h.cb.client).toBe(client);
    await advance(1);
    expect(client?.closedWithForce).toBe(true);
    expect(codes(h.errors)).toEqual([ErrorCode.KeepaliveTimeout]);
    await flush();
    expect(h.events()).toEqual([
      'connect#1',
      `error:${ErrorCode.KeepaliveTimeout}`,
      'close(true)',
      'offline',
      'reconnect',
      'connect#2 (reconnect)',
    ]);
    expect(h.cb.ending).toBe(false);
    h.cb.end();
  });

  it('after a keepalive timeout, later drops still reconnect (0.1.7 stayed ending forever)', async () => {
    const h = await connected({ ...exact, keepalive: 1, minUptime: 0 });
    h.connector.script({ kind: 'resolve' });
    await advance(2000);
    expect(h.cb.connected).toBe(true);
    h.connector.script({ kind: 'resolve' });
    h.cb.feedClose(false);
    await flush();
    expect(h.cb.connected).toBe(true);
    expect(h.connector.connects).toBe(3);
    h.cb.end();
  });

  it('the dead peer is detected at most 2 × keepalive after its last heartbeat, whenever it fell silent (R3, fake time)', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    h.connector.script({ kind: 'pending' });
    let lastBeat = 0;
    for (let t = 0; t < 3700; t += 100) {
      await advance(100);
      h.cb.feedHeartbeat();
      lastBeat = Date.now();
    }
    const client = h.cb.client;
    while (client?.open) await advance(10);
    expect(Date.now() - lastBeat).toBeLessThanOrEqual(2000);
    recordFigure(
      'R3',
      'half-open detection on fake time: silence until the force-close, K = 1 s (bound < 2000 ms)',
      Date.now() - lastBeat,
      'ms',
    );
    h.cb.end();
  });

  it('reschedulePingTimer() postpones pings while heartbeats arrive, never the dead-peer deadline', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    // Traffic both ways: no ping is needed.
    for (let i = 0; i < 30; i += 1) {
      await advance(100);
      h.cb.reschedulePingTimer();
      h.cb.feedHeartbeat();
    }
    expect(h.connector.pings).toHaveLength(0);
    // The peer goes silent while we keep sending: it is still declared dead within 2 × keepalive.
    const silentSince = Date.now();
    const client = h.cb.client;
    while (client?.open && Date.now() - silentSince < 5000) {
      await advance(100);
      h.cb.reschedulePingTimer();
    }
    expect(client?.open).toBe(false);
    expect(Date.now() - silentSince).toBeLessThanOrEqual(2000);
    expect(h.connector.pings.length).toBeGreaterThan(0);
    h.cb.end();
  });

  it.each(['throw', 'reject'] as const)(
    'a ping that %ss counts as a failed heartbeat: reported, connection dropped, never uncaught (row 15)',
    async (script) => {
      const h = await connected({ ...exact, keepalive: 1 });
      h.connector.pingScript = script;
      h.connector.script({ kind: 'pending' });
      await advance(1000);
      expect(codes(h.errors)).toEqual([ErrorCode.PingFailed]);
      expect(h.errors[0]?.cause).toBeInstanceOf(Error);
      expect(h.cb.connected).toBe(false);
      h.cb.end();
    },
  );

  it('keepalive 0 arms no heartbeat timer at all (row 26)', async () => {
    const h = await connected({ ...exact, keepalive: 0, connectTimeout: 1000 });
    expect(vi.getTimerCount()).toBe(0);
    await advance(10 * 60_000);
    expect(h.connector.pings).toEqual([]);
    expect(h.cb.connected).toBe(true);
    h.cb.end();
  });

  it('a heartbeat arriving with latency below keepalive/4 never causes a false close (row 27, R5, fake time)', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    const client = h.cb.client;
    // Latencies spread over K/4 ± K/8 (125..375 ms), in a fixed order so every run is the same.
    const latencyOf = (n: number) => 125 + ((n * 97) % 251);
    let answered = 0;
    const end = Date.now() + 50_000; // 50 × K
    while (Date.now() < end) {
      await advance(25);
      while (answered < h.connector.pings.length) {
        answered += 1;
        setTimeout(() => h.cb.feedHeartbeat(client), latencyOf(answered));
      }
    }
    expect(answered).toBeGreaterThanOrEqual(49);
    expect(h.errors).toEqual([]);
    recordFigure(
      'R5',
      'false keepalive closes, heartbeat latency K/4 ± K/8 over 50 × K (fake time)',
      h.errors.length,
      'closes',
    );
    expect(h.cb.client).toBe(client);
    h.cb.end();
    await advance(400); // the answer still in flight is ignored after end()
  });
});

describe('Heartbeat alone, against a fake host', () => {
  function fakeTimers(): Timers {
    return {
      set: (callback, ms, arg) => setTimeout(callback, ms, arg),
      refresh: (handle) => {
        (handle as ReturnType<typeof setTimeout>).refresh();
        return true;
      },
      clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      now: () => Date.now(),
    };
  }

  it('pings at each period and declares death one period after an unanswered ping', async () => {
    const calls: string[] = [];
    const beat = new Heartbeat(
      1000,
      {
        ping: () => calls.push(`ping@${Date.now()}`),
        dead: () => calls.push(`dead@${Date.now()}`),
      },
      undefined,
      'client',
      fakeTimers(),
    );
    const start = Date.now();
    beat.start();
    await advance(1000);
    beat.beat();
    await advance(2000);
    expect(calls).toEqual([`ping@${start + 1000}`, `ping@${start + 2000}`, `dead@${start + 3000}`]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop() clears its timer', () => {
    const beat = new Heartbeat(
      1000,
      { ping: () => undefined, dead: () => undefined },
      undefined,
      'client',
      fakeTimers(),
    );
    beat.start();
    beat.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('semantic 17: a connection the connector cannot ping', () => {
  /** A fake connector whose clients cannot be pinged (a browser WebSocket without a ping message). */
  class UnpingableConnector extends FakeConnector {
    canPing = (): boolean => false;
  }

  it('runs no keepalive when canPing says no: a silent peer stays connected past 20 × keepalive, no ping, no timer', async () => {
    const h = harness(
      { ...exact, keepalive: 1 },
      new UnpingableConnector().script({ kind: 'resolve' }),
    );
    await flush();
    expect(h.cb.connected).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await advance(20_000);
    expect(h.cb.connected).toBe(true);
    expect(h.connector.pings).toEqual([]);
    expect(h.events()).toEqual(['connect#1']);
    h.cb.end();
  });

  it('a canPing that throws is reported through onerror and the keepalive runs as usual', async () => {
    const connector = new FakeConnector().script({ kind: 'resolve' });
    Object.assign(connector, {
      canPing: () => {
        throw new Error('canPing blew up');
      },
    });
    const h = harness({ ...exact, keepalive: 1 }, connector);
    await flush();
    expect(h.errors.map((e) => e.message)).toEqual(['an event listener threw: canPing blew up']);
    await advance(1000);
    expect(h.connector.pings).toHaveLength(1);
    h.cb.end();
  });

  it('a canPing that is not a function is refused at construction, naming it', () => {
    const connector = Object.assign(new FakeConnector(), { canPing: true });
    expect(() => harness(exact, connector)).toThrow(/canPing must be a function/);
  });
});

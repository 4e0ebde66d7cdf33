import { describe, expect, it, vi } from 'vitest';
import {
  type ConnbackEnvironment,
  type EnvironmentSignal,
  ErrorCode,
  isConnbackError,
  type WakeInfo,
} from '../src/index.js';
import { type FakeClient, FakeConnector } from './support/fake-connector.js';
import { advance, connected, exact, flush, type Harness, harness } from './support/harness.js';

const codes = (errors: Error[]) => errors.map((e) => (isConnbackError(e) ? e.code : e.message));

/**
 * Every timer fires once, late, `ms` from now, as after a stopped process or a paused VM (the
 * monotonic clock went on while nothing ran): fake-timers' `jump`, reached through the installed
 * `setTimeout` (vitest does not wrap it).
 */
function stopFor(ms: number): void {
  (setTimeout as unknown as { clock: { jump(ms: number): void } }).clock.jump(ms);
}

/** The wall clock moves `ms` ahead while the monotonic clock stays: a suspended machine. */
function suspendFor(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

/** The peer answers every ping a moment later (a pong read by the transport). */
function answerPings(h: Harness): void {
  h.connector.onPing = (client: FakeClient) => queueMicrotask(() => h.cb.feedHeartbeat(client));
}

function wakes(h: Harness): WakeInfo[] {
  const seen: WakeInfo[] = [];
  h.cb.onwake((info) => seen.push(info));
  return seen;
}

/** An environment the test drives: `online` and `visible` flags, signals sent by hand. */
class FakeEnvironment implements ConnbackEnvironment {
  isOnline = true;
  isVisible = true;
  readonly listeners = new Set<(signal: EnvironmentSignal) => void>();
  online(): boolean {
    return this.isOnline;
  }
  visible(): boolean {
    return this.isVisible;
  }
  subscribe(listener: (signal: EnvironmentSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  send(signal: EnvironmentSignal): void {
    if (signal === 'online' || signal === 'offline') this.isOnline = signal === 'online';
    if (signal === 'visible' || signal === 'hidden') this.isVisible = signal === 'visible';
    for (const listener of [...this.listeners]) listener(signal);
  }
}

const K = 2; // keepalive, s: probe deadline min(5 s, K) = 2 s
const KMS = K * 1000;

describe('semantic 18: wake-up while connected (row 35)', () => {
  it('timers 10 × K late (a stopped process): a probe at once, and a silent peer is dropped within the probe deadline', async () => {
    const h = await connected({ ...exact, keepalive: K });
    const seen = wakes(h);
    const client = h.cb.client;
    h.connector.script({ kind: 'pending' });
    stopFor(10 * KMS);
    await flush();
    expect(seen).toEqual([{ asleep: 10 * KMS - KMS, action: 'probe' }]);
    expect(h.connector.pings).toHaveLength(1);
    expect(h.cb.client).toBe(client);
    await advance(KMS - 1);
    expect(h.cb.client).toBe(client);
    await advance(1);
    expect(h.cb.connected).toBe(false);
    expect(codes(h.errors)).toEqual([ErrorCode.KeepaliveTimeout]);
    expect(h.cb.stats.wakes).toBe(1);
    h.cb.end();
  });

  it('timers 10 × K late with a ping already out: the pong waiting to be read is not a false close', async () => {
    const h = await connected({ ...exact, keepalive: K });
    await advance(KMS);
    expect(h.connector.pings).toHaveLength(1);
    // The pong arrived while the process was stopped: the transport reads it after the timers.
    answerPings(h);
    stopFor(10 * KMS);
    const client = h.cb.client;
    h.cb.feedHeartbeat(client);
    await flush();
    await advance(5 * KMS);
    expect(h.cb.client).toBe(client);
    expect(h.errors).toEqual([]);
    h.cb.end();
  });

  it('the wall clock 10 × K ahead with the monotonic clock paused (a suspended machine): a probe within a second, no drop when the peer answers', async () => {
    const K30 = 30;
    const h = await connected({ ...exact, keepalive: K30 });
    const seen = wakes(h);
    answerPings(h);
    const client = h.cb.client;
    suspendFor(10 * K30 * 1000);
    await advance(1000);
    expect(seen).toEqual([{ asleep: 10 * K30 * 1000, action: 'probe' }]);
    expect(h.connector.pings).toHaveLength(1);
    await advance(10 * K30 * 1000);
    expect(h.cb.client).toBe(client);
    expect(h.errors).toEqual([]);
    h.cb.end();
  });

  it('a suspended machine with a dead peer (K = 30 s): known dead 5 s after the wake, not 60 s', async () => {
    const h = await connected({ ...exact, keepalive: 30 });
    h.connector.script({ kind: 'pending' });
    suspendFor(300_000);
    await advance(1000);
    expect(h.connector.pings).toHaveLength(1);
    await advance(4999);
    expect(h.cb.connected).toBe(true);
    await advance(1);
    expect(h.cb.connected).toBe(false);
    expect(codes(h.errors)).toEqual([ErrorCode.KeepaliveTimeout]);
    h.cb.end();
  });

  it('a wall clock stepped back, or ahead by a few seconds (NTP), is no wake-up', async () => {
    const h = await connected({ ...exact, keepalive: K });
    const seen = wakes(h);
    answerPings(h);
    suspendFor(-3_600_000);
    await advance(1000);
    suspendFor(5000);
    await advance(1000);
    expect(seen).toEqual([]);
    expect(h.cb.stats.wakes).toBe(0);
    h.cb.end();
  });

  it('a pause shorter than half a keepalive is no wake-up (a busy event loop)', async () => {
    const h = await connected({ ...exact, keepalive: 60 });
    const seen = wakes(h);
    stopFor(20_000);
    await flush();
    expect(seen).toEqual([]);
    expect(h.connector.pings).toHaveLength(0);
    h.cb.end();
  });
});

describe('semantic 18: wake-up while waiting to retry', () => {
  it('a 5 s stop during a 20 s backoff wait: one attempt at once, then the normal delays', async () => {
    const h = harness(
      { ...exact, initialDelay: 20_000, maxDelay: 30_000 },
      new FakeConnector().script({ kind: 'reject', error: new Error('refused') }),
    );
    const seen = wakes(h);
    await flush();
    expect(h.cb.stats.nextDelay).toBe(20_000);
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    stopFor(5000);
    await flush();
    expect(seen).toEqual([{ asleep: 4000, action: 'retry' }]);
    expect(h.connector.connects).toBe(2);
    // Never a burst: the next wait is the strategy's.
    expect(h.cb.stats.nextDelay).toBe(20_000);
    await advance(19_999);
    expect(h.connector.connects).toBe(2);
    h.cb.end();
  });

  it('a suspended machine during a backoff wait: one attempt within a second', async () => {
    const h = harness(
      { ...exact, initialDelay: 20_000, maxDelay: 30_000 },
      new FakeConnector().script({ kind: 'reject', error: new Error('refused') }),
    );
    await flush();
    suspendFor(60_000);
    await advance(1000);
    expect(h.connector.connects).toBe(2);
    h.cb.end();
  });

  it('with jitter, the cut wait is spread over half a second so a fleet does not retry at once', async () => {
    const h = harness(
      { ...exact, jitter: (delay) => delay, initialDelay: 20_000, maxDelay: 30_000 },
      new FakeConnector().script({ kind: 'reject', error: new Error('refused') }),
    );
    await flush();
    stopFor(5000);
    await flush();
    expect(h.cb.stats.wakes).toBe(1);
    await advance(499);
    expect(h.connector.connects).toBe(2);
    h.cb.end();
  });

  it('a wait is cut once: a second stop during the same wait does not attempt again', async () => {
    const h = harness(
      { ...exact, jitter: (delay) => delay, initialDelay: 20_000, maxDelay: 30_000 },
      new FakeConnector().script({ kind: 'reject', error: new Error('refused') }),
    );
    await flush();
    // Two stops back to back: the second finds the cut (spread) wait and leaves it alone.
    stopFor(5000);
    stopFor(5000);
    await flush();
    expect(h.connector.connects).toBe(2);
    expect(h.cb.stats.wakes).toBe(1);
    h.cb.end();
  });
});

describe('semantic 18: throttled timers (a hidden page) are not a wake-up (row 36)', () => {
  it('timers fired once a minute in batches for an hour while hidden and the peer answers: 0 false closes, no probe', async () => {
    const environment = new FakeEnvironment();
    environment.isVisible = false;
    const h = await connected({ ...exact, keepalive: 10, environment });
    const seen = wakes(h);
    answerPings(h);
    for (let minute = 0; minute < 60; minute += 1) {
      stopFor(60_000);
      await flush();
    }
    expect(h.log.filter((e) => e.startsWith('close'))).toEqual([]);
    expect(h.errors).toEqual([]);
    expect(seen).toEqual([]);
    // One ping per batch: the keepalive runs as slowly as the page lets it.
    expect(h.connector.pings.length).toBeLessThanOrEqual(60);
    h.cb.end();
  });

  it('the same batches with no environment (a throttled process): 0 false closes, at most one probe per batch', async () => {
    const h = await connected({ ...exact, keepalive: 10 });
    const seen = wakes(h);
    answerPings(h);
    for (let minute = 0; minute < 60; minute += 1) {
      stopFor(60_000);
      await flush();
    }
    expect(h.log.filter((e) => e.startsWith('close'))).toEqual([]);
    expect(h.errors).toEqual([]);
    expect(seen.length).toBeLessThanOrEqual(60);
    expect(h.connector.pings.length).toBeLessThanOrEqual(60);
    h.cb.end();
  });
});

describe('probe()', () => {
  it('resolves with the round trip in ms when the peer answers', async () => {
    const h = await connected({ ...exact, keepalive: 30 });
    h.connector.onPing = (client) => {
      setTimeout(() => h.cb.feedHeartbeat(client), 40);
    };
    const rtt = h.cb.probe();
    await advance(40);
    expect(await rtt).toBe(40);
    expect(h.connector.pings).toHaveLength(1);
    h.cb.end();
  });

  it('resolves false and drops the connection when the probe deadline passes; one ping for two calls', async () => {
    const h = await connected({ ...exact, keepalive: 30, probeTimeout: 1000 });
    h.connector.script({ kind: 'pending' });
    const first = h.cb.probe();
    const second = h.cb.probe();
    expect(h.connector.pings).toHaveLength(1);
    await advance(1000);
    expect(await first).toBe(false);
    expect(await second).toBe(false);
    expect(codes(h.errors)).toEqual([ErrorCode.KeepaliveTimeout]);
    h.cb.end();
  });

  it('resolves false when there is nothing to probe: not connected, or keepalive 0', async () => {
    const h = await connected({ ...exact, keepalive: 0 });
    expect(await h.cb.probe()).toBe(false);
    h.cb.end();
    expect(await h.cb.probe()).toBe(false);
  });

  it('resolves false when the connection closes first', async () => {
    const h = await connected({ ...exact, keepalive: 30 });
    h.connector.script({ kind: 'pending' });
    const answer = h.cb.probe();
    h.cb.feedClose(true);
    expect(await answer).toBe(false);
    h.cb.end();
  });

  it('may be called from inside a listener (semantic 15)', async () => {
    const h = harness({ ...exact, keepalive: 30 }, new FakeConnector().script({ kind: 'resolve' }));
    let answer: Promise<number | false> | undefined;
    h.cb.onconnect(() => {
      answer = h.cb.probe();
    });
    answerPings(h);
    await flush();
    expect(typeof (await answer)).toBe('number');
    h.cb.end();
  });
});

describe('semantic 19: the environment', () => {
  it('offline while waiting to retry: no attempt and none counted; online: an attempt at once', async () => {
    const environment = new FakeEnvironment();
    const h = harness(
      { ...exact, environment, initialDelay: 1000, maxDelay: 1000, maxNumOfAttempts: 3 },
      new FakeConnector().script({ kind: 'reject', error: new Error('refused') }),
    );
    await flush();
    expect(h.cb.stats.waitingFor).toBe('backoff');
    environment.send('offline');
    expect(h.cb.state).toBe('offline');
    expect(h.cb.stats.waitingFor).toBe('network');
    await advance(60_000);
    expect(h.connector.connects).toBe(1);
    expect(h.cb.stats.outageAttempts).toBe(1);
    h.connector.script({ kind: 'resolve' });
    environment.send('online');
    expect(h.connector.connects).toBe(2);
    await flush();
    expect(h.cb.connected).toBe(true);
    h.cb.end();
    expect(environment.listeners.size).toBe(0);
  });

  it('an attempt that fails while offline waits for the network, not for its backoff delay', async () => {
    const environment = new FakeEnvironment();
    environment.isOnline = false;
    const h = harness(
      { ...exact, environment, maxNumOfAttempts: 2 },
      new FakeConnector().script({ kind: 'reject', error: new Error('no network') }),
    );
    await flush();
    await advance(600_000);
    expect(h.connector.connects).toBe(1);
    expect(h.cb.state).toBe('offline');
    expect(h.cb.stats.waitingFor).toBe('network');
    h.connector.script({ kind: 'resolve' });
    environment.send('online');
    await flush();
    expect(h.cb.connected).toBe(true);
    h.cb.end();
  });

  it('offline while connected probes the connection instead of closing it', async () => {
    const environment = new FakeEnvironment();
    const h = await connected({ ...exact, keepalive: 30, environment });
    answerPings(h);
    const client = h.cb.client;
    environment.send('offline');
    expect(h.connector.pings).toHaveLength(1);
    await advance(10_000);
    expect(h.cb.client).toBe(client);
    h.cb.end();
  });

  it('visible and pageshow probe a connection that may be stale; hidden does not', async () => {
    const environment = new FakeEnvironment();
    const h = await connected({ ...exact, keepalive: 30, environment });
    answerPings(h);
    environment.send('hidden');
    expect(h.connector.pings).toHaveLength(0);
    environment.send('visible');
    await flush();
    expect(h.connector.pings).toHaveLength(1);
    environment.send('pageshow');
    await flush();
    expect(h.connector.pings).toHaveLength(2);
    h.cb.end();
  });

  it('a signal sent from inside a listener takes effect after it (semantic 15)', async () => {
    const environment = new FakeEnvironment();
    const h = harness(
      { ...exact, environment },
      new FakeConnector().script({ kind: 'reject', error: new Error('refused') }),
    );
    h.cb.onerror(() => environment.send('offline'));
    await flush();
    expect(h.cb.stats.waitingFor).toBe('network');
    await advance(10_000);
    expect(h.connector.connects).toBe(1);
    h.cb.end();
  });

  it('a throwing environment is reported and counts as online and visible', async () => {
    const environment: ConnbackEnvironment = {
      online: () => {
        throw new Error('no navigator');
      },
    };
    const h = harness(
      { ...exact, environment },
      new FakeConnector().script({ kind: 'reject', error: new Error('refused') }),
    );
    await flush();
    expect(h.errors.some((e) => /no navigator/.test(e.message))).toBe(true);
    expect(h.cb.stats.waitingFor).toBe('backoff');
    h.cb.end();
  });

  it('a subscribe that ends the Connback from inside leaves no subscription behind (semantic 15)', async () => {
    let subscribed = 0;
    let h: Harness | undefined;
    const environment: ConnbackEnvironment = {
      subscribe: () => {
        subscribed += 1;
        h?.cb.end();
        return () => {
          subscribed -= 1;
        };
      },
    };
    h = harness({ ...exact, environment, lazyConnect: true });
    h.cb.start();
    await flush();
    expect(h.cb.state).toBe('ended');
    expect(subscribed).toBe(0);
  });

  it('environment must be an object', () => {
    expect(() => harness({ ...exact, environment: 1 as never, lazyConnect: true })).toThrow(
      /option "environment"/,
    );
  });
});

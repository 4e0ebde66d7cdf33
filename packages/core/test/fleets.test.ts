import { describe, expect, it, vi } from 'vitest';
import {
  type AttemptToken,
  Connback,
  EndpointPool,
  ErrorCode,
  isConnbackError,
  RetryBudget,
  withHandshake,
} from '../src/index.js';
import { type FakeClient, FakeConnector } from './support/fake-connector.js';
import { advance, connected, exact, flush, harness } from './support/harness.js';

const quiet = { ...exact, connectTimeout: 0 };

/** `n` connected harnesses whose connections are stable (up longer than minUptime). */
async function fleet(n: number, options = quiet) {
  const hs = [];
  for (let i = 0; i < n; i++) hs.push(await connected(options));
  await advance(1000);
  return hs;
}

/** Drops every connection; each Connback's next attempt stays pending. */
function dropAll(hs: Awaited<ReturnType<typeof fleet>>): void {
  for (const h of hs) {
    h.connector.script({ kind: 'pending' });
    h.cb.feedClose(false);
  }
}

function nth<H>(list: readonly H[], i: number): H {
  const item = list[i];
  if (item === undefined) throw new Error(`no item ${i}`);
  return item;
}

const reconnecting = (hs: Awaited<ReturnType<typeof fleet>>) =>
  hs.filter((h) => h.connector.connects === 2).length;

describe('semantic 5: the first retry after a stable connection, herd-safe by default', () => {
  it('a lone Connback with the default jitter retries at once', async () => {
    const h = nth(await fleet(1, { keepalive: 0, connectTimeout: 0 }), 0);
    dropAll([h]);
    await flush();
    expect(h.connector.connects).toBe(2);
    h.cb.end();
  });

  it('100 Connbacks that drop together retry in turn, half a millisecond apart, not at once', async () => {
    const hs = await fleet(100, { keepalive: 0, connectTimeout: 0 });
    dropAll(hs);
    await flush();
    expect(reconnecting(hs)).toBeLessThanOrEqual(2);
    await advance(25);
    expect(reconnecting(hs)).toBeGreaterThan(40);
    expect(reconnecting(hs)).toBeLessThan(60);
    await advance(30);
    expect(reconnecting(hs)).toBe(100);
    for (const h of hs) h.cb.end();
  });

  it('a herd larger than the window still retries within initialDelay', async () => {
    const hs = await fleet(300, { keepalive: 0, connectTimeout: 0, initialDelay: 50 });
    dropAll(hs);
    // Spread, not at once: the slots (or, past the window, uniform delays) are mostly above 0 ms.
    // (Whether any falls on the window's last millisecond depends on where the process-wide
    // slot stood, so the bound is checked at the window's end only.)
    await flush();
    expect(reconnecting(hs)).toBeLessThan(300);
    await advance(50);
    expect(reconnecting(hs)).toBe(300);
    for (const h of hs) h.cb.end();
  });

  it("jitter 'none' keeps the exact sequence: every first retry at once", async () => {
    const hs = await fleet(20);
    dropAll(hs);
    await flush();
    expect(reconnecting(hs)).toBe(20);
    for (const h of hs) h.cb.end();
  });
});

describe('a retry budget many Connbacks share', () => {
  it('delays attempts past the burst, never fails them, first come first served, one timer', async () => {
    const budget = new RetryBudget({ rate: 10, burst: 1 });
    const hs = await fleet(3, { ...quiet, budget });
    dropAll(hs);
    await flush();
    expect(hs.map((h) => h.connector.connects)).toEqual([2, 1, 1]);
    expect(hs.map((h) => h.cb.state)).toEqual(['connecting', 'offline', 'offline']);
    expect(vi.getTimerCount()).toBe(1);
    expect(budget.stats()).toMatchObject({ waiting: 2, granted: 1, delayed: 2 });
    await advance(100);
    expect(hs.map((h) => h.connector.connects)).toEqual([2, 2, 1]);
    await advance(100);
    expect(hs.map((h) => h.connector.connects)).toEqual([2, 2, 2]);
    expect(hs.flatMap((h) => h.errors)).toEqual([]);
    expect(budget.stats()).toMatchObject({ waiting: 0, granted: 3, maxWait: 200, meanWait: 150 });
    for (const h of hs) h.cb.end();
  });

  it('end() and reconnect() take a waiting Connback out of the queue, leaving no timer (semantic 13)', async () => {
    const budget = new RetryBudget({ rate: 1, burst: 1 });
    const hs = await fleet(3, { ...quiet, budget });
    dropAll(hs);
    await flush();
    nth(hs, 1).cb.end();
    expect(budget.stats().waiting).toBe(1);
    nth(hs, 2).connector.scripts.length = 0;
    nth(hs, 2).connector.script({ kind: 'resolve' });
    await nth(hs, 2).cb.reconnect();
    expect(budget.stats().waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    nth(hs, 0).cb.end();
    nth(hs, 2).cb.end();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('composes with the backoff: the later of the two wins', async () => {
    const budget = new RetryBudget({ rate: 1, burst: 1 });
    const h = harness({ ...quiet, budget, initialDelay: 300 });
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    await flush();
    // First retry after a failure: the backoff (300 ms) is later than the budget (its one token).
    await advance(299);
    expect(h.connector.connects).toBe(1);
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    await advance(1);
    expect(h.connector.connects).toBe(2);
    // Next: backoff 300 ms again (fibonacci 300, 300), but the budget is empty until 1 s after
    // the token was spent: the budget wins.
    await advance(300);
    expect(h.connector.connects).toBe(2);
    expect(h.cb.state).toBe('offline');
    await advance(700);
    expect(h.connector.connects).toBe(3);
    h.cb.end();
  });

  it('is fair: with one attempt a second, each of five Connbacks gets its turn in order', async () => {
    const budget = new RetryBudget({ rate: 1, burst: 1 });
    const hs = await fleet(5, { ...quiet, budget });
    const order: number[] = [];
    for (const [i, h] of hs.entries()) h.cb.onreconnect(() => order.push(i));
    dropAll(hs);
    await advance(4000);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    for (const h of hs) h.cb.end();
  });

  it('a Connback granted its attempt may end() another waiting one from its listener (semantic 15)', async () => {
    const budget = new RetryBudget({ rate: 10, burst: 1 });
    const hs = await fleet(3, { ...quiet, budget });
    nth(hs, 1).cb.onreconnect(() => nth(hs, 2).cb.end());
    dropAll(hs);
    await advance(100);
    expect(hs.map((h) => h.cb.state)).toEqual(['connecting', 'connecting', 'ended']);
    expect(budget.stats().waiting).toBe(0);
    for (const h of hs) h.cb.end();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reconnect() is the application asking: it does not wait for the budget', async () => {
    const budget = new RetryBudget({ rate: 1, burst: 1 });
    const hs = await fleet(2, { ...quiet, budget });
    dropAll(hs);
    await flush();
    nth(hs, 1).connector.scripts.length = 0;
    nth(hs, 1).connector.script({ kind: 'resolve' });
    await nth(hs, 1).cb.reconnect();
    expect(nth(hs, 1).cb.connected).toBe(true);
    for (const h of hs) h.cb.end();
  });

  it("RetryBudget.setDefault() gives every later Connback the budget; 'none' opts out", async () => {
    const budget = RetryBudget.shared();
    expect(RetryBudget.shared()).toBe(budget);
    RetryBudget.setDefault(new RetryBudget({ rate: 1, burst: 1 }));
    try {
      const hs = await fleet(2, { ...quiet });
      const out = nth(await fleet(1, { ...quiet, budget: 'none' }), 0);
      dropAll([...hs, out]);
      await flush();
      expect([...hs, out].map((h) => h.connector.connects)).toEqual([2, 1, 2]);
      for (const h of [...hs, out]) h.cb.end();
    } finally {
      RetryBudget.setDefault(undefined);
    }
  });

  it('bad budget options are refused with CONNBACK_INVALID_OPTION naming the option', () => {
    const invalid = (f: () => unknown, name: string) => {
      try {
        f();
      } catch (error) {
        expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
        expect((error as Error).message).toContain(`"${name}"`);
        return;
      }
      throw new Error('did not throw');
    };
    invalid(() => new RetryBudget({ rate: 0 }), 'rate');
    invalid(() => new RetryBudget({ burst: 0.5 }), 'burst');
    invalid(
      () => new Connback(new FakeConnector(), { budget: {} as RetryBudget, lazyConnect: true }),
      'budget',
    );
  });
});

describe('semantic 20: endpoint pools', () => {
  const names = (pool: EndpointPool<string>, n: number) =>
    Array.from({ length: n }, () => pool.pick());

  it("'in-order' tries the primary first, skips it while it waits its own delay, then goes back", async () => {
    const pool = new EndpointPool(['a', 'b', 'c'], { initialDelay: 1000 });
    expect(pool.pick()).toBe('a');
    pool.failed('a');
    expect(pool.pick()).toBe('b');
    pool.connected('b');
    expect(pool.pick()).toBe('b');
    await advance(1000);
    expect(pool.pick()).toBe('a');
    expect(pool.stats().map((s) => [s.endpoint, s.attempts, s.failures, s.connects])).toEqual([
      ['a', 2, 1, 0],
      ['b', 2, 0, 1],
      ['c', 0, 0, 0],
    ]);
  });

  it('a dead endpoint waits a doubling delay; when all wait, the one whose delay ends first', async () => {
    const pool = new EndpointPool(['a', 'b'], { initialDelay: 100 });
    pool.failed(pool.pick()); // a: 100 ms
    pool.failed(pool.pick()); // b: 100 ms
    await advance(10);
    expect(pool.pick()).toBe('a');
    pool.failed('a'); // a: 200 ms
    expect(pool.pick()).toBe('b');
    expect(pool.stats()[0]?.waitingFor).toBe(200);
  });

  it("'round-robin' walks the list from the last one used", () => {
    const pool = new EndpointPool(['a', 'b', 'c'], { policy: 'round-robin' });
    expect(names(pool, 5)).toEqual(['a', 'b', 'c', 'a', 'b']);
  });

  it("'random' shuffles once, then walks that order", () => {
    const pool = new EndpointPool(['a', 'b', 'c', 'd'], { policy: 'random' });
    const first = names(pool, 4);
    expect([...first].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(names(pool, 4)).toEqual(first);
    expect(pool.endpoints).toEqual(first);
  });

  it('a function is called per attempt; one that returns nothing is refused clearly', () => {
    const seen: string[] = ['x', 'y'];
    const pool = new EndpointPool(() => seen.shift());
    expect(pool.pick()).toBe('x');
    expect(pool.pick()).toBe('y');
    expect(() => pool.pick()).toThrow(/option "endpoints" function returned no endpoint/);
  });

  it('an empty list or an unknown policy is refused with CONNBACK_INVALID_OPTION', () => {
    expect(() => new EndpointPool([])).toThrow(/"endpoints" must be a non-empty list/);
    expect(
      () => new EndpointPool(['a'], { policy: 'fastest' as 'random', optionName: 'urls' }),
    ).toThrow(/"urlsPolicy"/);
  });

  it('stats name endpoints with their credentials redacted', () => {
    const pool = new EndpointPool(['wss://user:hunter2@a.example/feed?token=abc']);
    pool.pick();
    expect(JSON.stringify(pool.stats())).not.toMatch(/hunter2|abc/);
  });

  it('onconnect info and stats name the endpoint when the connector does', async () => {
    const connector = new FakeConnector().script({ kind: 'resolve' });
    const pool = new EndpointPool(['h1:1', 'h2:2']);
    const endpoints = new WeakMap<FakeClient, string>();
    const inner = connector.connect;
    connector.connect = (cb, token) => {
      const endpoint = pool.pick();
      const result = inner(cb, token) as Promise<FakeClient>;
      return result.then((client) => {
        endpoints.set(client, endpoint);
        pool.connected(endpoint);
        return client;
      });
    };
    Object.assign(connector, {
      endpoint: (client: FakeClient) => endpoints.get(client),
      endpointStats: () => pool.stats(),
    });
    const h = harness(quiet, connector);
    const infos: (string | undefined)[] = [];
    h.cb.onconnect((_client, info) => infos.push(info.endpoint));
    await flush();
    expect(infos).toEqual(['h1:1']);
    expect(h.cb.stats.endpoint).toBe('h1:1');
    expect(h.cb.stats.endpoints?.[0]).toMatchObject({ endpoint: 'h1:1', connects: 1 });
    h.cb.end();
    expect(h.cb.stats.endpoint).toBeUndefined();
  });
});

describe('a handshake inside the attempt (withHandshake)', () => {
  it('the attempt resolves, and onconnect fires, only once the handshake resolved', async () => {
    let ready: (() => void) | undefined;
    const seen: AttemptToken[] = [];
    const connector = new FakeConnector().script({ kind: 'resolve' });
    const cb = new Connback(
      withHandshake(connector, (_client, token) => {
        seen.push(token);
        return new Promise<void>((resolve) => {
          ready = resolve;
        });
      }),
      quiet,
    );
    await flush();
    expect(cb.state).toBe('connecting');
    expect(seen).toHaveLength(1);
    ready?.();
    await flush();
    expect(cb.state).toBe('connected');
    cb.end();
  });

  it('a rejected handshake is a failed attempt: the error is emitted, the client force-closed', async () => {
    const connector = new FakeConnector().script({ kind: 'resolve' });
    const cb = new Connback(
      withHandshake(connector, () => Promise.reject(new Error('CONNACK 5: not authorized'))),
      { ...quiet, retry: () => false },
    );
    const errors: string[] = [];
    cb.onerror((e) => errors.push(e.message));
    await flush();
    expect(errors).toEqual(['CONNACK 5: not authorized']);
    expect(cb.state).toBe('failed');
    expect(connector.closes.map((c) => c.force)).toEqual([true]);
    expect(connector.openClients).toEqual([]);
    cb.end();
  });

  it('a handshake that hangs fails at connectTimeout and the client is closed', async () => {
    const connector = new FakeConnector().script({ kind: 'resolve' });
    const cb = new Connback(
      withHandshake(connector, () => new Promise(() => {})),
      { ...exact, connectTimeout: 500 },
    );
    const errors: Error[] = [];
    cb.onerror((e) => errors.push(e));
    await advance(499);
    expect(cb.state).toBe('connecting');
    await advance(1);
    expect(errors.map((e) => (isConnbackError(e) ? e.code : e.message))).toEqual([
      ErrorCode.ConnectTimeout,
    ]);
    expect(connector.openClients).toEqual([]);
    cb.end();
  });
});

describe('semantic 20: failing over between endpoints, with the connback backoff', () => {
  /** A fake connector over a pool of names: each attempt picks one; `up` ones connect. */
  function pooled(up: Set<string>, names: string[]) {
    const pool = new EndpointPool(names, { initialDelay: 1000 });
    const connector = new FakeConnector();
    const picks: string[] = [];
    const inner = connector.connect;
    connector.connect = (cb, token) => {
      const name = pool.pick();
      picks.push(name);
      connector.script(
        up.has(name)
          ? { kind: 'resolve' }
          : { kind: 'reject', error: new Error(`${name} refused`) },
      );
      return (inner(cb, token) as Promise<FakeClient>).then(
        (client) => {
          pool.connected(name);
          return client;
        },
        (error: unknown) => {
          pool.failed(name);
          throw error;
        },
      );
    };
    Object.assign(connector, { readyIn: () => pool.readyIn() });
    return { connector, picks };
  }

  it('a failed attempt fails over at once to an endpoint that is not waiting, without the backoff delay', async () => {
    const { connector, picks } = pooled(new Set(['c']), ['a', 'b', 'c']);
    const h = harness({ ...quiet, initialDelay: 5000 }, connector);
    await flush();
    expect(picks).toEqual(['a', 'b', 'c']);
    expect(h.cb.connected).toBe(true);
    expect(h.cb.stats.outageAttempts).toBe(3);
    h.cb.end();
  });

  it('when every endpoint waits, the next attempt waits the later of the backoff and the first endpoint delay', async () => {
    const up = new Set<string>();
    const { connector, picks } = pooled(up, ['a', 'b']);
    const h = harness({ ...quiet, initialDelay: 100 }, connector);
    await flush();
    expect(picks).toEqual(['a', 'b']);
    // Both wait 1000 ms (their own delay), longer than the backoff (100 ms).
    await advance(999);
    expect(picks).toHaveLength(2);
    up.add('a');
    await advance(1);
    expect(picks).toEqual(['a', 'b', 'a']);
    expect(h.cb.connected).toBe(true);
    h.cb.end();
  });

  it('maxNumOfAttempts counts the attempts of the outage across endpoints', async () => {
    const { connector, picks } = pooled(new Set(), ['a', 'b', 'c']);
    const h = harness({ ...quiet, maxNumOfAttempts: 2 }, connector);
    await flush();
    expect(picks).toEqual(['a', 'b']);
    expect(h.cb.state).toBe('failed');
    h.cb.end();
  });
});

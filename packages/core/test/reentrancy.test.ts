import { describe, expect, it, vi } from 'vitest';
import { ErrorCode, isConnbackError } from '../src/index.js';
import { type FakeClient, type HostileThenable, thenable } from './support/fake-connector.js';
import { advance, connected, exact, flush, harness } from './support/harness.js';

const codes = (errors: Error[]) => errors.map((e) => (isConnbackError(e) ? e.code : e.message));

describe('semantic 15: an end() called from code connback runs is never undone (row 32)', () => {
  it('a token listener that calls end() while reconnect() replaces the attempt: ended, nothing live, nothing after onend', async () => {
    const h = harness({ ...exact, connectTimeout: 1000 });
    // The first attempt stays pending; the one reconnect() makes would connect at once.
    h.connector.script({ kind: 'pending' }, { kind: 'resolve' });
    await flush();
    h.connector.lastPending.token.onCancellationRequested(() => h.cb.end());
    const replaced = h.cb.reconnect();
    expect(h.cb.state).toBe('ended');
    await flush();
    await advance(60_000);
    expect(h.cb.state).toBe('ended');
    expect(h.events()).toEqual(['reconnect', 'end']);
    expect(h.connector.openClients).toEqual([]);
    expect(h.connector.inFlight).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    await expect(replaced).rejects.toMatchObject({ code: ErrorCode.Ended });
  });

  it('a token listener that throws, with an onerror listener that calls end(): the same', async () => {
    const h = harness(exact);
    h.connector.script({ kind: 'pending' }, { kind: 'resolve' });
    await flush();
    h.connector.lastPending.token.onCancellationRequested(() => {
      throw new Error('cleanup bug');
    });
    h.cb.onerror(() => h.cb.end());
    void h.cb.reconnect();
    await flush();
    expect(h.cb.state).toBe('ended');
    // The listener's error is reported as it happens; end() then delivers what was owed first.
    expect(h.events()).toEqual([`error:${ErrorCode.ListenerFailed}`, 'reconnect', 'end']);
    expect(h.connector.openClients).toEqual([]);
    expect(h.connector.inFlight).toEqual([]);
  });

  it('end() called twice from token listeners on that path: onend fires once', async () => {
    const h = harness(exact);
    h.connector.script({ kind: 'pending' }, { kind: 'resolve' });
    await flush();
    const { token } = h.connector.lastPending;
    token.onCancellationRequested(() => h.cb.end());
    token.onCancellationRequested(() => h.cb.end(true));
    void h.cb.reconnect();
    await flush();
    expect(h.events().filter((e) => e === 'end')).toHaveLength(1);
    expect(h.cb.state).toBe('ended');
    expect(h.connector.openClients).toEqual([]);
  });

  it('reconnect() called from a token listener during end() starts a fresh episode once onend fired; its promise settles', async () => {
    const h = harness({ ...exact, connectTimeout: 1000 });
    await flush();
    let again: Promise<FakeClient> | undefined;
    h.connector.lastPending.token.onCancellationRequested(() => {
      again = h.cb.reconnect();
    });
    h.cb.end();
    expect(h.events()).toEqual(['end', 'reconnect']);
    expect(h.cb.state).toBe('connecting');
    expect(h.connector.inFlight).toHaveLength(1);
    const client = h.connector.lastPending.resolve();
    await flush();
    expect(h.cb.state).toBe('connected');
    await expect(again).resolves.toBe(client);
    h.cb.end();
  });

  it('end() inside the connector’s close during a drop: onerror and onclose come before onend', async () => {
    const h = await connected();
    h.connector.onClose = () => h.cb.end();
    h.cb.feedError(new Error('reset'));
    await advance(60_000);
    expect(h.events()).toEqual(['connect#1', 'error:reset', 'close(true)', 'end']);
    expect(h.cb.state).toBe('ended');
    expect(h.connector.connects).toBe(1);
  });

  it('end() inside onconnect, with a listener after it: that listener gets onconnect before onclose and onend', async () => {
    const h = harness(exact);
    h.connector.script({ kind: 'resolve' });
    const seen: string[] = [];
    h.cb.onconnect(() => {
      h.cb.end();
      // The README's promise: when end() returns, state is ended.
      seen.push(`after end(): ${h.cb.state}`);
    });
    h.cb.onconnect(() => seen.push(`second onconnect: ${h.cb.state}`));
    h.cb.onclose(() => seen.push('onclose'));
    h.cb.onend(() => seen.push('onend'));
    await flush();
    expect(seen).toEqual(['second onconnect: connected', 'onclose', 'onend', 'after end(): ended']);
  });

  it('end() inside the connector’s canPing: no keepalive timer is left', async () => {
    const h = harness({ ...exact, keepalive: 1 });
    h.connector.script({ kind: 'resolve' });
    const connector = h.connector as typeof h.connector & { canPing: () => boolean };
    connector.canPing = () => {
      h.cb.end();
      return true;
    };
    await flush();
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('end() inside the connector’s ping: the connection ends, no tick is armed again', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    h.connector.onPing = () => h.cb.end();
    await advance(1000);
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('end() inside the retry predicate or the jitter: no backoff timer is left', async () => {
    for (const where of ['retry', 'jitter'] as const) {
      const box: { end?: () => void } = {};
      const h = harness({
        ...exact,
        initialDelay: 100,
        retry: () => {
          if (where === 'retry') box.end?.();
          return true;
        },
        jitter: (delay) => {
          if (where === 'jitter') box.end?.();
          return delay;
        },
      });
      box.end = () => h.cb.end();
      h.connector.script({ kind: 'reject', error: new Error('refused') });
      await flush();
      expect(h.events()).toEqual(['error:refused', 'offline', 'end']);
      expect(vi.getTimerCount()).toBe(0);
    }
  });
});

describe('semantic 15: calls take effect in the order they are made (row 32)', () => {
  it('a reconnect() from a listener that an end() lets run first takes effect after that end()', async () => {
    // canPing calls reconnect(), whose close() calls end(), which lets onclose run first; the
    // reconnect() onclose makes is the last call, so it wins: a fresh attempt, not ended.
    const h = harness({ ...exact, keepalive: 1 });
    h.connector.script({ kind: 'resolve' });
    const once = <A extends unknown[]>(f: (...args: A) => unknown) => {
      let done = false;
      return (...args: A) => {
        if (done) return;
        done = true;
        f(...args);
      };
    };
    const connector = h.connector as typeof h.connector & { canPing: () => boolean };
    const reconnectInCanPing = once(() => void h.cb.reconnect());
    connector.canPing = () => {
      reconnectInCanPing();
      return true;
    };
    h.connector.onClose = once(() => h.cb.end());
    h.cb.onclose(once(() => void h.cb.reconnect()));
    await flush();
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end', 'reconnect']);
    expect(h.cb.state).toBe('connecting');
    h.cb.end();
  });

  it('an end() from a listener that a reconnect() lets run first takes effect after it: ended', async () => {
    const h = harness(exact);
    h.connector.script({ kind: 'resolve' });
    let first = true;
    h.cb.onstatechange(({ to }) => {
      if (to !== 'connected' || !first) return;
      first = false;
      void h.cb.reconnect();
    });
    h.cb.onconnect(() => h.cb.end());
    await flush();
    expect(h.cb.state).toBe('ended');
    expect(h.events().at(-1)).toBe('end');
  });
});

describe('semantic 15: onclose only follows an onconnect of the same connection (row 32)', () => {
  it('an onstatechange listener that drops the connection as it becomes connected: onconnect, then onclose, then the reconnect', async () => {
    const h = harness({ ...exact, initialDelay: 100 });
    h.connector.script({ kind: 'resolve' });
    const off = h.cb.onstatechange(({ to }) => {
      if (to !== 'connected') return;
      off();
      h.cb.feedClose();
    });
    await flush();
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'offline']);
    expect(h.connector.openClients).toEqual([]);
    await advance(100);
    expect(h.events().at(-1)).toBe('reconnect');
    h.cb.end();
  });

  it('a feed made from a listener names the connection live then, never the next one', async () => {
    const h = await connected({ ...exact, minUptime: 0 });
    h.connector.script({ kind: 'resolve-sync' });
    // Inside onclose of a reconnect(), the old connection is gone: this close must not touch #2.
    h.cb.onclose(() => h.cb.feedClose(true));
    await h.cb.reconnect();
    expect(h.cb.connected).toBe(true);
    expect(h.events().filter((e) => e.startsWith('close'))).toEqual(['close(false)']);
    h.cb.end();
  });
});

describe('semantic 16: what connect returns is handled as Promise.resolve would (row 33)', () => {
  it.each([
    ['whose then throws', 'then-throws', 'then blew up'],
    ['whose then getter throws', 'then-getter-throws', 'then getter blew up'],
    ['that rejects before then returns', 'then-rejects-at-once', 'refused by a thenable'],
  ] as const)(
    'a thenable %s is a failed attempt: no throw, no uncaught error',
    async (_, how, message) => {
      const h = harness({ ...exact, initialDelay: 100, lazyConnect: true });
      h.connector.script({ kind: 'hostile', how });
      expect(() => h.cb.reconnect()).not.toThrow();
      await flush();
      expect(h.errors.map((e) => e.message)).toEqual([message]);
      expect(h.cb.state).toBe('offline');
      h.cb.end();
    },
  );

  it('a thenable whose then throws, on the eager start: a failed attempt, not an uncaught error in the start microtask', async () => {
    const h = harness({ ...exact, initialDelay: 100 });
    h.connector.script({ kind: 'hostile', how: 'then-throws' });
    await flush();
    expect(h.events()).toEqual(['error:then blew up', 'offline']);
    h.cb.end();
  });

  it.each(['then-resolves-at-once', 'then-resolves-then-throws', 'foreign-pending'] as const)(
    'a thenable that resolves (%s) connects once',
    async (how: HostileThenable) => {
      const h = harness(exact);
      h.connector.script({ kind: 'hostile', how });
      await flush();
      if (how === 'foreign-pending') h.connector.lastPending.resolve();
      await flush();
      expect(h.events()).toEqual(['connect#1']);
      h.cb.end();
    },
  );

  it('a thenable that resolves after end() gives a late client, closed with force', async () => {
    const h = harness(exact);
    h.connector.script({ kind: 'hostile', how: 'foreign-pending' });
    await flush();
    h.cb.end();
    const late = h.connector.lastPending.resolve();
    await flush();
    expect(late.closedWithForce).toBe(true);
    expect(h.events()).toEqual(['end']);
  });

  it('close and ping returning a thenable whose then throws are reported, never uncaught', async () => {
    const hostile = thenable(() => {
      throw new Error('then blew up');
    });
    const pinged = await connected({ ...exact, keepalive: 1 });
    pinged.connector.ping = () => hostile;
    await advance(1000);
    expect(codes(pinged.errors)).toEqual([ErrorCode.PingFailed]);
    expect(pinged.errors[0]?.cause).toMatchObject({ message: 'then blew up' });
    pinged.cb.end();

    const closed = await connected();
    const close = closed.connector.close;
    closed.connector.close = (client, force) => {
      close(client, force);
      return hostile;
    };
    closed.cb.end();
    await flush();
    expect(codes(closed.errors)).toEqual([ErrorCode.CloseFailed]);
    expect(closed.errors[0]?.cause).toMatchObject({ message: 'then blew up' });
  });
});

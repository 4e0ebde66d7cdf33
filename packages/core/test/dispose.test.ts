import { describe, expect, it } from 'vitest';
import { asyncDisposeSymbol, disposeSymbol } from '../src/index.js';
import { type FakeClient, FakeConnector } from './support/fake-connector.js';
import { advance, connected, exact, flush, harness } from './support/harness.js';

/** Makes every close of `connector` return a promise the test settles with `settle()`. */
function deferCloses(connector: FakeConnector): { settle(): void; readonly waiting: number } {
  const waiting: (() => void)[] = [];
  const close = connector.close;
  connector.close = (client: FakeClient, force?: boolean) => {
    close(client, force);
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  return {
    settle: () => {
      for (const resolve of waiting.splice(0)) resolve();
    },
    get waiting() {
      return waiting.length;
    },
  };
}

/** Whether `promise` has settled, after the promise callbacks due now ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await flush();
  return done;
}

describe('Symbol.asyncDispose and Symbol.dispose', () => {
  it('the keys are the runtime’s Symbol.asyncDispose and Symbol.dispose', () => {
    expect(asyncDisposeSymbol).toBe(Symbol.asyncDispose);
    expect(disposeSymbol).toBe(Symbol.dispose);
  });

  it('[asyncDispose]() ends gracefully and resolves only once connector.close settled', async () => {
    const h = await connected();
    const closes = deferCloses(h.connector);
    const disposing = h.cb[asyncDisposeSymbol]();
    expect(h.cb.state).toBe('ended');
    expect(h.connector.closes.map((c) => c.force)).toEqual([false]);
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
    expect(await settled(disposing)).toBe(false);
    closes.settle();
    expect(await settled(disposing)).toBe(true);
  });

  it('waits for a close still in flight from an earlier drop, and one of a late client', async () => {
    const h = await connected({ ...exact, initialDelay: 100 });
    const closes = deferCloses(h.connector);
    h.connector.script({ kind: 'pending' });
    h.cb.feedClose(false);
    await flush();
    // Offline, then an attempt that stays pending; the dropped client's close is still out.
    expect(closes.waiting).toBe(1);
    await advance(100);
    expect(h.cb.state).toBe('connecting');
    const attempt = h.connector.lastPending;
    const disposing = h.cb[asyncDisposeSymbol]();
    expect(h.cb.state).toBe('ended');
    closes.settle();
    // The cancelled attempt's connect has not settled: a client may still come.
    expect(await settled(disposing)).toBe(false);
    const late = attempt.resolve();
    await flush();
    expect(late.open).toBe(false);
    expect(await settled(disposing)).toBe(false);
    closes.settle();
    expect(await settled(disposing)).toBe(true);
  });

  it('disposing twice: both resolve once the close settled; a third after it resolves at once', async () => {
    const h = await connected();
    const closes = deferCloses(h.connector);
    const first = h.cb[asyncDisposeSymbol]();
    const second = h.cb[asyncDisposeSymbol]();
    expect(h.connector.closes).toHaveLength(1);
    expect(await settled(first)).toBe(false);
    expect(await settled(second)).toBe(false);
    closes.settle();
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(true);
    expect(await settled(h.cb[asyncDisposeSymbol]())).toBe(true);
    expect(h.events().filter((e) => e === 'end')).toHaveLength(1);
  });

  it('from inside an onclose listener of end(): resolves after onend, once the close settled', async () => {
    const h = await connected();
    const closes = deferCloses(h.connector);
    let disposing: Promise<void> | undefined;
    h.cb.onclose(() => {
      disposing = h.cb[asyncDisposeSymbol]();
    });
    h.cb.end();
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
    expect(disposing).toBeDefined();
    expect(await settled(disposing as Promise<void>)).toBe(false);
    closes.settle();
    expect(await settled(disposing as Promise<void>)).toBe(true);
  });

  it('from inside onconnect: the connection is announced, then ended and closed', async () => {
    const h = harness(exact, new FakeConnector().script({ kind: 'resolve' }));
    const closes = deferCloses(h.connector);
    let disposing: Promise<void> | undefined;
    h.cb.onconnect(() => {
      disposing = h.cb[asyncDisposeSymbol]();
    });
    await flush();
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
    expect(await settled(disposing as Promise<void>)).toBe(false);
    closes.settle();
    expect(await settled(disposing as Promise<void>)).toBe(true);
    expect(h.connector.openClients).toEqual([]);
  });

  it('a close that rejects goes to onerror; the disposer still resolves', async () => {
    const h = await connected();
    h.connector.closeScript = 'reject';
    await h.cb[asyncDisposeSymbol]();
    expect(h.cb.state).toBe('ended');
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end', 'error:CONNBACK_CLOSE_FAILED']);
  });

  it('[dispose]() ends at once without waiting for the close, and is idempotent', async () => {
    const h = await connected();
    const closes = deferCloses(h.connector);
    expect(h.cb[disposeSymbol]()).toBeUndefined();
    expect(h.cb.state).toBe('ended');
    h.cb[disposeSymbol]();
    expect(h.connector.closes).toHaveLength(1);
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
    closes.settle();
  });

  it('an idle (lazy) Connback: nothing to close, resolves at once', async () => {
    const h = harness({ ...exact, lazyConnect: true });
    expect(await settled(h.cb[asyncDisposeSymbol]())).toBe(true);
    expect(h.cb.state).toBe('ended');
    expect(h.connector.connects).toBe(0);
  });
});

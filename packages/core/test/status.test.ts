import { CancellationTokenSource } from '@jil/common/cancellation.js';
import { describe, expect, it } from 'vitest';
import {
  type ConnbackStatus,
  isConnbackError,
  STATUS_BUFFER_SIZE,
  type StatusIterator,
} from '../src/index.js';
import { type FakeClient, FakeConnector } from './support/fake-connector.js';
import { advance, connected, exact, flush, harness } from './support/harness.js';

/** An event as the harness log writes it, so the two can be compared. */
function entry(event: ConnbackStatus<FakeClient>): string {
  switch (event.type) {
    case 'state':
      return `state:${event.from}>${event.to}`;
    case 'connect':
      return `connect#${event.client.id}${event.reconnect ? ' (reconnect)' : ''}`;
    case 'close':
      return `close(${event.hasError})`;
    case 'error':
      return `error:${isConnbackError(event.error) ? event.error.code : event.error.message}`;
    case 'fail':
      return `fail:${event.reason.code}<${event.error.message}`;
    case 'wake':
      return `wake:${event.action}`;
    default:
      return event.type;
  }
}

/** Pulls every event until the iterator finishes (bounded: it must finish). */
async function drain(
  iterator: StatusIterator<FakeClient>,
  max = 1000,
): Promise<ConnbackStatus<FakeClient>[]> {
  const events: ConnbackStatus<FakeClient>[] = [];
  for (let i = 0; i < max; i++) {
    const result = await iterator.next();
    if (result.done === true) return events;
    events.push(result.value);
  }
  throw new Error(`the iterator did not finish within ${max} events`);
}

describe('status(token?): the lifecycle as an async iterator', () => {
  it('yields every event in the order the on… events fire, then end, then finishes', async () => {
    const h = await connected({ ...exact, initialDelay: 100 });
    const iterator = h.cb.status();
    const from = h.log.length;
    h.connector.script({ kind: 'reject', error: new Error('refused') }, { kind: 'resolve' });
    h.cb.feedError(new Error('reset'));
    await advance(60_000);
    expect(h.cb.connected).toBe(true);
    h.cb.end();
    const events = await drain(iterator);
    expect(events.map(entry)).toEqual(h.log.slice(from));
    expect(events.map(entry)).toEqual([
      'state:connected>offline',
      'error:reset',
      'close(true)',
      'offline',
      'state:offline>connecting',
      'reconnect',
      'state:connecting>offline',
      'error:refused',
      'state:offline>connecting',
      'reconnect',
      'state:connecting>connected',
      'connect#2 (reconnect)',
      'state:connected>ending',
      'close(false)',
      'state:ending>ended',
      'end',
    ]);
    expect(events.every((e) => e.dropped === 0)).toBe(true);
    const connect = events.find((e) => e.type === 'connect');
    expect(connect).toMatchObject({
      reconnect: true,
      attempt: expect.any(Number),
      endpoint: undefined,
    });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('listens from status() on: events before the first next() are kept; a waiting next() gets the next event', async () => {
    const h = harness({ ...exact, lazyConnect: true }, new FakeConnector());
    const iterator = h.cb.status();
    h.cb.start();
    expect((await iterator.next()).value).toMatchObject({ type: 'state', to: 'connecting' });
    const waiting = iterator.next();
    h.connector.lastPending.resolve();
    expect((await waiting).value).toMatchObject({ type: 'state', to: 'connected' });
    expect((await iterator.next()).value).toMatchObject({ type: 'connect', reconnect: false });
    h.cb.end();
  });

  it(`bounded: a consumer that never pulls while 10,000 events happen holds the last ${STATUS_BUFFER_SIZE}, and the oldest says how many were dropped`, async () => {
    const h = await connected();
    const iterator = h.cb.status();
    const from = h.log.length;
    // reconnect() while connected: 7 events (close, offline, reconnect, connect and 3 state changes).
    for (let round = 0; round < 2000 && h.log.length - from < 10_000; round++) {
      h.connector.script({ kind: 'resolve' });
      void h.cb.reconnect();
      await flush();
    }
    h.cb.end();
    const total = h.log.length - from;
    expect(total).toBeGreaterThanOrEqual(10_000);
    const held = await drain(iterator);
    expect(held).toHaveLength(STATUS_BUFFER_SIZE);
    expect(held.map(entry)).toEqual(h.log.slice(-STATUS_BUFFER_SIZE));
    expect(held[0]?.dropped).toBe(total - STATUS_BUFFER_SIZE);
    expect(held.slice(1).every((e) => e.dropped === 0)).toBe(true);
    expect(held.at(-1)?.type).toBe('end');
  });

  it('dropped counts only what was lost before each event: pulled in between, the counts restart', async () => {
    const h = await connected();
    const iterator = h.cb.status();
    const rounds = Math.ceil((STATUS_BUFFER_SIZE + 10) / 7);
    for (let round = 0; round < rounds; round++) {
      h.connector.script({ kind: 'resolve' });
      void h.cb.reconnect();
      await flush();
    }
    const first = await iterator.next();
    expect(first.value?.dropped).toBe(rounds * 7 - STATUS_BUFFER_SIZE);
    for (let i = 1; i < STATUS_BUFFER_SIZE; i++) {
      expect((await iterator.next()).value?.dropped).toBe(0);
    }
    // Caught up: the events of one more round drop nothing.
    h.connector.script({ kind: 'resolve' });
    void h.cb.reconnect();
    await flush();
    h.cb.end();
    const rest = await drain(iterator);
    expect(rest.map(entry)).toEqual(h.log.slice(-11));
    expect(rest.every((e) => e.dropped === 0)).toBe(true);
  });

  it('break ends the iteration: the next next() is done whatever happens afterwards', async () => {
    const h = await connected();
    const iterator = h.cb.status();
    h.cb.feedClose(false);
    for await (const event of iterator) {
      expect(event).toMatchObject({ type: 'state', from: 'connected', to: 'offline' });
      break;
    }
    h.connector.script({ kind: 'resolve' });
    await advance(60_000);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(await iterator.return()).toEqual({ done: true, value: undefined });
    h.cb.end();
  });

  it('return() while a next() waits: that next() is done', async () => {
    const h = await connected();
    const iterator = h.cb.status();
    const waiting = iterator.next();
    await iterator.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    h.cb.end();
  });

  it.each([
    ['a @jil/common CancellationToken', () => new CancellationTokenSource()],
    ['an AbortSignal', () => new AbortController()],
  ] as const)('%s ends it: a waiting next() is done, held events are dropped', async (_, make) => {
    const h = await connected();
    const source = make();
    const token = 'token' in source ? source.token : source.signal;
    const iterator = h.cb.status(token);
    h.cb.feedClose(false);
    const first = await iterator.next();
    expect(first.value?.type).toBe('state');
    if ('cancel' in source) source.cancel();
    else source.abort();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    h.connector.script({ kind: 'resolve' });
    await advance(60_000);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    h.cb.end();
  });

  it('a token cancelled already: finished at once; not a token: TypeError', async () => {
    const h = await connected();
    const iterator = h.cb.status(AbortSignal.abort());
    h.cb.feedClose(false);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(() => h.cb.status({} as AbortSignal)).toThrow(TypeError);
    h.connector.script({ kind: 'resolve' });
    await advance(60_000);
    h.cb.end();
  });

  it('made on an ended Connback: finished at once', async () => {
    const h = await connected();
    h.cb.end();
    expect(await h.cb.status().next()).toEqual({ done: true, value: undefined });
  });

  it('a consumer that calls end() mid-loop gets close, the state changes and end, then the loop exits', async () => {
    const h = harness(exact, new FakeConnector().script({ kind: 'resolve' }));
    const seen: string[] = [];
    for await (const event of h.cb.status()) {
      seen.push(entry(event));
      if (event.type === 'connect') h.cb.end();
    }
    expect(seen).toEqual([
      'state:idle>connecting',
      'state:connecting>connected',
      'connect#1',
      'state:connected>ending',
      'close(false)',
      'state:ending>ended',
      'end',
    ]);
  });

  it('a consumer that calls reconnect() mid-loop sees the new episode; fail does not finish it', async () => {
    const h = harness({ ...exact, maxNumOfAttempts: 1 });
    h.connector.script({ kind: 'reject', error: new Error('refused') }, { kind: 'resolve' });
    const seen: string[] = [];
    for await (const event of h.cb.status()) {
      seen.push(entry(event));
      if (event.type === 'fail') void h.cb.reconnect();
      if (event.type === 'connect') h.cb.end();
    }
    expect(seen).toEqual(h.log);
    expect(seen).toContain('fail:CONNBACK_ATTEMPTS_EXHAUSTED<refused');
    expect(seen.at(-1)).toBe('end');
  });
});

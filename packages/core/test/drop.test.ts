import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/index.js';
import { advance, connected, exact, flush } from './support/harness.js';

describe('semantic 8: one error and one close per drop, stale signals ignored', () => {
  it('feedError then the transport close gives one error, one close and one reconnect (rows 5, 16)', async () => {
    const h = await connected();
    const client = h.cb.client;
    await advance(1000); // stable: the first retry is immediate
    h.connector.script({ kind: 'pending' });
    h.cb.feedError(new Error('ECONNRESET'), client);
    h.cb.feedClose(true, client);
    h.cb.feedClose(true);
    await flush();
    expect(h.events()).toEqual([
      'connect#1',
      'error:ECONNRESET',
      'close(true)',
      'offline',
      'reconnect',
    ]);
    expect(h.connector.connects).toBe(2);
    h.cb.end();
  });

  it('feedClose twice gives one onclose and one reconnect schedule', async () => {
    const h = await connected();
    await advance(1000);
    h.cb.feedClose(false);
    h.cb.feedClose(false);
    expect(h.events().filter((e) => e.startsWith('close'))).toEqual(['close(false)']);
    expect(h.connector.connects).toBe(2);
    h.cb.end();
  });

  it('a drop releases the old client with close(client, true) even when the transport closed it', async () => {
    const h = await connected();
    const client = h.cb.client;
    h.cb.feedClose(false, client);
    expect(h.connector.closes).toEqual([{ client, force: true }]);
    h.cb.end();
  });

  it('signals from a stale client neither kill nor keep alive the new connection (row 17)', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    const a = h.cb.client;
    h.connector.script({ kind: 'resolve' });
    await h.cb.reconnect();
    const b = h.cb.client;
    expect(b).not.toBe(a);
    const before = h.log.length;
    h.cb.feedClose(true, a);
    h.cb.feedError(new Error('stale'), a);
    expect(h.log.length).toBe(before);
    expect(h.cb.client).toBe(b);
    // A heartbeat of A must not keep B alive: B is force-closed at its own deadline.
    await advance(1000);
    h.cb.feedHeartbeat(a);
    await advance(1000);
    expect(h.errors.map((e) => (e as { code?: string }).code)).toEqual([
      ErrorCode.KeepaliveTimeout,
    ]);
    expect(b?.open).toBe(false);
    h.cb.end();
  });

  it('feeds while not connected are ignored', async () => {
    const h = await connected();
    h.cb.end();
    h.cb.feedError(new Error('after end'));
    h.cb.feedClose(true);
    h.cb.feedHeartbeat();
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
  });
});

describe('semantic 9: order on a drop, getters agree inside handlers', () => {
  it('close → offline (once per outage) → reconnect (per attempt) → connect', async () => {
    const h = await connected({ ...exact, initialDelay: 100 });
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    h.connector.script({ kind: 'resolve' });
    await advance(1000);
    h.cb.feedClose(false);
    await flush();
    await advance(100);
    await advance(100);
    expect(h.events()).toEqual([
      'connect#1',
      'close(false)',
      'offline',
      'reconnect',
      'error:refused',
      'reconnect',
      'error:refused',
      'reconnect',
      'connect#2 (reconnect)',
    ]);
    h.cb.end();
  });

  it('the state change is announced before the event it belongs to', async () => {
    const h = await connected();
    h.connector.script({ kind: 'resolve' });
    await advance(1000);
    h.cb.feedClose(true);
    await flush();
    expect(h.log.slice(h.log.indexOf('connect#1') + 1)).toEqual([
      'state:connected>offline',
      'close(true)',
      'offline',
      'state:offline>connecting',
      'reconnect',
      'state:connecting>connected',
      'connect#2 (reconnect)',
    ]);
    h.cb.end();
  });

  it('onclose only follows a real connection: a failed first attempt gives error and offline, no close', async () => {
    const h = await connected();
    h.cb.end();
    const fresh = await connected();
    fresh.cb.end();
    expect(h.events().filter((e) => e.startsWith('close'))).toHaveLength(1);
  });

  it('an outage that spans several attempts fires onoffline once; a new outage fires it again', async () => {
    const h = await connected({ ...exact, initialDelay: 100, minUptime: 0 });
    h.connector.script(
      { kind: 'reject', error: new Error('refused') },
      { kind: 'resolve' },
      { kind: 'reject', error: new Error('refused') },
    );
    h.cb.feedClose();
    await advance(100);
    expect(h.cb.connected).toBe(true);
    h.cb.feedClose();
    await flush();
    expect(h.events().filter((e) => e === 'offline')).toHaveLength(2);
    h.cb.end();
  });
});

import { describe, expect, it } from 'vitest';
import { ErrorCode, isConnbackError, toAbortSignal } from '../src/index.js';
import { advance, connected, exact, flush, harness } from './support/harness.js';

describe('semantic 12: a throwing listener breaks nothing', () => {
  it('the error goes to onerror, later listeners still run, the state machine goes on (row 25)', async () => {
    const h = harness(exact);
    h.connector.script({ kind: 'resolve' });
    const after: string[] = [];
    h.cb.onconnect(() => {
      throw new Error('listener bug');
    });
    h.cb.onconnect(() => after.push('second listener ran'));
    await flush();
    expect(after).toEqual(['second listener ran']);
    expect(h.cb.connected).toBe(true);
    expect(h.errors).toHaveLength(1);
    expect(isConnbackError(h.errors[0], ErrorCode.ListenerFailed)).toBe(true);
    expect(h.errors[0]?.cause).toMatchObject({ message: 'listener bug' });
    h.cb.end();
  });

  it('a throwing onerror listener is dropped without an uncaught exception', async () => {
    const h = harness({ ...exact, initialDelay: 100 });
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    h.cb.onerror(() => {
      throw new Error('onerror bug');
    });
    await flush();
    expect(h.errors.map((e) => e.message)).toEqual(['refused']);
    h.cb.end();
  });

  it('a throwing retry predicate is reported and reconnection goes on', async () => {
    const h = harness({
      ...exact,
      initialDelay: 100,
      retry: () => {
        throw new Error('predicate bug');
      },
    });
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    await flush();
    expect(h.errors.map((e) => (isConnbackError(e) ? e.code : e.message))).toEqual([
      'refused',
      ErrorCode.ListenerFailed,
    ]);
    expect(h.cb.state).toBe('offline');
    h.cb.end();
  });

  it('a throwing cancellation listener of the connector is reported, not thrown', async () => {
    const h = harness();
    await flush();
    h.connector.lastPending.token.onCancellationRequested(() => {
      throw new Error('cleanup bug');
    });
    h.cb.end();
    await flush();
    expect(h.errors.map((e) => (isConnbackError(e) ? e.code : e.message))).toEqual([
      ErrorCode.ListenerFailed,
    ]);
  });
});

describe('re-entrancy: API calls inside handlers keep the state consistent (row 25)', () => {
  it('end() inside onconnect ends cleanly with one close and one end', async () => {
    const h = harness();
    h.connector.script({ kind: 'resolve' });
    h.cb.onconnect(() => h.cb.end());
    await flush();
    expect(h.events()).toEqual(['connect#1', 'close(false)', 'end']);
    expect(h.connector.openClients).toEqual([]);
  });

  it('end() inside onclose of a drop stops reconnection', async () => {
    const h = await connected();
    h.cb.onclose(() => h.cb.end());
    h.cb.feedClose(true);
    await advance(60_000);
    expect(h.connector.connects).toBe(1);
    expect(h.events()).toEqual(['connect#1', 'close(true)', 'end']);
  });

  it('reconnect() inside onoffline makes one attempt, not two', async () => {
    const h = await connected({ ...exact, initialDelay: 100 });
    await advance(1000);
    h.cb.onoffline(() => void h.cb.reconnect());
    h.cb.feedClose();
    await advance(1000);
    expect(h.connector.connects).toBe(2);
    expect(h.connector.inFlight).toHaveLength(1);
    h.cb.end();
  });

  it('end() inside onreconnect means connect is never called', async () => {
    const h = await connected();
    await advance(1000);
    h.cb.onreconnect(() => h.cb.end());
    h.cb.feedClose();
    expect(h.connector.connects).toBe(1);
    expect(h.cb.state).toBe('ended');
  });

  it('end() inside the connector’s connect: the client it returns is closed with force', async () => {
    const h = harness(exact);
    h.connector.script({ kind: 'resolve' });
    h.connector.onConnect = (cb) => cb.end();
    await flush();
    expect(h.connector.clients[0]?.closedWithForce).toBe(true);
    expect(h.events()).toEqual(['end']);
  });

  it('end() inside onerror of a failed attempt stops everything', async () => {
    const h = harness({ ...exact, initialDelay: 100 });
    h.connector.script({ kind: 'reject', error: new Error('refused') });
    h.cb.onerror(() => h.cb.end());
    await advance(10_000);
    expect(h.connector.connects).toBe(1);
    expect(h.events()).toEqual(['error:refused', 'end']);
  });
});

describe('toAbortSignal(token)', () => {
  it('aborts with the attempt’s reason when the attempt is cancelled', async () => {
    const h = harness({ ...exact, connectTimeout: 100 });
    await flush();
    const signal = toAbortSignal(h.connector.lastPending.token);
    expect(signal.aborted).toBe(false);
    await advance(100);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ code: ErrorCode.ConnectTimeout });
    h.cb.end();
  });

  it('gives an aborted signal for a token that is already cancelled', async () => {
    const h = harness();
    await flush();
    const token = h.connector.lastPending.token;
    h.cb.end();
    expect(toAbortSignal(token).aborted).toBe(true);
    expect(toAbortSignal(token).reason).toMatchObject({ code: ErrorCode.Ended });
  });
});

import { vi } from 'vitest';
import { Connback, type ConnbackOptions, isConnbackError } from '../../src/index.js';
import { TRANSITIONS } from '../../src/state.js';
import { type FakeClient, FakeConnector } from './fake-connector.js';

/** Options most core tests use: no jitter, so every delay is exact. */
export const exact: ConnbackOptions = { jitter: 'none', keepalive: 0 };

export interface Harness {
  readonly cb: Connback<FakeClient>;
  readonly connector: FakeConnector;
  /** Every event, in order, as short strings: `connect#1`, `close(true)`, `error:CODE`... */
  readonly log: string[];
  /** Errors received by onerror. */
  readonly errors: Error[];
  /** Broken rules seen inside handlers (getters disagreeing with the event, bad grammar). */
  readonly violations: string[];
  /** The log without `state:` entries. */
  events(): string[];
}

const live: Harness[] = [];

/** Harnesses created by the running test; the after-each check inspects and then forgets them. */
export function takeHarnesses(): Harness[] {
  return live.splice(0, live.length);
}

function describeError(error: Error): string {
  return isConnbackError(error) ? error.code : error.message;
}

/**
 * A Connback on a fake connector with a recorder subscribed before anything else, so every
 * handler of the test sees the same order the recorder checks.
 */
export function harness(
  options: ConnbackOptions = exact,
  connector = new FakeConnector(),
): Harness {
  const cb = new Connback(connector, options);
  const log: string[] = [];
  const errors: Error[] = [];
  const violations: string[] = [];
  const expect = (ok: boolean, rule: string) => {
    if (!ok) violations.push(`${rule} (state ${cb.state}, after ${log.slice(-4).join(' ')})`);
  };
  let liveConnection = false;
  let endedWithoutRestart = false;

  cb.onstatechange(({ from, to }) => {
    log.push(`state:${from}>${to}`);
    expect(cb.state === to, 'state getter agrees with onstatechange');
    expect(TRANSITIONS[from].includes(to), `${from} → ${to} is an allowed transition`);
    if (to === 'connecting') endedWithoutRestart = false;
  });
  cb.onconnect((client, info) => {
    log.push(`connect#${client.id}${info.reconnect ? ' (reconnect)' : ''}`);
    expect(cb.connected && cb.client === client && !cb.reconnecting, 'getters in onconnect');
    expect(client.open, 'onconnect gives an open client');
    expect(!endedWithoutRestart, 'no onconnect after onend');
    liveConnection = true;
  });
  cb.onclose((hasError) => {
    log.push(`close(${hasError})`);
    expect(!cb.connected && cb.client === undefined, 'getters in onclose');
    expect(liveConnection, 'onclose only after a connection, once');
    liveConnection = false;
  });
  cb.onerror((error) => {
    log.push(`error:${describeError(error)}`);
    errors.push(error);
  });
  cb.onoffline(() => {
    log.push('offline');
    expect(!cb.connected && cb.reconnecting, 'getters in onoffline');
  });
  cb.onreconnect(() => {
    log.push('reconnect');
    expect(cb.connecting && cb.reconnecting, 'getters in onreconnect');
  });
  cb.onend(() => {
    log.push('end');
    expect(cb.ended && cb.ending && !cb.connected, 'getters in onend');
    endedWithoutRestart = true;
  });
  cb.onfail((lastError, reason) => {
    log.push(`fail:${reason.code}<${describeError(lastError)}`);
    expect(cb.state === 'failed' && !cb.reconnecting, 'getters in onfail');
  });

  const h: Harness = {
    cb,
    connector,
    log,
    errors,
    violations,
    events: () => log.filter((entry) => !entry.startsWith('state:')),
  };
  live.push(h);
  return h;
}

/** Lets promise callbacks run without moving fake time. */
export async function flush(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

/** Moves fake time forward, running due timers and promise callbacks in between. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/** A harness whose first attempt already connected. */
export async function connected(options: ConnbackOptions = exact): Promise<Harness> {
  const h = harness(options, new FakeConnector().script({ kind: 'resolve' }));
  await flush();
  if (!h.cb.connected) throw new Error(`expected connected, got ${h.cb.state}`);
  return h;
}

import { vi } from 'vitest';
import { type ConnbackState, ErrorCode } from '../../src/index.js';
import { TRANSITIONS } from '../../src/state.js';
import type { FakeClient } from '../support/fake-connector.js';
import type { Model, ModelOptions, Real } from './system.js';

/**
 * What the model checks: the helpers the commands use for their own expectations, the event
 * grammars (semantics 9 and 10 for R1; semantic 15 for R10, over state changes too), and the
 * invariants checked after every command.
 */

export const isState = (entry: string) => entry.startsWith('state:');
/** A call the model made (`x:end in onclose`) or a token cancellation it saw: not an event. */
export const isMarker = (entry: string) => entry.startsWith('x:');
/** A failed connector.close: reported, counted on its own, and changes nothing else. */
export const isCloseFailure = (entry: string) => entry === `error:${ErrorCode.CloseFailed}`;
/** What a throwing hook gives: reported, and changes nothing else. */
export const isListenerFailure = (entry: string) => entry === `error:${ErrorCode.ListenerFailed}`;
/** The events of a log, without state changes, markers and close failures. */
export const eventsOf = (entries: readonly string[]) =>
  entries.filter((e) => !isState(e) && !isMarker(e) && !isCloseFailure(e));
export const count = (entries: readonly string[], test: (e: string) => boolean) =>
  entries.filter(test).length;
export const isClose = (e: string) => e.startsWith('close(');
export const isConnectOf = (client: FakeClient) => (e: string) =>
  e === `connect#${client.id}` || e.startsWith(`connect#${client.id} `);

/** A broken rule (as opposed to an exception of the code under test). */
export class Broken extends Error {}

export function must(ok: boolean, r: Real, rule: string): asserts ok {
  if (ok) return;
  const events = r.h.events();
  throw new Broken(
    `${rule}\n  state: ${r.h.cb.state}\n  last events: ${events.slice(-14).join(' | ')}` +
      `\n  open clients: [${r.connector.openClients.map((c) => c.id).join(', ')}]` +
      ` in flight: ${r.connector.inFlight.length} timers: ${vi.getTimerCount()}`,
  );
}

export interface Snapshot {
  readonly state: ConnbackState;
  readonly client: FakeClient | undefined;
  readonly log: number;
  readonly open: string;
  readonly closes: number;
  readonly connects: number;
  readonly pings: number;
  readonly timers: number;
}

export function snap(r: Real): Snapshot {
  const { cb, connector, log } = r.h;
  return {
    state: cb.state,
    client: cb.client,
    log: log.length,
    open: connector.openClients.map((c) => c.id).join(','),
    closes: connector.closes.length,
    connects: connector.connects,
    pings: connector.pings.length,
    timers: vi.getTimerCount(),
  };
}

/** Nothing observable changed: state, log, open clients, connector calls, timers. */
export function unchanged(r: Real, before: Snapshot, what: string): void {
  const after = snap(r);
  for (const key of Object.keys(before) as (keyof Snapshot)[]) {
    must(after[key] === before[key], r, `${what} must change nothing, but ${key} changed`);
  }
}

/**
 * The event grammar of semantics 9 and 10 over the whole log: close → offline (once per outage)
 * → reconnect (per attempt) → connect; every attempt ends once (connect, error, end, or replaced
 * by a reconnect() at one of the `replaced` positions); an error of a live connection is followed
 * by its close(true); no connect after end until a reconnect; one fail per failure, after
 * offline. Returns the first broken rule.
 */
export function grammar(
  events: readonly string[],
  replaced: ReadonlySet<number>,
): string | undefined {
  let connected = false;
  let connects = 0;
  let offline = false;
  let attempt: 'none' | 'first' | 'announced' = 'first';
  let ended = false;
  let failed = false;
  let next: { test: (e: string) => boolean; what: string } | undefined;
  for (const [i, e] of events.entries()) {
    const at = `event #${i} "${e}"`;
    if (next !== undefined) {
      if (!next.test(e)) return `${at}: ${next.what} must come next`;
      next = undefined;
    }
    if (e.startsWith('connect#')) {
      if (connected) return `${at}: connect while connected`;
      if (attempt === 'none') return `${at}: connect without an attempt in flight`;
      if (ended) return `${at}: connect after end() without reconnect()`;
      if (e.endsWith(' (reconnect)') !== connects > 0) return `${at}: wrong reconnect flag`;
      connects += 1;
      connected = true;
      offline = false;
      failed = false;
      attempt = 'none';
    } else if (isClose(e)) {
      if (!connected) return `${at}: close without a connection`;
      connected = false;
      next =
        e === 'close(false)'
          ? { test: (n) => n === 'offline' || n === 'end', what: 'offline (drop) or end' }
          : { test: (n) => n === 'offline', what: 'offline' };
    } else if (e.startsWith('error:')) {
      if (connected) {
        next = { test: (n) => n === 'close(true)', what: 'close(true) of the failed connection' };
      } else {
        if (attempt === 'none') return `${at}: an error while no attempt is in flight`;
        attempt = 'none';
        if (!offline) next = { test: (n) => n === 'offline', what: 'offline (first failure)' };
      }
    } else if (e === 'offline') {
      if (connected) return `${at}: offline while connected`;
      if (offline) return `${at}: a second offline in one outage`;
      offline = true;
    } else if (e === 'reconnect') {
      if (connected) return `${at}: reconnect while connected`;
      if (attempt !== 'none' && !replaced.has(i)) return `${at}: a second attempt in flight`;
      attempt = 'announced';
      ended = false;
      failed = false;
    } else if (e === 'end') {
      if (connected) return `${at}: end while connected (no close first)`;
      if (ended) return `${at}: a second end`;
      ended = true;
      offline = false;
      attempt = 'none';
    } else if (e.startsWith('fail:')) {
      if (connected || attempt !== 'none') return `${at}: fail while connected or attempting`;
      if (!offline) return `${at}: fail without offline first`;
      if (failed) return `${at}: a second fail for one failure`;
      failed = true;
      offline = false;
    } else {
      return `${at}: unknown event`;
    }
  }
  if (next !== undefined) return `the log ends where ${next.what} must follow`;
  return undefined;
}

/** Timers connback may own in each state (13: none when ended, failed or idle). */
export function expectedTimers(state: ConnbackState, options: ModelOptions): number {
  switch (state) {
    case 'connecting':
      return options.connectTimeout > 0 ? 1 : 0;
    // The keepalive or the backoff wait, plus the process's wake watcher (semantic 18), which
    // runs while a Connback is connected with a keepalive or waits to retry.
    case 'connected':
      return options.keepalive > 0 ? 2 : 0;
    case 'offline':
      return 2;
    default:
      return 0;
  }
}

/**
 * Unhandled rejections and uncaught exceptions seen while a property runs (a close or ping
 * failure connback lost, a hostile thenable's throw that escaped).
 */
export const escaped: unknown[] = [];

/** The invariants checked after every command, once promises are flushed. */
export function verify(m: Model, r: Real): void {
  const { connector } = r;
  const { cb, log, violations } = r.h;
  must(violations.length === 0, r, `harness rules broken: ${violations.join('; ')}`);
  must(r.problems.length === 0, r, r.problems.join('; '));
  must(escaped.length === 0, r, `escaped: ${escaped.map(String).join('; ')}`);

  // 1: one attempt, one live client, and it is the current one.
  const inFlight = connector.inFlight.length;
  const open = connector.openClients;
  must(inFlight <= 1, r, `1: ${inFlight} attempts in flight`);
  must(open.length <= 1, r, `1: ${open.length} clients open`);
  if (cb.connected) {
    must(open.length === 1 && open[0] === cb.client, r, '1: the open client is cb.client');
  } else {
    must(open.length === 0, r, `1: a client is open while ${cb.state}`);
  }
  const connecting = cb.state === 'connecting';
  must(connecting === (inFlight === 1), r, '1: an attempt is in flight iff connecting');

  // 2: a client never emitted is closed with force.
  for (const c of connector.clients) {
    if (r.emitted.has(c)) continue;
    const forced = !c.open && c.closedWithForce === true;
    must(forced, r, `2: client #${c.id}, never emitted, is not closed with force`);
  }

  // 9, 10 (and 15 for R10): the grammar of the whole log.
  const events = eventsOf(log);
  const broken = m.reentrant ? grammar15(log) : grammar(events, m.replaced);
  must(broken === undefined, r, `${m.reentrant ? '15' : '9/10'}: ${broken ?? ''}`);

  // failed only after exactly one fail entry per failure.
  const fails = count(log, (e) => e.startsWith('fail:'));
  const toFailed = count(log, (e) => isState(e) && e.endsWith('>failed'));
  must(fails === toFailed, r, `${toFailed} transitions to failed but ${fails} fail events`);
  if (cb.state === 'failed' && !m.reentrant) {
    must(events.at(-1)?.startsWith('fail:') === true, r, 'failed, but fail is not the last event');
  }

  // 10: every close that threw or rejected reached onerror, once.
  const closeFailures = count(log, isCloseFailure);
  must(
    closeFailures === connector.closeFailures,
    r,
    `10: ${connector.closeFailures} close calls failed but onerror saw ${closeFailures}`,
  );

  // 10: after end() nothing connects until reconnect() (R10: the grammar sees to it).
  if (m.endMark !== undefined && !m.reentrant) {
    must(cb.state === 'ended', r, '10: end() must leave the Connback ended until reconnect()');
    must(
      count(log.slice(m.endMark), (e) => e.startsWith('connect#')) === 0,
      r,
      '10: connect after end() without reconnect()',
    );
  }

  // 13 (and no stray timer in any other state).
  const timers = vi.getTimerCount();
  const expected = expectedTimers(cb.state, m.options);
  must(timers === expected, r, `13: ${timers} timers while ${cb.state}, expected ${expected}`);

  // 6, 9: one onreconnect per attempt but the very first; never more than maxNumOfAttempts in
  // one outage, and failing means they were all used.
  const announced = count(events, (e) => e === 'reconnect');
  const attempts = connector.connects;
  // With hooks an announced attempt may end before connect is called (end() in onreconnect).
  const consistent = m.reentrant ? attempts <= announced + 1 : attempts === announced + 1;
  must(consistent, r, `9: ${attempts} attempts but ${announced} onreconnect`);
  const { outageAttempts } = cb.stats;
  const max = m.options.maxNumOfAttempts;
  must(outageAttempts <= max, r, `6: ${outageAttempts} attempts in one outage (max ${max})`);
  if (cb.state === 'failed') {
    must(outageAttempts === max, r, `6: failed after ${outageAttempts} of ${max} attempts`);
  }

  // 7: a silent peer is declared dead at most 2 × keepalive after its last sign of life.
  const client = cb.client;
  if (client !== undefined && m.options.keepalive > 0) {
    must(m.life?.client === client, r, 'the live client was emitted');
    const silent = Date.now() - m.life.at;
    must(
      silent < 2000 * m.options.keepalive,
      r,
      `7: still connected after ${silent} ms of silence`,
    );
  }

  if (m.reentrant) {
    verifyLastCall(r);
    verifyPromises(r);
  }
}

/**
 * 10, 15: an end() is never undone. Calls take effect in the order they are made, so once the
 * command is over the most recent of the end() and reconnect() calls (by commands and hooks)
 * decides: after an end() the state is ended, after a reconnect() it is not.
 */
function verifyLastCall(r: Real): void {
  const { log, cb } = r.h;
  for (let i = log.length - 1; i >= 0; i--) {
    const e = log[i] ?? '';
    if (e.startsWith('x:end')) {
      must(
        cb.state === 'ended',
        r,
        `10/15: the last call was ${e.slice(2)}, but the state is ${cb.state}`,
      );
      return;
    }
    if (e.startsWith('x:reconnect')) {
      must(cb.state !== 'ended', r, `15: the last call was ${e.slice(2)}, but the state is ended`);
      return;
    }
  }
}

/**
 * 10, 15: once the state is connected, ended or failed, no ready() or reconnect() promise is left
 * waiting, and none resolved with a client that was never emitted (a late one, say).
 */
function verifyPromises(r: Real): void {
  const { state } = r.h.cb;
  for (const tracked of r.promises) {
    const { outcome } = tracked;
    if (outcome === undefined) {
      const settledState = state === 'connected' || state === 'ended' || state === 'failed';
      must(!settledState, r, `15: the promise of ${tracked.made} still waits while ${state}`);
    } else if ('client' in outcome) {
      const client = outcome.client;
      must(
        r.emitted.has(client),
        r,
        `15: ${tracked.made} gave client #${client.id}, never emitted`,
      );
    }
  }
}

type Due = { readonly test: (e: string) => boolean; readonly what: string };

const lifecycleError = (e: string) => e.startsWith('error:') && !isListenerFailure(e);
const DUE = {
  reconnect: { test: (e) => e === 'reconnect', what: 'onreconnect' },
  connect: { test: (e) => e.startsWith('connect#'), what: 'onconnect' },
  failed: { test: lifecycleError, what: 'the onerror of the failed attempt' },
  drop: {
    test: (e) => isClose(e) || lifecycleError(e),
    what: 'the onclose (or onerror) of the drop',
  },
  dropClose: { test: (e) => e === 'close(true)', what: 'onclose(true) after the onerror' },
  endClose: { test: (e) => e === 'close(false)', what: 'onclose(false) of end()' },
  ended: { test: (e) => e === 'state:ending>ended', what: 'ending → ended' },
  end: { test: (e) => e === 'end', what: 'onend' },
  fail: { test: (e) => e.startsWith('fail:'), what: 'onfail' },
} satisfies Record<string, Due>;

/**
 * The grammar of semantic 15 over the whole log, state changes included; the model's own calls
 * (markers), listener failures (a throwing hook) and close failures may come anywhere. Every
 * state change continues from the state before it, is in the transition table, and is followed
 * by its own event before anything else happens; every event is one a state change is owed,
 * except onoffline (once per outage, while offline). So nothing of an episode follows its onend
 * (only a state change may follow it, to connecting) and onend fires once per end. Returns the
 * first broken rule.
 */
export function grammar15(log: readonly string[]): string | undefined {
  let state: ConnbackState = 'idle';
  let due: Due | undefined;
  let outage = false;
  const connected = new Set<string>();
  for (const [i, e] of log.entries()) {
    const at = `log #${i} "${e}"`;
    if (isMarker(e) || isListenerFailure(e) || isCloseFailure(e)) continue;
    if (due !== undefined) {
      if (!due.test(e)) return `${at}: ${due.what} must come first`;
      if (due === DUE.drop && lifecycleError(e)) due = DUE.dropClose;
      else if (due === DUE.endClose) due = DUE.ended;
      else due = undefined;
      if (e.startsWith('connect#')) {
        const id = e.split(' ')[0] ?? e;
        if (connected.has(id)) return `${at}: the same client connects twice`;
        connected.add(id);
        outage = false;
      } else if (e === 'end' || e.startsWith('fail:')) {
        outage = false;
      }
      if (!isState(e)) continue;
    } else if (!isState(e)) {
      if (e !== 'offline') return `${at}: an event no state change is owed`;
      if (state !== 'offline') return `${at}: onoffline while ${state}`;
      if (outage) return `${at}: a second onoffline in one outage`;
      outage = true;
      continue;
    }
    const [from = '', to = ''] = e.slice('state:'.length).split('>');
    if (from !== state) return `${at}: a change from ${from}, but the state was ${state}`;
    const allowed: readonly string[] = TRANSITIONS[from as ConnbackState];
    if (!allowed.includes(to)) return `${at}: ${from} → ${to} is not in the transition table`;
    state = to as ConnbackState;
    if (to === 'connecting' && from !== 'idle') due = DUE.reconnect;
    else if (to === 'connected') due = DUE.connect;
    else if (from === 'connecting' && to === 'offline') due = DUE.failed;
    else if (from === 'connected' && to === 'offline') due = DUE.drop;
    else if (to === 'ending') due = from === 'connected' ? DUE.endClose : DUE.ended;
    else if (to === 'ended') due = DUE.end;
    else if (to === 'failed') due = DUE.fail;
    else if (to === 'idle') outage = false;
  }
  if (due !== undefined) return `the log ends where ${due.what} is owed`;
  return undefined;
}

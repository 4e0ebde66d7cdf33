import fc from 'fast-check';
import { describe, it, vi } from 'vitest';
import { recordFigure } from '../../../test-support/figures.js';
import {
  type AttemptToken,
  type Connback,
  type ConnbackOptions,
  type ConnbackState,
  ErrorCode,
  isConnbackError,
} from '../src/index.js';
import {
  type CloseScript,
  type ConnectScript,
  type FakeClient,
  FakeConnector,
  type PendingConnect,
  type PingScript,
} from './support/fake-connector.js';
import { advance, flush, type Harness, harness } from './support/harness.js';

/**
 * Model-based test: random sequences of user calls, transport signals, connector outcomes and fake
 * time, with the invariants of DESIGN.md semantics 1, 2, 6 (attempt accounting), 7 (dead-peer
 * window), 8, 9, 10 and 13 checked after every command. The model only holds what the commands
 * imply (where end() and reconnect() happened, the last sign of life of the live client);
 * everything else is checked against the event log, the fake connector's ledger and the fake
 * clock. Full jitter draws from a generated list, so every counterexample replays exactly.
 */

// ---------------------------------------------------------------- system under test

/**
 * A fake connector that also remembers which attempt token produced each client, and how many
 * `close` calls failed (threw or rejected) because of its close script.
 */
class ModelConnector extends FakeConnector {
  readonly tokenOf = new Map<FakeClient, AttemptToken>();
  closeFailures = 0;

  constructor() {
    super();
    const close = this.close;
    this.close = (client: FakeClient, force?: boolean) => {
      if (this.closeScript === 'throw' || this.closeScript === 'reject') this.closeFailures += 1;
      return close(client, force);
    };
    const connect = this.connect;
    this.connect = (connback: Connback<FakeClient>, token: AttemptToken) => {
      const result = connect(connback, token);
      if (result instanceof Promise) {
        // Registered before connback's own `then`, so it runs first.
        result.then(
          (client) => {
            if (client !== undefined) this.tokenOf.set(client, token);
          },
          () => undefined,
        );
      } else {
        this.tokenOf.set(result, token);
      }
      return result;
    };
  }
}

interface Real {
  readonly h: Harness;
  readonly connector: ModelConnector;
  /** Every client that was the argument of an onconnect event. */
  readonly emitted: Set<FakeClient>;
  /** Clients the test resolved after their attempt was cancelled. */
  readonly late: Set<FakeClient>;
  /** Rules broken inside this test's own onconnect / onerror listeners. */
  readonly problems: string[];
  /** Numbers the errors the test creates, so each one is found in the log by its message. */
  seq: number;
}

interface Model {
  readonly options: ModelOptions;
  /** Log length right after end(); until a reconnect() no connect may appear after it. */
  endMark: number | undefined;
  /** Positions (among events) of the onreconnect of a reconnect() that replaced an attempt. */
  readonly replaced: Set<number>;
  /** The live client and the fake time it last showed life (its connect or a fed heartbeat). */
  life: { client: FakeClient; at: number } | undefined;
}

interface ModelOptions {
  keepalive: number;
  connectTimeout: number;
  initialDelay: number;
  maxDelay: number;
  maxNumOfAttempts: number;
  minUptime: number;
  jitter: 'none' | 'full';
  lazyConnect: false;
}

function createReal(m: Model): Real {
  const { options } = m;
  const connector = new ModelConnector();
  const h = harness(options satisfies ConnbackOptions, connector);
  const real: Real = {
    h,
    connector,
    emitted: new Set(),
    late: new Set(),
    problems: [],
    seq: 0,
  };
  // Subscribed after the harness recorder, so the log already holds this connect.
  h.cb.onconnect((client) => {
    const token = connector.tokenOf.get(client);
    if (token === undefined) {
      real.problems.push(`connect#${client.id}: no connect call gave this client`);
    } else if (token.isCancellationRequested) {
      real.problems.push(`connect#${client.id}: emitted although its attempt token was cancelled`);
    }
    if (real.late.has(client))
      real.problems.push(`connect#${client.id}: a late client was emitted`);
    real.emitted.add(client);
    // Opening counts as a sign of life (7).
    m.life = { client, at: Date.now() };
  });
  h.cb.onerror((error) => {
    if (!isConnbackError(error) || error.code !== ErrorCode.KeepaliveTimeout) return;
    // 7: only a peer silent for a whole period after a ping is declared dead.
    const silent = m.life === undefined ? Number.NaN : Date.now() - m.life.at;
    if (!(silent >= 1000 * options.keepalive)) {
      real.problems.push(`7: keepalive timeout after only ${silent} ms of silence`);
    }
  });
  return real;
}

// ---------------------------------------------------------------- checking helpers

const isState = (entry: string) => entry.startsWith('state:');
/** A failed connector.close: reported, counted on its own, and changes nothing else. */
const isCloseFailure = (entry: string) => entry === `error:${ErrorCode.CloseFailed}`;
/** The events of a log, without state changes and close failures. */
const eventsOf = (entries: readonly string[]) =>
  entries.filter((e) => !isState(e) && !isCloseFailure(e));
const count = (entries: readonly string[], test: (e: string) => boolean) =>
  entries.filter(test).length;
const isClose = (e: string) => e.startsWith('close(');
const isConnectOf = (client: FakeClient) => (e: string) =>
  e === `connect#${client.id}` || e.startsWith(`connect#${client.id} `);

function must(ok: boolean, r: Real, rule: string): asserts ok {
  if (ok) return;
  const events = r.h.events();
  throw new Error(
    `${rule}\n  state: ${r.h.cb.state}\n  last events: ${events.slice(-14).join(' | ')}` +
      `\n  open clients: [${r.connector.openClients.map((c) => c.id).join(', ')}]` +
      ` in flight: ${r.connector.inFlight.length} timers: ${vi.getTimerCount()}`,
  );
}

interface Snapshot {
  readonly state: ConnbackState;
  readonly client: FakeClient | undefined;
  readonly log: number;
  readonly open: string;
  readonly closes: number;
  readonly connects: number;
  readonly pings: number;
  readonly timers: number;
}

function snap(r: Real): Snapshot {
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
function unchanged(r: Real, before: Snapshot, what: string): void {
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
function grammar(events: readonly string[], replaced: ReadonlySet<number>): string | undefined {
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
function expectedTimers(state: ConnbackState, options: ModelOptions): number {
  switch (state) {
    case 'connecting':
      return options.connectTimeout > 0 ? 1 : 0;
    case 'connected':
      return options.keepalive > 0 ? 1 : 0;
    case 'offline':
      return 1;
    default:
      return 0;
  }
}

/** Unhandled rejections seen while the property runs (a close or ping failure connback lost). */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** The invariants checked after every command, once promises are flushed. */
function verify(m: Model, r: Real): void {
  const { connector } = r;
  const { cb, log, violations } = r.h;
  must(violations.length === 0, r, `harness rules broken: ${violations.join('; ')}`);
  must(r.problems.length === 0, r, r.problems.join('; '));
  must(unhandled.length === 0, r, `unhandled rejection: ${unhandled.map(String).join('; ')}`);

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

  // 9, 10: the grammar of the whole log.
  const events = eventsOf(log);
  const broken = grammar(events, m.replaced);
  must(broken === undefined, r, `9/10: ${broken ?? ''}`);

  // failed only after exactly one fail entry per failure.
  const fails = count(log, (e) => e.startsWith('fail:'));
  const toFailed = count(log, (e) => isState(e) && e.endsWith('>failed'));
  must(fails === toFailed, r, `${toFailed} transitions to failed but ${fails} fail events`);
  if (cb.state === 'failed') {
    must(events.at(-1)?.startsWith('fail:') === true, r, 'failed, but fail is not the last event');
  }

  // 10: every close that threw or rejected reached onerror, once.
  const closeFailures = count(log, isCloseFailure);
  must(
    closeFailures === connector.closeFailures,
    r,
    `10: ${connector.closeFailures} close calls failed but onerror saw ${closeFailures}`,
  );

  // 10: after end() nothing connects until reconnect().
  if (m.endMark !== undefined) {
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
  must(attempts === announced + 1, r, `9: ${attempts} attempts but ${announced} onreconnect`);
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
}

// ---------------------------------------------------------------- commands

abstract class Step implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }

  /** Does the command and its own checks; the caller flushes and verifies. */
  protected abstract act(m: Model, r: Real): Promise<void> | void;

  async run(m: Model, r: Real): Promise<void> {
    await this.act(m, r);
    await flush();
    verify(m, r);
  }

  abstract toString(): string;
}

/** 10: end(force) adds one end (after close(false) if connected), is idempotent, returns this. */
class End extends Step {
  constructor(readonly force: boolean) {
    super();
  }

  protected async act(m: Model, r: Real): Promise<void> {
    const { cb, log } = r.h;
    const before = snap(r);
    must(cb.end(this.force) === cb, r, '10: end() returns this');
    if (before.state === 'ended') {
      must(log.length === before.log, r, '10: end() when ended adds nothing');
    } else {
      const added = eventsOf(log.slice(before.log)).join(' ');
      const wanted = before.client === undefined ? 'end' : 'close(false) end';
      must(added === wanted, r, `10: end() from ${before.state} added "${added}", not "${wanted}"`);
      must(cb.state === 'ended', r, '10: state is ended after end()');
      if (before.client !== undefined) {
        must(!before.client.open, r, '10: end() closes the client');
        const force = before.client.closedWithForce;
        must(
          force === this.force,
          r,
          `10: end(${this.force}) closed the client with force ${force}`,
        );
      }
      m.endMark = log.length;
    }
    const mark = log.length;
    must(cb.end() === cb && cb.end(true) === cb, r, '10: a second end() returns this');
    must(log.length === mark, r, '10: a second end() adds nothing');
    await flush();
    const after = eventsOf(log.slice(mark));
    must(after.length === 0, r, `10: "${after.join(' ')}" happened after end()`);
    must(vi.getTimerCount() === 0, r, '13: no timer left after end()');
  }

  toString(): string {
    return this.force ? 'end(true)' : 'end()';
  }
}

/**
 * 11: reconnect() starts an attempt now; 2: one in flight is cancelled first (replaced, never
 * doubled); while connected the old client is closed first.
 */
class Reconnect extends Step {
  protected act(m: Model, r: Real): void {
    const { cb, connector, log } = r.h;
    const before = snap(r);
    const inFlight = connector.inFlight[0];
    const at = eventsOf(log).length;
    cb.reconnect().then(
      () => undefined,
      () => undefined,
    );
    m.endMark = undefined;
    const added = eventsOf(log.slice(before.log));
    must(connector.connects > before.connects, r, '11: reconnect() starts an attempt now');
    if (inFlight !== undefined) {
      const cancelled = inFlight.token.isCancellationRequested;
      must(cancelled, r, '2: reconnect() cancels the attempt in flight');
      m.replaced.add(at);
    }
    if (before.client !== undefined) {
      must(!before.client.open, r, '11: reconnect() closes the old client first');
      const head = added.slice(0, 3).join(' ');
      const wanted = 'close(false) offline reconnect';
      must(head === wanted, r, `9: reconnect() while connected began "${head}"`);
    } else {
      const first = added[0];
      must(first === 'reconnect', r, `9: reconnect() from ${before.state} began with "${first}"`);
    }
  }

  toString(): string {
    return 'reconnect()';
  }
}

/**
 * A signal of the live transport: feedError or feedClose(hasError), with or without the client,
 * optionally followed in the same tick by the transport's own feedClose (8).
 */
class Drop extends Step {
  constructor(
    readonly kind: 'error' | 'close',
    readonly hasError: boolean,
    readonly scoped: boolean,
    readonly echo: boolean | undefined,
  ) {
    super();
  }

  protected async act(_m: Model, r: Real): Promise<void> {
    const { cb, log } = r.h;
    const before = snap(r);
    const client = before.client;
    const arg = this.scoped ? client : undefined;
    const message = `fed-${++r.seq}`;
    if (this.kind === 'error') cb.feedError(new Error(message), arg);
    else cb.feedClose(this.hasError, arg);
    if (this.echo !== undefined) cb.feedClose(this.echo, arg);
    if (client === undefined) {
      unchanged(r, before, `${this} while ${before.state}`);
      return;
    }
    const added = eventsOf(log.slice(before.log));
    const closes = added.filter(isClose);
    const close = this.kind === 'error' ? 'close(true)' : `close(${this.hasError})`;
    const gave = closes.join(', ');
    must(closes.length === 1 && closes[0] === close, r, `8: ${this} gave [${gave}], not ${close}`);
    const closeAt = added.indexOf(close);
    if (this.kind === 'error') {
      const errors = count(added, (e) => e === `error:${message}`);
      must(errors === 1, r, `8: feedError while connected gave ${errors} error events`);
      must(added.indexOf(`error:${message}`) < closeAt, r, '8: the error comes before its close');
    }
    must(added[closeAt + 1] === 'offline', r, '9: close → offline on a drop');
    must(!client.open, r, 'a dropped client is closed');
    await flush();
    const later = eventsOf(log.slice(before.log)).filter(isClose).length;
    must(later === 1, r, `8: ${this} gave ${later} closes once promises ran`);
  }

  toString(): string {
    const who = this.scoped ? 'live' : 'no client';
    const first =
      this.kind === 'error' ? `feedError(err, ${who})` : `feedClose(${this.hasError}, ${who})`;
    return this.echo === undefined ? first : `${first} + feedClose(${this.echo}, ${who})`;
  }
}

/** 8: signals naming a client that is no longer current change nothing. */
class Stale extends Step {
  constructor(
    readonly kind: 'error' | 'close' | 'heartbeat',
    readonly pick: number,
    readonly hasError: boolean,
  ) {
    super();
  }

  protected act(_m: Model, r: Real): void {
    const { cb, connector } = r.h;
    const olds = connector.clients.filter((c) => c !== cb.client);
    const old = olds[this.pick % Math.max(1, olds.length)];
    if (old === undefined) return;
    const before = snap(r);
    if (this.kind === 'error') cb.feedError(new Error(`stale-${++r.seq}`), old);
    else if (this.kind === 'close') cb.feedClose(this.hasError, old);
    else cb.feedHeartbeat(old);
    unchanged(r, before, `8: ${this} with client #${old.id}`);
  }

  /** `pick` selects among the clients that are not current, oldest first (modulo their count). */
  toString(): string {
    const arg = this.kind === 'close' ? `${this.hasError}, ` : this.kind === 'error' ? 'err, ' : '';
    const name =
      this.kind === 'heartbeat' ? 'Heartbeat' : this.kind === 'close' ? 'Close' : 'Error';
    return `feed${name}(${arg}stale client ${this.pick})`;
  }
}

/** feedHeartbeat() of the live connection: no event, and the dead-peer deadline moves. */
class Beat extends Step {
  constructor(readonly scoped: boolean) {
    super();
  }

  protected act(m: Model, r: Real): void {
    const { cb } = r.h;
    const before = snap(r);
    cb.feedHeartbeat(this.scoped ? cb.client : undefined);
    unchanged(r, before, 'feedHeartbeat()');
    if (m.life !== undefined && cb.connected && m.life.client === cb.client) {
      m.life.at = Date.now();
    }
  }

  toString(): string {
    return `feedHeartbeat(${this.scoped ? 'live' : ''})`;
  }
}

class Advance extends Step {
  constructor(readonly ms: number) {
    super();
  }

  protected async act(): Promise<void> {
    await advance(this.ms);
  }

  toString(): string {
    return `advance(${this.ms})`;
  }
}

/** Moves fake time exactly to the next timer: hits every boundary (timeouts, ticks, backoff). */
class NextTimer extends Step {
  protected async act(): Promise<void> {
    await vi.advanceTimersToNextTimerAsync();
  }

  toString(): string {
    return 'advanceToNextTimer()';
  }
}

/** Settles one connect call: the newest one, or an older (cancelled) one still unsettled. */
class Settle extends Step {
  constructor(
    readonly which: 'newest' | 'older',
    readonly outcome: 'resolve' | 'reject',
    readonly pick: number,
  ) {
    super();
  }

  #target(r: Real): PendingConnect | undefined {
    const { pending } = r.connector;
    if (this.which === 'newest') {
      const newest = pending.at(-1);
      return newest?.settled === false ? newest : undefined;
    }
    const older = pending.filter((p) => !p.settled && p.token.isCancellationRequested);
    return older[this.pick % Math.max(1, older.length)];
  }

  protected async act(_m: Model, r: Real): Promise<void> {
    const { cb, log } = r.h;
    const target = this.#target(r);
    if (target === undefined) return;
    const late = target.token.isCancellationRequested;
    const before = snap(r);
    const message = `refused-${++r.seq}`;
    let client: FakeClient | undefined;
    if (this.outcome === 'resolve') {
      client = target.resolve();
      if (late) r.late.add(client);
    } else {
      target.reject(new Error(message));
    }
    await flush();
    const added = eventsOf(log.slice(before.log));
    if (late) {
      must(added.length === 0, r, `2: settling a cancelled attempt added "${added.join(' ')}"`);
      if (client !== undefined) {
        const forced = !client.open && client.closedWithForce === true;
        must(forced, r, '2: a late client is closed with force');
        must(!r.emitted.has(client), r, '2: a late client is never emitted');
        must(cb.client !== client, r, '2: a late client is never assigned');
      }
      return;
    }
    if (client !== undefined) {
      must(cb.client === client, r, 'the resolved attempt gives the live client');
      must(count(added, isConnectOf(client)) === 1, r, 'the resolved attempt is emitted once');
    } else {
      const errors = count(added, (e) => e === `error:${message}`);
      must(errors === 1, r, `6: a rejected attempt gave ${errors} error events`);
    }
  }

  toString(): string {
    const which = this.which === 'newest' ? 'newest' : `cancelled ${this.pick}`;
    return `${this.outcome}(${which} connect)`;
  }
}

class Ping extends Step {
  constructor(readonly script: PingScript) {
    super();
  }

  protected act(_m: Model, r: Real): void {
    r.connector.pingScript = this.script;
  }

  toString(): string {
    return `pingScript = '${this.script}'`;
  }
}

class Close extends Step {
  constructor(readonly script: CloseScript) {
    super();
  }

  protected act(_m: Model, r: Real): void {
    r.connector.closeScript = this.script;
  }

  toString(): string {
    return `closeScript = '${this.script}'`;
  }
}

class Script extends Step {
  constructor(readonly kind: 'throw' | 'reject' | 'resolve') {
    super();
  }

  protected act(_m: Model, r: Real): void {
    const script: ConnectScript =
      this.kind === 'resolve'
        ? { kind: 'resolve' }
        : { kind: this.kind, error: new Error(`script-${this.kind}`) };
    r.connector.script(script);
  }

  toString(): string {
    return `script(${this.kind})`;
  }
}

// ---------------------------------------------------------------- arbitraries

const optionsArb: fc.Arbitrary<ModelOptions> = fc
  .record({
    keepalive: fc.constantFrom(0, 0.5, 1),
    connectTimeout: fc.constantFrom(0, 300, 1000),
    initialDelay: fc.integer({ min: 100, max: 500 }),
    extraDelay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2500 })),
    maxNumOfAttempts: fc.oneof(
      fc.constant(Number.POSITIVE_INFINITY),
      fc.integer({ min: 1, max: 5 }),
    ),
    minUptime: fc.constantFrom(0, 200, 1000),
    jitter: fc.constantFrom('none' as const, 'full' as const),
  })
  .map(({ extraDelay, ...o }) => ({
    ...o,
    maxDelay: o.initialDelay + extraDelay,
    lazyConnect: false as const,
  }));

/** What Math.random returns, in turn (full jitter): extremes included, and replayable. */
const randomsArb = fc.array(
  fc.oneof(
    fc.constantFrom(0, 0.5, 0.999_999),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  ),
  { minLength: 1, maxLength: 6 },
);

/** Exact option values (keepalive, 2 × keepalive, connectTimeout, minUptime) and their neighbours. */
const boundaries = [
  0, 1, 99, 100, 199, 200, 201, 299, 300, 301, 499, 500, 501, 999, 1000, 1001, 1999, 2000, 2001,
];

type CommandArb = fc.Arbitrary<fc.AsyncCommand<Model, Real>>;

/** The command mix: each arbitrary repeated `weight` times (fc.commands picks uniformly). */
function weighted(...entries: [weight: number, arb: CommandArb][]): CommandArb[] {
  return entries.flatMap(([weight, arb]) => Array.from({ length: weight }, () => arb));
}

const commandArbs = weighted(
  [1, fc.boolean().map((force) => new End(force))],
  [1, fc.constant(new Reconnect())],
  [
    3,
    fc
      .tuple(
        fc.constantFrom('error' as const, 'close' as const),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.boolean(), { nil: undefined }),
      )
      .map(([kind, hasError, scoped, echo]) => new Drop(kind, hasError, scoped, echo)),
  ],
  [
    2,
    fc
      .tuple(
        fc.constantFrom<'error' | 'close' | 'heartbeat'>(
          'error',
          'close',
          'heartbeat',
          'heartbeat',
        ),
        fc.nat(20),
        fc.boolean(),
      )
      .map(([kind, pick, hasError]) => new Stale(kind, pick, hasError)),
  ],
  [2, fc.boolean().map((scoped) => new Beat(scoped))],
  [3, fc.integer({ min: 0, max: 3000 }).map((ms) => new Advance(ms))],
  [2, fc.constantFrom(...boundaries).map((ms) => new Advance(ms))],
  [2, fc.constant(new NextTimer())],
  [
    3,
    fc
      .constantFrom('resolve' as const, 'resolve' as const, 'reject' as const)
      .map((outcome) => new Settle('newest', outcome, 0)),
  ],
  [
    1,
    fc
      .tuple(fc.constantFrom('resolve' as const, 'reject' as const), fc.nat(20))
      .map(([o, pick]) => new Settle('older', o, pick)),
  ],
  [1, fc.constantFrom<PingScript>('ok', 'throw', 'reject').map((script) => new Ping(script))],
  [
    1,
    fc
      .constantFrom<CloseScript>('ok', 'throw', 'reject', 'hang')
      .map((script) => new Close(script)),
  ],
  [
    2,
    fc
      .constantFrom('throw' as const, 'reject' as const, 'resolve' as const, 'resolve' as const)
      .map((kind) => new Script(kind)),
  ],
);

const sequencesArb = fc.commands(commandArbs, { maxCommands: 40, size: 'max' });

// ---------------------------------------------------------------- the property

async function runSequence(
  options: ModelOptions,
  randoms: readonly number[],
  commands: Iterable<fc.AsyncCommand<Model, Real>>,
): Promise<void> {
  // A clean clock even after a failing run (shrinking replays many).
  vi.clearAllTimers();
  unhandled.length = 0;
  let turn = 0;
  const random = vi
    .spyOn(Math, 'random')
    .mockImplementation(() => randoms[turn++ % randoms.length] ?? 0);
  const model: Model = { options, endMark: undefined, replaced: new Set(), life: undefined };
  const real = createReal(model);
  try {
    await flush(); // the eager first attempt
    verify(model, real);
    await fc.asyncModelRun(() => ({ model, real }), commands);
    // Every run finishes with end(): 10 and 13 once more, and nothing for the after-each check.
    await new End(false).run(model, real);
  } catch (error) {
    // Reported by this property (with the shrunk sequence); the after-each check would repeat it.
    real.h.violations.length = 0;
    throw error;
  } finally {
    if (real.h.cb.state !== 'ended') real.h.cb.end(true);
    random.mockRestore();
  }
}

describe('model-based: random command sequences over the fake connector and fake time', () => {
  it('model: semantics 1, 2, 6, 7, 8, 9, 10, 13 hold over 3,000 random command sequences', async () => {
    process.on('unhandledRejection', onUnhandled);
    try {
      await fc.assert(fc.asyncProperty(optionsArb, randomsArb, sequencesArb, runSequence), {
        numRuns: 3000,
      });
      recordFigure(
        'R1',
        'model-based command sequences run with 0 invariant violations',
        3000,
        'sequences',
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }, 120_000);
});

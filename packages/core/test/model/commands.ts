import type fc from 'fast-check';
import { vi } from 'vitest';
import type {
  CloseScript,
  ConnectScript,
  FakeClient,
  HostileThenable,
  PendingConnect,
  PingScript,
} from '../support/fake-connector.js';
import { advance, flush } from '../support/harness.js';
import {
  Broken,
  count,
  eventsOf,
  isClose,
  isConnectOf,
  must,
  snap,
  unchanged,
  verify,
} from './checks.js';
import { type Call, type Model, type Place, perform, type Real, track } from './system.js';

/**
 * The commands of the model. Each does one thing a user, a transport or time does, with its own
 * expectations; `run` then flushes promises and checks every invariant. When a hook fired during
 * the command (R10), the command's own expectations no longer apply, but the invariants do.
 */

export abstract class Step implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }

  /** Does the command and its own checks; the caller flushes and verifies. */
  protected abstract act(m: Model, r: Real): Promise<void> | void;

  async run(m: Model, r: Real): Promise<void> {
    const fired = r.fired;
    try {
      await this.act(m, r);
    } catch (error) {
      // A hook re-entered during the command: what the command expected no longer applies.
      if (!(error instanceof Broken) || r.fired === fired) throw error;
    }
    await flush();
    verify(m, r);
  }

  abstract toString(): string;
}

/** 10: end(force) adds one end (after close(false) if connected), is idempotent, returns this. */
export class End extends Step {
  constructor(readonly force: boolean) {
    super();
  }

  protected async act(m: Model, r: Real): Promise<void> {
    const { cb, log } = r.h;
    log.push(`x:${this.force ? 'end(true)' : 'end'} in command`);
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
    if (cb.state !== 'ended') return; // a hook restarted it
    log.push('x:end in command', 'x:end(true) in command');
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
export class Reconnect extends Step {
  protected act(m: Model, r: Real): void {
    const { cb, connector, log } = r.h;
    log.push('x:reconnect in command');
    const before = snap(r);
    const inFlight = connector.inFlight[0];
    const at = eventsOf(log).length;
    const promise = cb.reconnect();
    if (m.reentrant) track(r, 'reconnect() in command', promise);
    else promise.catch(() => undefined);
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
export class Drop extends Step {
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
export class Stale extends Step {
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
export class Beat extends Step {
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

export class Advance extends Step {
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
export class NextTimer extends Step {
  protected async act(): Promise<void> {
    await vi.advanceTimersToNextTimerAsync();
  }

  toString(): string {
    return 'advanceToNextTimer()';
  }
}

/** Settles one connect call: the newest one, or an older (cancelled) one still unsettled. */
export class Settle extends Step {
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

export class Ping extends Step {
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

export class Close extends Step {
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

export class Script extends Step {
  constructor(readonly kind: 'throw' | 'reject' | 'resolve' | HostileThenable) {
    super();
  }

  protected act(_m: Model, r: Real): void {
    let script: ConnectScript;
    if (this.kind === 'resolve') script = { kind: 'resolve' };
    else if (this.kind === 'throw' || this.kind === 'reject') {
      script = { kind: this.kind, error: new Error(`script-${this.kind}`) };
    } else script = { kind: 'hostile', how: this.kind };
    r.connector.script(script);
  }

  toString(): string {
    return `script(${this.kind})`;
  }
}

/** R10: arms a hook, one-shot, at the next place of its kind connback calls out to. */
export class Arm extends Step {
  constructor(
    readonly place: Place,
    readonly calls: readonly Call[],
  ) {
    super();
  }

  protected act(_m: Model, r: Real): void {
    r.hooks.push({ place: this.place, calls: this.calls });
  }

  toString(): string {
    return `hook(${this.place}: ${this.calls.join(', ')})`;
  }
}

/** R10: ready() or start() called by the user, outside any callback. */
export class UserCall extends Step {
  constructor(readonly call: 'ready' | 'start') {
    super();
  }

  protected act(m: Model, r: Real): void {
    perform(m, r, this.call, 'command');
  }

  toString(): string {
    return `${this.call}()`;
  }
}

import { Announcer } from './announcer.js';
import { Attempt, type AttemptHost } from './attempt.js';
import { BackoffPolicy, type PolicySink } from './backoff.js';
import { type BudgetWaiter, RetryBudget } from './budget.js';
import type { Cancellable } from './cancellation.js';
import type { Connback } from './connback.js';
import { type CloseSink, Connection, type ConnectionHost, closeClient } from './connection.js';
import type { Connector } from './connector.js';
import { diagnostics } from './diagnostics.js';
import { type EnvironmentSignal, subscribeTo, unsubscribeFrom } from './environment.js';
import { ConnbackError, ErrorCode } from './errors.js';
import type { ResolvedConnbackOptions } from './options.js';
import type { InternalState } from './state.js';
import { Counters } from './stats.js';
import { TIMERS, type Timers, UNREFED_TIMERS } from './timers.js';
import { trace } from './trace.js';
import { endedError, rejected, rejectWaiters, resolveWaiters, Waiters } from './waiters.js';
import { WATCH_PERIOD, type WakeGap, type WakeListener, watcherFor } from './wake.js';

/** The state between attempts. */
export type Offline = Extract<InternalState<unknown>, { name: 'offline' }>;

/** Held while the environment's subscribe runs, so a leave from inside it is seen. */
function SUBSCRIBING(): void {}

// The states that own nothing are shared by every Connback.
const IDLE: { readonly name: 'idle' } = Object.freeze({ name: 'idle' });
const ENDING: { readonly name: 'ending' } = Object.freeze({ name: 'ending' });
const ENDED: { readonly name: 'ended' } = Object.freeze({ name: 'ended' });

/**
 * The state of a Connback and every transition of it (the table is in `state.ts`). Above it,
 * {@link Reactions} decides when to try again and what a ping, a wake-up or a signal does, and
 * the {@link Machine} says how calls, timers and reports get here.
 *
 * Every transition runs the same way (DESIGN.md semantic 15): store the new state; post what it
 * announces (`onstatechange`, its event, the waiting promises) to the {@link Outbox}; release what
 * the old state held (`#release`: the attempt's token fires, the client is closed); deliver the
 * outbox; then go on only if the state is still the one it stored (`still`). User code may call
 * back in at any of those points; the call first delivers what is owed, then takes effect at
 * once (or, made while another call delivers or `end()` runs, right after that one: see
 * {@link Announcer}), and the transition it interrupted stops at its next check.
 */
export abstract class Transitions<T>
  extends Announcer<T>
  implements AttemptHost<T>, ConnectionHost<T>, CloseSink, PolicySink, BudgetWaiter, WakeListener
{
  readonly #connback: Connback<T>;
  protected readonly connector: Connector<T>;
  readonly #options: ResolvedConnbackOptions;
  protected readonly policy: BackoffPolicy;
  protected readonly timers: Timers;
  #state: InternalState<T> = IDLE;
  /** The eager start is still to come. */
  #autoStart: boolean;
  /** An outage is under way: onoffline fired and no connect since. */
  #outage = false;
  /** Bumped by each `reconnect()`; scopes the token that may stop its chain of attempts. */
  #chain = 0;
  #waiters: Waiters<T> | undefined;
  protected readonly counters = new Counters();
  /** The unsubscribe function of the environment's signals, while subscribed. */
  #unsubscribeEnvironment: (() => void) | undefined;

  constructor(connback: Connback<T>, connector: Connector<T>, options: ResolvedConnbackOptions) {
    super();
    this.#connback = connback;
    this.connector = connector;
    this.#options = options;
    this.policy = new BackoffPolicy(options);
    this.timers = options.unref ? UNREFED_TIMERS : TIMERS;
    this.#autoStart = !options.lazyConnect;
  }

  abstract settled(attempt: Attempt<T>, client: T | undefined, error: Error | undefined): void;
  abstract timedOut(attempt: Attempt<T>): void;
  abstract pingDue(connection: Connection<T>, late: number): void;
  abstract pingFailed(connection: Connection<T>, thrown: unknown): void;
  abstract peerDead(connection: Connection<T>): void;
  abstract closeFailed(thrown: unknown): void;
  abstract woke(gap: WakeGap): void;
  abstract signaled(signal: EnvironmentSignal): void;
  /** The retry budget granted the attempt this Connback waited for. */
  abstract budgetGranted(): void;
  /** After a loss: `onoffline` if new, the retry predicates, then fail or wait the backoff delay. */
  protected abstract carryOn(offline: Offline, error: Error | undefined, askRetry: boolean): void;

  /** The shared retry budget, if any (read from the options: one field less per Connback). */
  protected get budget(): RetryBudget | undefined {
    const budget = this.#options.budget;
    if (budget instanceof RetryBudget) return budget;
    return budget === 'default' ? RetryBudget.default : undefined;
  }

  get options(): ResolvedConnbackOptions {
    return this.#options;
  }

  /** The state with its data. */
  get current(): InternalState<T> {
    return this.#state;
  }

  /** The eager start is still to come. */
  get autoStarting(): boolean {
    return this.#autoStart;
  }

  /** Delivers, then tells whether `state` is still the current state. */
  protected still(state: InternalState<T>): boolean {
    this.deliver();
    return this.#state === state;
  }

  // ---------------------------------------------------------------- calls

  protected startStep(): void {
    this.#autoStart = false;
    if (this.#state.name !== 'idle') return;
    this.policy.reset();
    this.begin(false);
  }

  protected readyStep(token: Cancellable | undefined): Promise<T> {
    const s = this.#state;
    if (s.name === 'connected') return Promise.resolve(s.client);
    if (s.name === 'ended') return rejected(endedError());
    if (s.name === 'failed') return rejected(s.error);
    const promise = this.#wait(token, undefined);
    if (s.name === 'idle') this.startStep();
    return promise;
  }

  /**
   * While `end()` runs, a call (from its listeners, the token's, `connector.close`) waits until
   * onend fired: `ending` is the only state a transition leaves by itself, with no check between.
   */
  protected get ending(): boolean {
    return this.#state.name === 'ending';
  }

  protected reconnectStep(token: Cancellable | undefined): Promise<T> {
    this.#autoStart = false;
    const chain = ++this.#chain;
    const stop = token === undefined ? undefined : () => this.#stop(chain);
    const promise = this.#wait(token, stop);
    this.policy.reset();
    const s = this.#state;
    if (s.name === 'connected') {
      this.dropStep(s, undefined, false, true);
    } else {
      // From idle, ended or failed a fresh episode; connecting or offline stay in the outage.
      if (s.name !== 'connecting' && s.name !== 'offline') this.#outage = false;
      this.begin(true);
    }
    return promise;
  }

  protected endStep(force: boolean): void {
    const prev = this.#state;
    if (prev.name === 'ending' || prev.name === 'ended') return;
    if (trace.enabled) trace('end(%s)', force ? 'force' : '');
    this.#autoStart = false;
    this.#outage = false;
    this.#state = ENDING;
    this.#leaveEnvironment();
    this.announceState(prev.name, 'ending');
    if (prev.name === 'connected') this.announceClose(false);
    this.#release(prev, ErrorCode.Ended, force);
    this.deliver();
    // Nothing moves the state on while it is `ending`: reconnect() waits, the rest is a no-op.
    this.#state = ENDED;
    this.announceState('ending', 'ended');
    if (this.#waiters !== undefined && this.#waiters.size > 0) {
      this.postCall(rejectWaiters, this.#waiters, endedError);
    }
    this.post0(this.channels?.end);
    this.deliver();
  }

  // ---------------------------------------------------------------- attempts

  /** A new attempt; `announce` when onreconnect tells of it (all but a start's first). */
  protected begin(announce: boolean): void {
    const prev = this.#state;
    const attempt = new Attempt<T>(this.policy.recordAttempt(), announce, this);
    const all = ++this.counters.attempts;
    this.#state = attempt;
    if (trace.enabled) trace('attempt %d of the outage (%d in all)', attempt.number, all);
    if (this.#options.connectTimeout > 0) attempt.arm(this.timers, this.#options.connectTimeout);
    this.announceState(prev.name, 'connecting');
    if (announce) this.post0(this.channels?.reconnect);
    this.#release(prev, ErrorCode.Cancelled, true);
    if (!this.still(attempt)) return;
    // The environment's subscribe is user code too: it may end or replace this attempt.
    if (this.#unsubscribeEnvironment === undefined) this.#joinEnvironment();
    if (this.#state === attempt) attempt.connect(this.connector, this.#connback);
  }

  protected connectGave(attempt: Attempt<T>, client: T | undefined): void {
    if (this.#state !== attempt) {
      // Cancelled by a timeout, end() or reconnect(): a late client is closed and never used.
      if (client !== undefined && client !== null) closeClient(this.connector, client, true, this);
      return;
    }
    attempt.settled = true;
    if (client === undefined || client === null) {
      this.#attemptFailed(new ConnbackError(ErrorCode.NoClient));
      return;
    }
    if (this.connector.endpoint !== undefined) {
      this.counters.endpoint = this.#endpointOf(client);
      // The connector's code: a call it made may have moved the state on.
      if (this.#state !== attempt) {
        closeClient(this.connector, client, true, this);
        return;
      }
    }
    attempt.gave(client, this.counters.endpoint);
    this.#connected(attempt, client);
  }

  #endpointOf(client: T): string | undefined {
    try {
      return this.connector.endpoint?.(client);
    } catch (thrown) {
      this.reportThrown(thrown, "the connector's endpoint");
      return undefined;
    }
  }

  /** A late rejection is swallowed: the attempt was counted already, or abandoned. */
  protected attemptRefused(attempt: Attempt<T>, error: Error): void {
    if (this.#state !== attempt) return;
    attempt.settled = true;
    this.#attemptFailed(error);
  }

  protected timedOutStep(attempt: Attempt<T>, error: Error): void {
    if (this.#state === attempt) this.#attemptFailed(error);
  }

  /** The attempt in flight failed; one that timed out has not settled and its token fires. */
  #attemptFailed(error: Error): void {
    const prev = this.#state;
    if (trace.enabled) trace('attempt failed: %s', error.message);
    this.counters.failedAttempts += 1;
    this.counters.lastError = error;
    this.policy.failed(error);
    const offline: Offline = { name: 'offline', timer: undefined, budgeted: false };
    this.#state = offline;
    this.announceState('connecting', 'offline');
    this.announceError(error);
    this.#release(prev, error, true);
    if (this.still(offline)) this.carryOn(offline, error, !this.policy.exhausted);
  }

  // ---------------------------------------------------------------- connections

  #connected(attempt: Attempt<T>, client: T): void {
    const prev = this.#state;
    const connection = new Connection(client, this.timers.now(), this);
    const reconnect = this.counters.connects > 0;
    this.counters.connects += 1;
    this.#outage = false;
    this.#state = connection;
    this.announceState('connecting', 'connected');
    if (this.#waiters !== undefined && this.#waiters.size > 0) {
      this.postCall(resolveWaiters, this.#waiters, client);
    }
    if (diagnostics?.connect.hasSubscribers) {
      const connback = this.#connback as Connback<unknown>;
      const { number } = attempt;
      const endpoint = this.counters.endpoint;
      const message = { connback, client, reconnect, attempt: number, endpoint };
      this.publishLater(diagnostics.connect, message);
    }
    const channel = this.channels?.connect;
    if (channel?.listening) {
      const endpoint = this.counters.endpoint;
      this.post2(channel, client, { reconnect, attempt: attempt.number, endpoint });
    }
    // canPing is the connector's code: it may have ended the connection already.
    const period = this.#options.keepalive * 1000;
    if (period > 0 && connection.pingable(this.connector) && this.#state === connection) {
      // A period longer than the watcher's: the heartbeat's timer waits for its next tick.
      const deferred = period > WATCH_PERIOD;
      connection.startKeepalive(period, this.timers, this.connector.ping !== undefined, deferred);
      watcherFor(this.timers).add(this, deferred, deferred && this.timers === TIMERS);
    }
    // The settled attempt's release runs no user code (but a tracing subscriber's); after the heartbeat (or the watcher holding
    // the process for it) is armed, Node's count of live timers never touches zero here (each time it does costs a native call).
    this.#release(prev, ErrorCode.Cancelled, true);
    this.deliver();
  }

  protected closedStep(connection: Connection<T>, hasError: boolean): void {
    this.dropStep(connection, undefined, hasError);
  }

  /**
   * The live connection is gone (or replaced by `reconnect()`, `requested`): release the client,
   * report what happened to it, then reconnect unless a call made meanwhile moved the state on.
   */
  protected dropStep(
    prev: Connection<T>,
    error: Error | undefined,
    hasError = true,
    requested = false,
  ): void {
    if (this.#state !== prev) return;
    if (trace.enabled) {
      trace('connection %s: %s', requested ? 'replaced' : 'lost', error?.message ?? 'closed');
    }
    if (!requested) {
      this.counters.drops += 1;
      this.policy.connectionClosed(this.timers.now() - prev.since);
    }
    if (error !== undefined) {
      this.counters.lastError = error;
      this.policy.failed(error);
    }
    const offline: Offline = { name: 'offline', timer: undefined, budgeted: false };
    this.#state = offline;
    this.announceState('connected', 'offline');
    if (error !== undefined) this.announceError(error);
    this.announceClose(hasError);
    this.#release(prev, ErrorCode.Cancelled, true);
    if (!this.still(offline)) return;
    if (!requested) this.carryOn(offline, error, error !== undefined);
    else if (this.enterOutage(offline)) this.begin(true);
  }

  /** The wake watcher's tick after this Connback connected: its keepalive timer is armed now. */
  arrive(): boolean {
    const s = this.#state;
    return s.name === 'connected' && s.arrive() && this.timers === TIMERS;
  }

  #joinEnvironment(): void {
    const environment = this.#options.environment;
    // Node's default environment has no signals: no listener is made for it.
    if (environment.subscribe === undefined) return;
    const listener = (signal: EnvironmentSignal) => this.signaled(signal);
    this.#unsubscribeEnvironment = SUBSCRIBING;
    const unsubscribe = subscribeTo(environment, listener, this);
    // subscribe may have ended the Connback (and so left) already: then nothing stays subscribed.
    if (this.#unsubscribeEnvironment === SUBSCRIBING) this.#unsubscribeEnvironment = unsubscribe;
    else if (unsubscribe !== undefined) unsubscribeFrom(unsubscribe, this);
  }

  #leaveEnvironment(): void {
    const unsubscribe = this.#unsubscribeEnvironment;
    if (unsubscribe === undefined) return;
    this.#unsubscribeEnvironment = undefined;
    if (unsubscribe !== SUBSCRIBING) unsubscribeFrom(unsubscribe, this);
  }

  // ---------------------------------------------------------------- outages

  /** Announces a new outage (once per outage); false when a call moved the state on. */
  protected enterOutage(offline: Offline): boolean {
    if (this.#outage) return true;
    this.#outage = true;
    this.post0(this.channels?.offline);
    return this.still(offline);
  }

  protected fail(lastError: Error, reason: ConnbackError): void {
    const prev = this.#state;
    if (trace.enabled) trace('giving up: %s (last error: %s)', reason.message, lastError.message);
    this.#outage = false;
    this.#state = { name: 'failed', error: reason };
    this.#leaveEnvironment();
    this.announceState(prev.name, 'failed');
    if (this.#waiters !== undefined && this.#waiters.size > 0) {
      this.postCall(rejectWaiters, this.#waiters, reason);
    }
    this.post2(this.channels?.fail, lastError, reason);
    this.#release(prev, ErrorCode.Cancelled, true);
    this.deliver();
  }

  /** The token of the `reconnect(token)` that started chain `chain` fired: back to idle. */
  #stop(chain: number): void {
    if (this.busy) this.wait(() => this.#stopped(chain));
    else this.#stopped(chain);
  }

  #stopped(chain: number): void {
    this.pay();
    const prev = this.#state;
    if (chain !== this.#chain || (prev.name !== 'connecting' && prev.name !== 'offline')) return;
    this.#outage = false;
    this.#state = IDLE;
    this.#leaveEnvironment();
    this.announceState(prev.name, 'idle');
    this.#release(prev, ErrorCode.Cancelled, true);
    this.deliver();
    this.next();
  }

  // ---------------------------------------------------------------- effects

  /** Releases what a state that was just left owned: its timer, its token, its client. */
  #release(state: InternalState<T>, reason: Error | ErrorCode, force: boolean): void {
    switch (state.name) {
      case 'connecting':
        state.release(this.timers, reason);
        break;
      case 'connected':
        watcherFor(this.timers).delete(this, state.arriving && this.timers === TIMERS);
        state.release(this.connector, force);
        break;
      case 'offline':
        watcherFor(this.timers).delete(this);
        if (state.timer !== undefined) this.timers.clear(state.timer);
        state.timer = undefined;
        if (state.budgeted) {
          state.budgeted = false;
          this.budget?.cancel(this);
        }
        break;
      default:
    }
  }

  /** The Connback, for the messages of the diagnostics channels. */
  protected get connback(): Connback<T> {
    return this.#connback;
  }

  #wait(token: Cancellable | undefined, stop: (() => void) | undefined): Promise<T> {
    this.#waiters ??= new Waiters();
    return this.#waiters.wait(token, stop);
  }
}

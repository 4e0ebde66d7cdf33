import { BackoffPolicy } from './backoff.js';
import {
  AttemptCancellation,
  type Cancellable,
  isCancellable,
  isCancelled,
  onCancelled,
} from './cancellation.js';
import { type Connector, checkConnector } from './connector.js';
import { ConnbackError, ErrorCode, toError } from './errors.js';
import { type Event, EventChannel } from './events.js';
import { Heartbeat, type HeartbeatHost } from './heartbeat.js';
import { type ConnbackOptions, type ResolvedConnbackOptions, resolveOptions } from './options.js';
import type { Attempt, ConnbackState, InternalState, StateChange } from './state.js';
import { TIMERS, type Timers, UNREFED_TIMERS } from './timers.js';
import { trace } from './trace.js';

/** The second argument of `onconnect`: tells the first connect from a reconnect. */
export interface ConnectInfo {
  /** False for the first connect of this Connback, true for every later one. */
  readonly reconnect: boolean;
  /** Number of the attempt that connected, within its outage (1 for the first). */
  readonly attempt: number;
}

/** A snapshot of a Connback's counters, as `stats` returns it. */
export interface ConnbackStats {
  readonly state: ConnbackState;
  /** Attempts made over the Connback's life. */
  readonly attempts: number;
  /**
   * Attempts counted toward `maxNumOfAttempts`: those of the current outage. The count starts over
   * when a connection that stayed up `minUptime` closes, and on `reconnect()`.
   */
  readonly outageAttempts: number;
  /** Attempts that failed (rejected, threw, timed out). */
  readonly failedAttempts: number;
  /** Successful connects, the first included. */
  readonly connects: number;
  /** Successful connects after the first. */
  readonly reconnects: number;
  /** Live connections that were lost (not counting `end()` and `reconnect()`). */
  readonly drops: number;
  /** The last error of an attempt or a connection, if any. */
  readonly lastError: Error | undefined;
  /** When the current connection opened; undefined while not connected. */
  readonly connectedSince: Date | undefined;
  /** The backoff delay (ms) of the wait in progress; undefined when not waiting. */
  readonly nextDelay: number | undefined;
}

interface Waiter<T> {
  resolve(client: T): void;
  reject(error: Error): void;
  unsubscribe: (() => void) | undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** What the `onerror` channel does with a throwing listener: nothing is left to report it to. */
function ignoreListenerError(): void {}

/** A promise whose rejection is not reported as unhandled when the caller ignores it. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Keeps one connection alive through a {@link Connector}: connect timeout, backoff with jitter,
 * keepalive, and a lifecycle in which at most one attempt is in flight and at most one client is
 * live. Eager by default: the first attempt starts right after the constructor returns.
 *
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` when an option or the connector is not valid.
 */
export class Connback<T> {
  readonly #connector: Connector<T>;
  readonly #options: ResolvedConnbackOptions;
  readonly #policy: BackoffPolicy;
  readonly #timers: Timers;
  #state: InternalState<T> = { name: 'idle' };
  /** An outage is under way: onoffline fired and no connect since. */
  #outage = false;
  /** The eager start is still to come. */
  #autoStart: boolean;
  /** `reconnect()` was called while `end()` was closing: start again once it is done. */
  #restartAfterEnd = false;
  /** Bumped each time `reconnect()` starts a new chain of attempts; scopes its token. */
  #chain = 0;
  /** Pending `ready()`/`reconnect()` promises; made on the first one. */
  #waiters: Set<Waiter<T>> | undefined;
  #counters = { attempts: 0, failedAttempts: 0, connects: 0, drops: 0 };
  #lastError: Error | undefined;
  /** The last error of the current outage: what `onfail` reports when attempts run out. */
  #outageError: Error | undefined;
  #nextDelay: number | undefined;

  // Bound once: the event channels and every attempt's cancellation share it.
  readonly #reportListenerError = (thrown: unknown) => this.#listenerFailed(thrown);
  // Shared by every Connback: each gets the Connback as an argument, so no connection or attempt
  // allocates a callback of its own for its keepalive or its connect timeout.
  static readonly #heartbeatHost: HeartbeatHost<Connback<unknown>, unknown> = {
    ping: (owner, client) => owner.#ping(client),
    dead: (owner, client) => owner.#peerDead(client),
  };

  /** The connect timer of the attempt in flight fired (a timer is cleared with its attempt). */
  static #connectTimerFired(owner: Connback<unknown>): void {
    const s = owner.#state;
    if (s.name === 'connecting') owner.#attemptTimedOut(s.attempt);
  }

  // Each event's channel is made when its event is first read: a Connback whose users listen to
  // three events pays for three, and firing an event nobody read costs nothing.
  #errorChannel: EventChannel<[Error]> | undefined;
  #connectChannel: EventChannel<[T, ConnectInfo]> | undefined;
  #reconnectChannel: EventChannel<[]> | undefined;
  #closeChannel: EventChannel<[boolean]> | undefined;
  #offlineChannel: EventChannel<[]> | undefined;
  #endChannel: EventChannel<[]> | undefined;
  #failChannel: EventChannel<[Error, ConnbackError]> | undefined;
  #stateChannel: EventChannel<[StateChange]> | undefined;

  /** A client is live: `(client, { reconnect, attempt })`. */
  get onconnect(): Event<[client: T, info: ConnectInfo]> {
    this.#connectChannel ??= new EventChannel(this.#reportListenerError);
    return this.#connectChannel.event;
  }

  /** An attempt starts after a drop, a failed attempt or `reconnect()` (not the first one). */
  get onreconnect(): Event<[]> {
    this.#reconnectChannel ??= new EventChannel(this.#reportListenerError);
    return this.#reconnectChannel.event;
  }

  /** A live connection closed; `hasError` when it closed because of an error. */
  get onclose(): Event<[hasError: boolean]> {
    this.#closeChannel ??= new EventChannel(this.#reportListenerError);
    return this.#closeChannel.event;
  }

  /** Every error: failed attempts, connection errors, keepalive timeouts, listener throws. */
  get onerror(): Event<[error: Error]> {
    // A throwing onerror listener has nowhere left to report to; the other listeners still run.
    this.#errorChannel ??= new EventChannel(ignoreListenerError);
    return this.#errorChannel.event;
  }

  /** An outage began (once per outage, after `onclose` or the first failed attempt). */
  get onoffline(): Event<[]> {
    this.#offlineChannel ??= new EventChannel(this.#reportListenerError);
    return this.#offlineChannel.event;
  }

  /** `end()` finished (once per `end()`). */
  get onend(): Event<[]> {
    this.#endChannel ??= new EventChannel(this.#reportListenerError);
    return this.#endChannel.event;
  }

  /** Reconnection stopped for good: `(lastError, reason)`, reason coded `ATTEMPTS_EXHAUSTED` or `RETRY_DECLINED`. */
  get onfail(): Event<[lastError: Error, reason: ConnbackError]> {
    this.#failChannel ??= new EventChannel(this.#reportListenerError);
    return this.#failChannel.event;
  }

  /** The state changed: `({ from, to })`, fired before the event the change belongs to. */
  get onstatechange(): Event<[change: StateChange]> {
    this.#stateChannel ??= new EventChannel(this.#reportListenerError);
    return this.#stateChannel.event;
  }

  constructor(connector: Connector<T>, options?: ConnbackOptions) {
    checkConnector(connector);
    this.#connector = connector;
    this.#options = resolveOptions(options);
    this.#policy = new BackoffPolicy(this.#options);
    this.#timers = this.#options.unref ? UNREFED_TIMERS : TIMERS;
    this.#autoStart = !this.#options.lazyConnect;
    // Deferred so that listeners added right after `new` see every event of the first attempt.
    if (this.#autoStart) queueMicrotask(() => this.#autoStart && this.start());
  }

  /** Same as `new Connback(connector, options)`. */
  static create<T>(connector: Connector<T>, options?: ConnbackOptions): Connback<T> {
    return new Connback(connector, options);
  }

  /** The options with every default filled in. */
  get options(): ResolvedConnbackOptions {
    return this.#options;
  }

  /** The current state; the boolean getters derive from it. */
  get state(): ConnbackState {
    return this.#state.name;
  }

  /** The live client; `undefined` unless connected. */
  get client(): T | undefined {
    return this.#state.name === 'connected' ? this.#state.client : undefined;
  }

  get connected(): boolean {
    return this.#state.name === 'connected';
  }

  get connecting(): boolean {
    return this.#state.name === 'connecting';
  }

  /** True during an outage: waiting to retry, or an attempt announced by `onreconnect`. */
  get reconnecting(): boolean {
    const s = this.#state;
    return s.name === 'offline' || (s.name === 'connecting' && s.attempt.reconnect);
  }

  /** True from `end()` on, until a new start. */
  get ending(): boolean {
    return this.#state.name === 'ending' || this.#state.name === 'ended';
  }

  get ended(): boolean {
    return this.#state.name === 'ended';
  }

  /** A snapshot of the counters. */
  get stats(): ConnbackStats {
    const s = this.#state;
    return {
      state: s.name,
      ...this.#counters,
      outageAttempts: this.#policy.attempts,
      reconnects: Math.max(0, this.#counters.connects - 1),
      lastError: this.#lastError,
      connectedSince:
        s.name === 'connected' ? new Date(Date.now() - (this.#timers.now() - s.since)) : undefined,
      nextDelay: s.name === 'offline' && s.timer !== undefined ? this.#nextDelay : undefined,
    };
  }

  /** Starts connecting when idle (`lazyConnect`, or stopped by a cancelled `reconnect`); else nothing. */
  start(): this {
    this.#autoStart = false;
    if (this.#state.name === 'idle') {
      this.#resetOutage();
      this.#attempt(false);
    }
    return this;
  }

  /**
   * Resolves with the live client, or the next one. Starts an idle Connback.
   * Rejects with `CONNBACK_CANCELLED` when `token` fires, `CONNBACK_ENDED` on `end()`, and the
   * terminal error when reconnection fails.
   */
  ready(token?: Cancellable): Promise<T> {
    const refused = this.#refuseToken(token);
    if (refused !== undefined) return refused;
    const s = this.#state;
    if (s.name === 'connected') return Promise.resolve(s.client);
    if (s.name === 'ended' || s.name === 'ending') {
      return quiet(Promise.reject(new ConnbackError(ErrorCode.Ended)));
    }
    if (s.name === 'failed') return quiet(Promise.reject(s.error));
    const promise = this.#wait(token, undefined);
    if (s.name === 'idle') this.start();
    return promise;
  }

  /**
   * Connects again now, with a fresh attempt budget: while connected the old client is closed
   * first; an attempt in flight is cancelled and replaced (never two at once); a backoff wait is cut
   * short; after `end()` or a failure a fresh episode starts. Resolves with the new client.
   *
   * Cancelling `token` before that stops the reconnection this call started (the attempt in flight
   * is cancelled, state becomes `idle`) and rejects with `CONNBACK_CANCELLED`.
   */
  reconnect(token?: Cancellable): Promise<T> {
    const refused = this.#refuseToken(token);
    if (refused !== undefined) return refused;
    this.#autoStart = false;
    const chain = ++this.#chain;
    const promise = this.#wait(token, chain);
    const s = this.#state;
    switch (s.name) {
      case 'connected':
        this.#resetOutage();
        this.#drop(s.client, undefined, false, true);
        break;
      case 'ending':
        this.#restartAfterEnd = true;
        break;
      case 'connecting':
      case 'offline':
        // Same outage (no second onoffline), fresh budget; an attempt in flight is cancelled.
        this.#resetOutage();
        this.#attempt(true);
        break;
      default:
        this.#resetOutage();
        this.#outage = false;
        this.#attempt(true);
    }
    return promise;
  }

  /**
   * Stops for good: cancels the attempt in flight, the backoff wait and the heartbeat, closes the
   * client with `connector.close(client, force)`, then fires `onclose` (if connected) and `onend`.
   * Idempotent. Waiting `ready()`/`reconnect()` promises reject with `CONNBACK_ENDED`.
   */
  end(force = false): this {
    const s = this.#state;
    if (s.name === 'ending' || s.name === 'ended') return this;
    if (trace.enabled) trace('end(%s)', force ? 'force' : '');
    this.#autoStart = false;
    this.#outage = false;
    // Settled first: a reconnect() called from a listener below waits for the restart instead.
    this.#settleWaiters(undefined, new ConnbackError(ErrorCode.Ended));
    this.#transition({ name: 'ending' }, new ConnbackError(ErrorCode.Ended));
    if (s.name === 'connected') {
      this.#closeClient(s.client, force);
      this.#closeChannel?.fire(false);
    }
    // While `ending`, reconnect() is deferred and end()/start() do nothing: the state is still ours.
    this.#transition({ name: 'ended' });
    this.#endChannel?.fire();
    if (this.#restartAfterEnd) {
      this.#restartAfterEnd = false;
      if (this.#state.name === 'ended') {
        this.#resetOutage();
        this.#attempt(true);
      }
    }
    return this;
  }

  /**
   * Tells connback that other traffic was just sent, so the next ping may wait. The dead-peer
   * deadline does not move.
   */
  reschedulePingTimer(): void {
    if (this.#state.name === 'connected') this.#state.heartbeat?.postpone();
  }

  /**
   * Reports an error of the live connection: one `onerror`, then the connection counts as closed
   * (one `onclose(true)`) even if the transport's own close follows. Ignored when `client` is
   * given and is not the live client, or when not connected.
   */
  feedError(error: Error, client?: T): void {
    const s = this.#state;
    if (s.name !== 'connected' || (client !== undefined && client !== s.client)) return;
    this.#drop(s.client, toError(error), true, false);
  }

  /**
   * Reports that the live connection closed: one `onclose(hasError)`, then reconnection. A second
   * close, a close of a stale `client`, or a close while not connected is ignored.
   */
  feedClose(hasError = false, client?: T): void {
    const s = this.#state;
    if (s.name !== 'connected' || (client !== undefined && client !== s.client)) return;
    this.#drop(s.client, undefined, hasError === true, false);
  }

  /** Reports a sign of life (a pong, or any data) from the live connection. */
  feedHeartbeat(client?: T): void {
    const s = this.#state;
    if (s.name !== 'connected' || (client !== undefined && client !== s.client)) return;
    s.heartbeat?.beat();
  }

  // ---------------------------------------------------------------- transitions

  /**
   * The only place the state changes: disposes what the old state owned, then fires
   * `onstatechange`. Returns false when a listener already moved the state on (re-entrancy).
   */
  #transition(next: InternalState<T>, cancelReason?: unknown): boolean {
    const prev = this.#state;
    this.#disposeState(prev, cancelReason);
    this.#state = next;
    if (trace.enabled) trace('%s → %s', prev.name, next.name);
    if (this.#stateChannel?.listening) this.#stateChannel.fire({ from: prev.name, to: next.name });
    return this.#state === next;
  }

  #disposeState(state: InternalState<T>, cancelReason: unknown): void {
    switch (state.name) {
      case 'connecting': {
        const { attempt } = state;
        if (attempt.timer !== undefined) this.#timers.clear(attempt.timer);
        attempt.timer = undefined;
        if (!attempt.settled) {
          attempt.cancellation.cancel(cancelReason ?? new ConnbackError(ErrorCode.Cancelled));
        }
        attempt.cancellation.dispose();
        break;
      }
      case 'connected':
        state.heartbeat?.stop();
        break;
      case 'offline':
        if (state.timer !== undefined) this.#timers.clear(state.timer);
        state.timer = undefined;
        break;
      default:
    }
  }

  #attempt(reconnect: boolean): void {
    const attempt: Attempt = {
      number: this.#policy.recordAttempt(),
      reconnect,
      cancellation: new AttemptCancellation(this.#reportListenerError),
      timer: undefined,
      settled: false,
    };
    this.#counters.attempts += 1;
    if (trace.enabled)
      trace('attempt %d of the outage (%d in all)', attempt.number, this.#counters.attempts);
    const timeout = this.#options.connectTimeout;
    if (timeout > 0) {
      attempt.timer = this.#timers.set(
        Connback.#connectTimerFired,
        timeout,
        this as Connback<unknown>,
      );
    }
    if (!this.#transition({ name: 'connecting', attempt })) return;
    if (reconnect) {
      this.#reconnectChannel?.fire();
      if (!this.#isCurrent(attempt)) return;
    }
    let result: T | PromiseLike<T>;
    try {
      result = this.#connector.connect(this, attempt.cancellation.token);
    } catch (error) {
      this.#attemptSettled(attempt, undefined, toError(error));
      return;
    }
    if (isThenable(result)) {
      result.then(
        (client) => this.#attemptSettled(attempt, client, undefined),
        (error: unknown) => this.#attemptSettled(attempt, undefined, toError(error)),
      );
    } else {
      this.#attemptSettled(attempt, result, undefined);
    }
  }

  #isCurrent(attempt: Attempt): boolean {
    return this.#state.name === 'connecting' && this.#state.attempt === attempt;
  }

  #attemptSettled(attempt: Attempt, client: T | undefined, error: Error | undefined): void {
    if (!this.#isCurrent(attempt)) {
      // Cancelled by a timeout, end() or reconnect(): a late client is closed and never used;
      // a late rejection is swallowed (it was already counted, or the attempt was abandoned).
      if (error === undefined && client !== undefined && client !== null) {
        this.#closeClient(client, true);
      }
      return;
    }
    attempt.settled = true;
    if (error === undefined && (client === undefined || client === null)) {
      error = new ConnbackError(ErrorCode.NoClient);
    }
    if (error !== undefined) {
      this.#attemptFailed(error);
    } else {
      this.#connected(attempt, client as T);
    }
  }

  #attemptTimedOut(attempt: Attempt): void {
    attempt.timer = undefined;
    const error = new ConnbackError(
      ErrorCode.ConnectTimeout,
      `connect timed out after ${this.#options.connectTimeout} ms`,
    );
    attempt.cancellation.cancel(error);
    // The connector's cancellation listeners ran just now and may have re-entered.
    if (!this.#isCurrent(attempt)) return;
    attempt.settled = true;
    this.#attemptFailed(error);
  }

  #attemptFailed(error: Error): void {
    if (trace.enabled) trace('attempt failed: %s', error.message);
    this.#counters.failedAttempts += 1;
    this.#lastError = error;
    this.#outageError = error;
    const offline: InternalState<T> = { name: 'offline', timer: undefined };
    this.#transition(offline);
    this.#errorChannel?.fire(error);
    if (this.#state !== offline) return;
    this.#enterOutage();
    if (this.#state !== offline) return;
    if (!this.#policy.exhausted && !this.#retryAllowed(error)) {
      this.#fail(error, new ConnbackError(ErrorCode.RetryDeclined, undefined, { cause: error }));
      return;
    }
    if (this.#state !== offline) return;
    this.#continueOutage(offline, error);
  }

  /** The connector's `retryable` and the `retry` option both agree to go on after `error`. */
  #retryAllowed(error: Error): boolean {
    try {
      if (this.#connector.retryable?.(error) === false) return false;
    } catch (thrown) {
      this.#listenerFailed(thrown);
    }
    try {
      return this.#options.retry(error, this.#policy.attempts) !== false;
    } catch (thrown) {
      this.#listenerFailed(thrown);
      return true;
    }
  }

  /** The connector's `canPing`: a throw is reported and counts as pingable. */
  #pingable(client: T): boolean {
    try {
      return this.#connector.canPing?.(client) !== false;
    } catch (thrown) {
      this.#listenerFailed(thrown);
      return true;
    }
  }

  #connected(attempt: Attempt, client: T): void {
    const keepalive = this.#options.keepalive;
    const heartbeat =
      keepalive > 0 && this.#pingable(client)
        ? new Heartbeat<Connback<unknown>, T>(
            keepalive * 1000,
            Connback.#heartbeatHost as HeartbeatHost<Connback<unknown>, T>,
            this as Connback<unknown>,
            client,
            this.#timers,
          )
        : undefined;
    const connected: InternalState<T> = {
      name: 'connected',
      client,
      heartbeat,
      since: this.#timers.now(),
    };
    const reconnect = this.#counters.connects > 0;
    this.#counters.connects += 1;
    this.#outage = false;
    heartbeat?.start();
    if (!this.#transition(connected)) return;
    this.#settleWaiters(client, undefined);
    if (this.#connectChannel?.listening) {
      this.#connectChannel.fire(client, { reconnect, attempt: attempt.number });
    }
  }

  #ping(client: T): void {
    const ping = this.#connector.ping;
    if (trace.enabled) trace('keepalive tick: %s', ping === undefined ? 'no ping method' : 'ping');
    if (ping === undefined) return;
    try {
      const result = ping.call(this.#connector, client);
      if (isThenable(result)) {
        result.then(undefined, (error: unknown) => this.#pingFailed(client, error));
      }
    } catch (error) {
      this.#pingFailed(client, error);
    }
  }

  #peerDead(client: T): void {
    if (trace.enabled)
      trace('no heartbeat within a keepalive period of the ping: the peer is dead');
    const seconds = this.#options.keepalive;
    const error = new ConnbackError(
      ErrorCode.KeepaliveTimeout,
      `no heartbeat within ${seconds} s of a ping (keepalive ${seconds} s)`,
    );
    this.#drop(client, error, true, false);
  }

  #pingFailed(client: T, error: unknown): void {
    const ping = new ConnbackError(ErrorCode.PingFailed, undefined, { cause: error });
    this.#drop(client, ping, true, false);
  }

  /**
   * The live connection is gone (or is being replaced by `reconnect()`): release the client, report
   * it, then reconnect. `onerror`/`onclose` always fire, since they describe what happened; the
   * reconnection goes ahead only if no listener ended or restarted the Connback meanwhile.
   */
  #drop(client: T, error: Error | undefined, hasError: boolean, requested: boolean): void {
    const s = this.#state;
    if (s.name !== 'connected' || s.client !== client) return;
    if (trace.enabled)
      trace('connection %s: %s', requested ? 'replaced' : 'lost', error?.message ?? 'closed');
    if (!requested) {
      this.#counters.drops += 1;
      const stable = this.#policy.connectionClosed(this.#timers.now() - s.since);
      if (stable) this.#outageError = undefined;
    }
    if (error !== undefined) {
      this.#lastError = error;
      this.#outageError = error;
    }
    const offline: InternalState<T> = { name: 'offline', timer: undefined };
    this.#transition(offline);
    this.#closeClient(client, true);
    if (error !== undefined) this.#errorChannel?.fire(error);
    this.#closeChannel?.fire(hasError);
    if (this.#state !== offline) return;
    if (requested) {
      this.#enterOutage();
      if (this.#state === offline) this.#attempt(true);
      return;
    }
    if (error !== undefined) {
      this.#enterOutage();
      if (this.#state !== offline) return;
      if (!this.#retryAllowed(error)) {
        this.#fail(error, new ConnbackError(ErrorCode.RetryDeclined, undefined, { cause: error }));
        return;
      }
      if (this.#state !== offline) return;
    }
    this.#continueOutage(offline, error);
  }

  /** A fresh attempt budget: the count, the delay sequence and the outage's last error start over. */
  #resetOutage(): void {
    this.#policy.reset();
    this.#outageError = undefined;
  }

  #enterOutage(): void {
    if (this.#outage) return;
    this.#outage = true;
    this.#offlineChannel?.fire();
  }

  /** Fires `onoffline` if the outage is new, then fails or waits the backoff delay. */
  #continueOutage(offline: InternalState<T> & { name: 'offline' }, error: Error | undefined): void {
    this.#enterOutage();
    if (this.#state !== offline) return;
    if (this.#policy.exhausted) {
      const last = error ?? this.#outageError ?? new ConnbackError(ErrorCode.ConnectionLost);
      const n = this.#policy.attempts;
      const reason = new ConnbackError(
        ErrorCode.AttemptsExhausted,
        `gave up after ${n} attempt${n === 1 ? '' : 's'}`,
        { cause: last },
      );
      this.#fail(last, reason);
      return;
    }
    const delay = this.#policy.nextDelay();
    if (trace.enabled) trace('next attempt in %d ms', delay);
    if (delay === 0) {
      this.#attempt(true);
      return;
    }
    this.#nextDelay = delay;
    offline.timer = this.#timers.set(
      () => {
        offline.timer = undefined;
        if (this.#state === offline) this.#attempt(true);
      },
      delay,
      undefined,
    );
  }

  #fail(lastError: Error, reason: ConnbackError): void {
    if (trace.enabled) trace('giving up: %s (last error: %s)', reason.message, lastError.message);
    this.#outage = false;
    if (!this.#transition({ name: 'failed', error: reason })) return;
    this.#settleWaiters(undefined, reason);
    this.#failChannel?.fire(lastError, reason);
  }

  /** Returns to idle after a `reconnect(token)` was cancelled. */
  #stop(): void {
    this.#outage = false;
    this.#transition({ name: 'idle' }, new ConnbackError(ErrorCode.Cancelled));
  }

  // ---------------------------------------------------------------- helpers

  #closeClient(client: T, force: boolean): void {
    try {
      const result = this.#connector.close(client, force);
      if (isThenable(result)) result.then(undefined, (thrown) => this.#closeFailed(thrown));
    } catch (thrown) {
      this.#closeFailed(thrown);
    }
  }

  #closeFailed(thrown: unknown): void {
    this.#errorChannel?.fire(
      new ConnbackError(ErrorCode.CloseFailed, undefined, { cause: thrown }),
    );
  }

  #listenerFailed(thrown: unknown): void {
    const error = new ConnbackError(
      ErrorCode.ListenerFailed,
      `an event listener threw: ${toError(thrown).message}`,
      { cause: thrown },
    );
    this.#errorChannel?.fire(error);
  }

  /** A rejected promise for a token that is not one or is already cancelled; else undefined. */
  #refuseToken(token: Cancellable | undefined): Promise<T> | undefined {
    if (token === undefined) return undefined;
    if (!isCancellable(token)) {
      throw new TypeError('connback: the token must be a CancellationToken or an AbortSignal');
    }
    if (isCancelled(token)) return quiet(Promise.reject(new ConnbackError(ErrorCode.Cancelled)));
    return undefined;
  }

  /** A promise for the next client; `chain` is set when the token may stop the chain of attempts the caller started. */
  #wait(token: Cancellable | undefined, chain: number | undefined): Promise<T> {
    return quiet(
      new Promise<T>((resolve, reject) => {
        const waiter: Waiter<T> = { resolve, reject, unsubscribe: undefined };
        this.#waiters ??= new Set();
        this.#waiters.add(waiter);
        if (token === undefined) return;
        waiter.unsubscribe = onCancelled(token, () => {
          if (!this.#waiters?.delete(waiter)) return;
          waiter.unsubscribe?.();
          reject(new ConnbackError(ErrorCode.Cancelled));
          if (chain !== this.#chain) return;
          const name = this.#state.name;
          if (name === 'connecting' || name === 'offline') this.#stop();
          else if (name === 'ending') this.#restartAfterEnd = false;
        });
      }),
    );
  }

  #settleWaiters(client: T | undefined, error: Error | undefined): void {
    if (this.#waiters === undefined || this.#waiters.size === 0) return;
    // Settling runs no caller code synchronously (promise callbacks are queued), so the set
    // cannot change while it is walked.
    for (const waiter of this.#waiters) {
      waiter.unsubscribe?.();
      if (error === undefined) waiter.resolve(client as T);
      else waiter.reject(error);
    }
    this.#waiters.clear();
  }
}

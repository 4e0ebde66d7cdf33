import type { Cancellable } from './cancellation.js';
import { type Connector, checkConnector } from './connector.js';
import { asyncDisposeSymbol, disposeSymbol, endAndSettle } from './dispose.js';
import type { ConnbackError } from './errors.js';
import type { Event } from './events.js';
import { Machine } from './machine.js';
import { type ConnbackOptions, type ResolvedConnbackOptions, resolveOptions } from './options.js';
import type { ConnbackState, StateChange } from './state.js';
import type { ConnbackStats, ConnectInfo, PongInfo, WakeInfo } from './stats.js';
import { StatusIterator } from './status.js';

/**
 * Connbacks made since the last microtask, to start (eager start). One microtask starts them
 * all, in the order they were made: a Connback costs no closure for it.
 */
const starting: (Machine<unknown> | undefined)[] = [];
/**
 * How many of `starting` are to start. The array is never emptied by its length: an array
 * emptied that way gives back its storage, and the next push (the next Connback) allocates it.
 */
let startingCount = 0;
// A resolved promise's then queues the microtask: cheaper than Node's queueMicrotask, which
// makes an async resource and a bound function per call.
const settled = Promise.resolve();

function startMade(): void {
  try {
    // A Connback made by a listener of one started here joins this round, after the others.
    for (let i = 0; i < startingCount; i++) starting[i]?.autoStart();
  } finally {
    for (let i = 0; i < startingCount; i++) starting[i] = undefined;
    startingCount = 0;
  }
}

/**
 * Keeps one connection alive through a {@link Connector}: connect timeout, backoff with jitter,
 * keepalive, and a lifecycle in which at most one attempt is in flight and at most one client is
 * live. Eager by default: the first attempt starts right after the constructor returns.
 *
 * Listeners, and the connector's code, may call any method. Such a call takes effect once the
 * event being fired has reached all its listeners (or the connector call has returned), before
 * connback does anything else: an `end()` is never undone, and no event of an episode follows
 * its `onend`.
 *
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` when an option or the connector is not valid.
 */
export class Connback<T> {
  readonly #machine: Machine<T>;

  /**
   * Makes a Connback. Unless `lazyConnect` is set, the first attempt starts in a microtask, so
   * listeners added right after `new` see every event of it.
   * @param connector How to open, close and ping a client (see {@link Connector}).
   * @param options The options; each one left out takes its default ({@link DEFAULT_OPTIONS}).
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming the option or the connector member
   *   that is not valid, or an unknown option.
   */
  constructor(connector: Connector<T>, options?: ConnbackOptions) {
    checkConnector(connector);
    const resolved = resolveOptions(options);
    const machine = new Machine<T>(this, connector, resolved);
    this.#machine = machine;
    // Deferred so that listeners added right after `new` see every event of the first attempt.
    if (!resolved.lazyConnect) {
      starting[startingCount] = machine as Machine<unknown>;
      startingCount += 1;
      if (startingCount === 1) void settled.then(startMade);
    }
  }

  /**
   * Same as `new Connback(connector, options)`.
   * @param connector How to open, close and ping a client.
   * @param options The options; each one left out takes its default.
   * @returns The new Connback.
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` when an option or the connector is not valid.
   */
  static create<T>(connector: Connector<T>, options?: ConnbackOptions): Connback<T> {
    return new Connback(connector, options);
  }

  /** The options with every default filled in. */
  get options(): ResolvedConnbackOptions {
    return this.#machine.options;
  }

  /** The current state; the boolean getters derive from it. */
  get state(): ConnbackState {
    return this.#machine.current.name;
  }

  /** The live client; `undefined` unless connected. */
  get client(): T | undefined {
    const s = this.#machine.current;
    return s.name === 'connected' ? s.client : undefined;
  }

  /** True when `state` is `connected`. */
  get connected(): boolean {
    return this.#machine.current.name === 'connected';
  }

  /** True when `state` is `connecting`. */
  get connecting(): boolean {
    return this.#machine.current.name === 'connecting';
  }

  /** True during an outage: waiting to retry, or an attempt announced by `onreconnect`. */
  get reconnecting(): boolean {
    const s = this.#machine.current;
    return s.name === 'offline' || (s.name === 'connecting' && s.reconnect);
  }

  /** True from `end()` on, until a new start. */
  get ending(): boolean {
    const state = this.#machine.current.name;
    return state === 'ending' || state === 'ended';
  }

  /** True when `state` is `ended`. */
  get ended(): boolean {
    return this.#machine.current.name === 'ended';
  }

  /** A snapshot of the counters. */
  get stats(): ConnbackStats {
    return this.#machine.stats();
  }

  /** A client is live: `(client, { reconnect, attempt })`. */
  get onconnect(): Event<[client: T, info: ConnectInfo]> {
    return this.#machine.events.onconnect;
  }

  /** An attempt starts after a drop, a failed attempt or `reconnect()` (not the first one). */
  get onreconnect(): Event<[]> {
    return this.#machine.events.onreconnect;
  }

  /** A live connection closed; `hasError` when it closed because of an error. */
  get onclose(): Event<[hasError: boolean]> {
    return this.#machine.events.onclose;
  }

  /** Every error: failed attempts, connection errors, keepalive timeouts, listener throws. */
  get onerror(): Event<[error: Error]> {
    return this.#machine.events.onerror;
  }

  /** An outage began (once per outage, after `onclose` or the first failed attempt). */
  get onoffline(): Event<[]> {
    return this.#machine.events.onoffline;
  }

  /** `end()` finished (once per `end()`). */
  get onend(): Event<[]> {
    return this.#machine.events.onend;
  }

  /** Reconnection stopped for good: `(lastError, reason)`, reason coded `ATTEMPTS_EXHAUSTED` or `RETRY_DECLINED`. */
  get onfail(): Event<[lastError: Error, reason: ConnbackError]> {
    return this.#machine.events.onfail;
  }

  /**
   * A wake-up: the process was stopped or the machine slept (`info.asleep` ms, `info.action`
   * `probe` while connected, `retry` while waiting to retry). Fired before the probe's ping or
   * the attempt it causes.
   */
  get onwake(): Event<[info: WakeInfo]> {
    return this.#machine.events.onwake;
  }

  /**
   * A keepalive ping goes out: connback is calling `connector.ping` (on the keepalive schedule,
   * or for a probe). Not fired when the connector has no `ping`. A ping that throws is followed
   * by its `onerror` and `onclose`.
   */
  get onping(): Event<[]> {
    return this.#machine.events.onping;
  }

  /**
   * A ping was answered: `({ rtt })`, the ms from the ping to the first heartbeat after it (the
   * pong, or any data fed as a heartbeat). Also in `stats.rtt`, with the minimum and a smoothed
   * value.
   */
  get onpong(): Event<[info: PongInfo]> {
    return this.#machine.events.onpong;
  }

  /** The state changed: `({ from, to })`, fired before the event the change belongs to. */
  get onstatechange(): Event<[change: StateChange]> {
    return this.#machine.events.onstatechange;
  }

  /**
   * Starts connecting when idle (`lazyConnect`, or stopped by a cancelled `reconnect`); else nothing.
   * @returns This Connback, for chaining.
   */
  start(): this {
    this.#machine.start();
    return this;
  }

  /**
   * Resolves with the live client, or the next one. Starts an idle Connback.
   * Rejects with `CONNBACK_CANCELLED` when `token` fires, `CONNBACK_ENDED` on `end()`, and the
   * terminal error when reconnection fails.
   * @param token Cancels the wait (a {@link CancellationToken} or an `AbortSignal`); the Connback
   *   goes on connecting.
   * @returns The live client, or the next one.
   * @throws TypeError when `token` is neither a CancellationToken nor an AbortSignal.
   */
  ready(token?: Cancellable): Promise<T> {
    return this.#machine.ready(token);
  }

  /**
   * Connects again now, with a fresh attempt budget: while connected the old client is closed
   * first; an attempt in flight is cancelled and replaced (never two at once); a backoff wait is cut
   * short; after `end()` or a failure a fresh episode starts. Resolves with the new client.
   *
   * Cancelling `token` before that stops the reconnection this call started (the attempt in flight
   * is cancelled, state becomes `idle`) and rejects with `CONNBACK_CANCELLED`.
   * @param token Cancels this reconnection (a {@link CancellationToken} or an `AbortSignal`).
   * @returns The new client.
   * @throws TypeError when `token` is neither a CancellationToken nor an AbortSignal.
   */
  reconnect(token?: Cancellable): Promise<T> {
    return this.#machine.reconnect(token);
  }

  /**
   * Stops for good: cancels the attempt in flight, the backoff wait and the heartbeat, closes the
   * client with `connector.close(client, force)`, then fires `onclose` (if connected) and `onend`.
   * Idempotent. Waiting `ready()`/`reconnect()` promises reject with `CONNBACK_ENDED`.
   * @param force Passed to `connector.close`: true closes at once instead of gracefully.
   * @returns This Connback, for chaining.
   */
  end(force = false): this {
    this.#machine.end(force);
    return this;
  }

  /**
   * Tells connback that other traffic was just sent, so the next ping may wait. The dead-peer
   * deadline does not move.
   */
  reschedulePingTimer(): void {
    this.#machine.reschedulePingTimer();
  }

  /**
   * Reports an error of the live connection: one `onerror`, then the connection counts as closed
   * (one `onclose(true)`) even if the transport's own close follows. Ignored when `client` is
   * given and is not the live client, or when not connected.
   * @param error What went wrong; it reaches `onerror` as it is.
   * @param client The client the error belongs to; when given, an error of a stale client is
   *   ignored.
   */
  feedError(error: Error, client?: T): void {
    this.#machine.feedError(error, client);
  }

  /**
   * Reports that the live connection closed: one `onclose(hasError)`, then reconnection. A second
   * close, a close of a stale `client`, or a close while not connected is ignored.
   * @param hasError True when the connection closed because of an error.
   * @param client The client that closed; when given, a close of a stale client is ignored.
   */
  feedClose(hasError = false, client?: T): void {
    this.#machine.feedClose(hasError === true, client);
  }

  /**
   * Asks for a liveness check now: a ping with a deadline of `probeTimeout` ms (at most a
   * keepalive period). Resolves with the round trip in ms of the probe's ping when the peer
   * answers (any heartbeat counts; a ping already out less than the deadline ago is the probe's,
   * and its round trip is counted from when it went out), or `false` when the deadline passed (the connection is then dropped with
   * `CONNBACK_KEEPALIVE_TIMEOUT` and reconnected), when the connection closed first, or when
   * there is nothing to probe (not connected, `keepalive` 0, a connector that cannot ping).
   * Never rejects. A probe already out is not sent twice.
   */
  probe(): Promise<number | false> {
    return this.#machine.probe();
  }

  /**
   * Reports a sign of life (a pong, or any data) from the live connection. The first one after a
   * ping answers it (`onpong`), so the keepalive does not drop the connection.
   * @param client The client the data came from; when given, a stale client's is ignored.
   */
  feedHeartbeat(client?: T): void {
    this.#machine.feedHeartbeat(client);
  }

  /**
   * The lifecycle as an async iterator: `for await (const event of connback.status(token))`.
   * It yields every event from now on in the order the `on…` events fire, holds at most 64 a
   * slow consumer has not pulled (the oldest are dropped; the next event yielded counts them in
   * `dropped`), and finishes after the `end` event, when `token` fires, or on `break`. See
   * {@link StatusIterator}.
   * @param token Finishes the iterator when it fires.
   * @returns An iterator that listens from now on.
   * @throws TypeError when `token` is neither a CancellationToken nor an AbortSignal.
   */
  status(token?: Cancellable): StatusIterator<T> {
    return new StatusIterator(this, token);
  }

  /**
   * `await using connback = …`: ends the Connback (as `end()`) and resolves once it ended and
   * every client it opened is closed — the promises of `connector.close` (and of a connect a
   * cancelled attempt still runs, whose late client is closed as it arrives) have settled. Safe
   * to call twice, and from a listener. Never rejects: a failed close goes to `onerror`. The key
   * is {@link asyncDisposeSymbol} (`Symbol.asyncDispose`, or `Symbol.for('Symbol.asyncDispose')`
   * on a runtime without it).
   */
  [asyncDisposeSymbol](): Promise<void> {
    return endAndSettle(this, this.#machine);
  }

  /**
   * `using connback = …`: ends the Connback (as `end()`) without waiting for the client to close.
   * The key is {@link disposeSymbol}.
   */
  [disposeSymbol](): void {
    this.end();
  }
}

import { AttemptCancellation } from './cancellation.js';
import type { Connback } from './connback.js';
import type { Connector } from './connector.js';
import {
  type AttemptContext,
  connecting,
  diagnostics,
  publish,
  type TracingChannels,
  tracing,
} from './diagnostics.js';
import { type ErrorCode, toError } from './errors.js';
import { track } from './inflight.js';
import { follow, promiseOf } from './results.js';
import type { Timers } from './timers.js';

/**
 * The context on `connback:attempt` of each traced attempt, from its start until its release
 * (every attempt is released when its state is left). Kept here rather than in a field: an
 * attempt nobody traces costs nothing, not even the field.
 */
const traces = new Map<Attempt<unknown>, AttemptContext>();

/** What an {@link Attempt} tells the state machine that made it. */
export interface AttemptHost<T> {
  reportThrown(thrown: unknown): void;
  /**
   * The connect call gave a client or failed: at once, while `connect()` is still on the stack
   * (a value, a throw, a thenable that cannot be followed), or later from the promise.
   */
  settled(attempt: Attempt<T>, client: T | undefined, error: Error | undefined): void;
  /** The connect timeout fired. */
  timedOut(attempt: Attempt<T>): void;
}

/**
 * One connect attempt, and the `connecting` state itself: its number, its cancellation (it is
 * one: the token it hands the connector watches it), its connect timer, and the call of
 * `connector.connect`, whose result is handled as `Promise.resolve` would (semantics 4 and 16):
 * a throw, a rejection, a thenable whose `then` or `then` getter throws are all a failed
 * attempt, reported to the host; nothing escapes to the caller.
 */
export class Attempt<T> extends AttemptCancellation {
  readonly name = 'connecting';
  /** 1-based number within the outage. */
  readonly number: number;
  /** True when `onreconnect` announced it (every attempt but the first after `start()`). */
  readonly reconnect: boolean;
  readonly #host: AttemptHost<T>;
  #timer: unknown;
  /** Set once connect resolved or rejected: its token then needs no cancelling. */
  settled = false;
  /** The promise connect returned, in case the attempt is left before it settles. */
  #pending: Promise<unknown> | undefined;

  constructor(number: number, reconnect: boolean, host: AttemptHost<T>) {
    super(host);
    this.number = number;
    this.reconnect = reconnect;
    this.#host = host;
  }

  /** Shared by every attempt: the timer's argument is the attempt. */
  static #timerFired(attempt: Attempt<unknown>): void {
    attempt.#timer = undefined;
    attempt.#host.timedOut(attempt);
  }

  /** Arms the connect timeout. */
  arm(timers: Timers, ms: number): void {
    this.#timer = timers.set(Attempt.#timerFired, ms, this as Attempt<unknown>);
  }

  /** Calls `connect` and reports what it gives to the host. */
  connect(connector: Connector<T>, connback: Connback<T>): void {
    const channels = diagnostics?.attempt;
    let value: unknown;
    try {
      value =
        channels !== undefined && tracing(channels)
          ? this.#tracedConnect(channels, connector, connback)
          : connector.connect(connback, this.token);
    } catch (thrown) {
      this.#host.settled(this, undefined, toError(thrown));
      return;
    }
    const promise = promiseOf(value);
    if (promise === undefined) {
      this.#host.settled(this, value as T, undefined);
      return;
    }
    follow(
      promise,
      (client: T) => this.#host.settled(this, client, undefined),
      (thrown) => this.#host.settled(this, undefined, toError(thrown)),
    );
    this.#pending = promise;
  }

  /**
   * `connect` under the `connback:attempt` TracingChannel: `start` (with the stores bound to it
   * applied while `connect` runs, so the connector's own work belongs to the attempt's span),
   * then `end` when it returned; a synchronous throw publishes `error` before `end`. What the
   * attempt comes to is published by `release`.
   */
  #tracedConnect(
    channels: TracingChannels,
    connector: Connector<T>,
    connback: Connback<T>,
  ): unknown {
    const context: AttemptContext = {
      connback: connback as Connback<unknown>,
      attempt: this.number,
      endpoint: undefined,
    };
    traces.set(this as Attempt<unknown>, context);
    const outer = connecting.context;
    connecting.context = context;
    try {
      const start = channels.start;
      if (typeof start.runStores === 'function') {
        return start.runStores(context, () => connector.connect(connback, this.token));
      }
      publish(start, context);
      return connector.connect(connback, this.token);
    } catch (thrown) {
      traces.delete(this as Attempt<unknown>);
      context.error = thrown;
      if (channels.error.hasSubscribers) publish(channels.error, context);
      throw thrown;
    } finally {
      connecting.context = outer;
      if (channels.end.hasSubscribers) publish(channels.end, context);
    }
  }

  /**
   * The attempt gave `client`, connected to `endpoint` (as the connector names it): recorded on
   * its trace, if any, for `release` to publish.
   */
  gave(client: T, endpoint: string | undefined): void {
    const context = traces.size > 0 ? traces.get(this as Attempt<unknown>) : undefined;
    if (context === undefined) return;
    context.result = client;
    if (endpoint !== undefined) context.endpoint = endpoint;
  }

  /**
   * Stops what the attempt still holds: its timer, and its token unless it settled. `reason` is
   * the token's reason: an error, or a code whose error is built only if someone reads it.
   * An error means the attempt failed; a code, that it connected (it settled) or was abandoned.
   */
  release(timers: Timers, reason: Error | ErrorCode): void {
    if (this.#timer !== undefined) timers.clear(this.#timer);
    this.#timer = undefined;
    // The connector's token listeners run now; whatever they call waits for this step's phase.
    const abandoned = !this.settled;
    if (abandoned) this.cancel(reason);
    this.dispose();
    // Left unsettled: a client it still delivers is closed, and `await using` waits for that.
    // Counted only now, after the follow in `connect`, so that such a client is being closed
    // (and counted) before this connect stops counting.
    if (!this.settled && this.#pending !== undefined) track(this.#host, this.#pending);
    this.#pending = undefined;
    if (traces.size > 0) this.#traced(reason, abandoned);
  }

  /** Publishes how the traced attempt ended: `error` if it failed, then `asyncStart`, `asyncEnd`. */
  #traced(reason: Error | ErrorCode, abandoned: boolean): void {
    const context = traces.get(this as Attempt<unknown>);
    if (context === undefined) return;
    traces.delete(this as Attempt<unknown>);
    const channels = diagnostics?.attempt;
    if (channels === undefined) return;
    if (typeof reason !== 'string' || abandoned) {
      context.error = typeof reason === 'string' ? this.reason : reason;
      if (channels.error.hasSubscribers) publish(channels.error, context);
    }
    // As TracingChannel.tracePromise does: the continuation is connback's own handling.
    if (channels.asyncStart.hasSubscribers) publish(channels.asyncStart, context);
    if (channels.asyncEnd.hasSubscribers) publish(channels.asyncEnd, context);
  }
}

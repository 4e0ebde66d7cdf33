import { AttemptCancellation } from './cancellation.js';
import type { Connback } from './connback.js';
import type { Connector } from './connector.js';
import { type ErrorCode, toError } from './errors.js';
import { track } from './inflight.js';
import { follow, promiseOf } from './results.js';
import type { Timers } from './timers.js';

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
    let value: unknown;
    try {
      value = connector.connect(connback, this.token);
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
   * Stops what the attempt still holds: its timer, and its token unless it settled. `reason` is
   * the token's reason: an error, or a code whose error is built only if someone reads it.
   */
  release(timers: Timers, reason: Error | ErrorCode): void {
    if (this.#timer !== undefined) timers.clear(this.#timer);
    this.#timer = undefined;
    // The connector's token listeners run now; whatever they call waits for this step's phase.
    if (!this.settled) this.cancel(reason);
    this.dispose();
    // Left unsettled: a client it still delivers is closed, and `await using` waits for that.
    // Counted only now, after the follow in `connect`, so that such a client is being closed
    // (and counted) before this connect stops counting.
    if (!this.settled && this.#pending !== undefined) track(this.#host, this.#pending);
    this.#pending = undefined;
  }
}

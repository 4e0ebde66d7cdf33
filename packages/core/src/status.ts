import { type Cancellable, isCancellable, isCancelled, onCancelled } from './cancellation.js';
import type { Connback } from './connback.js';
import type { ConnbackError } from './errors.js';
import type { ConnbackState } from './state.js';

/** How many events a {@link StatusIterator} holds for a consumer that has not pulled them. */
export const STATUS_BUFFER_SIZE = 64;

/**
 * One lifecycle event of a Connback, as `status()` yields it: the events of the `on…` channels
 * in the order they fire, each as an object with its `type` (after nats.js `status()`).
 * `dropped` counts the events lost just before this one because the consumer fell
 * {@link STATUS_BUFFER_SIZE} events behind (0 when none was).
 */
export type ConnbackStatus<T> = {
  /** Events lost just before this one because the consumer fell behind (0 when none was). */
  readonly dropped: number;
} & (
  | {
      /** `onstatechange`. */
      readonly type: 'state';
      /** The state the Connback left. */
      readonly from: ConnbackState;
      /** The state it entered. */
      readonly to: ConnbackState;
    }
  | {
      /** `onconnect`. */
      readonly type: 'connect';
      /** The live client. */
      readonly client: T;
      /** False for the first connect of the Connback. */
      readonly reconnect: boolean;
      /** Number of the attempt that connected, within its outage. */
      readonly attempt: number;
      /** The endpoint connected to, when the connector names it (credentials redacted). */
      readonly endpoint: string | undefined;
    }
  | {
      /** `onreconnect`. */
      readonly type: 'reconnect';
    }
  | {
      /** `onclose`. */
      readonly type: 'close';
      /** True when the connection closed because of an error. */
      readonly hasError: boolean;
    }
  | {
      /** `onerror`. */
      readonly type: 'error';
      /** The error. */
      readonly error: Error;
    }
  | {
      /** `onoffline`. */
      readonly type: 'offline';
    }
  | {
      /** `onwake`. */
      readonly type: 'wake';
      /** How long the process or the machine was away, in ms. */
      readonly asleep: number;
      /** `probe` the live connection, or `retry` now instead of waiting. */
      readonly action: 'probe' | 'retry';
    }
  | {
      /** `onfail`. */
      readonly type: 'fail';
      /** The last error. */
      readonly error: Error;
      /** Why reconnection stopped: `CONNBACK_ATTEMPTS_EXHAUSTED` or `CONNBACK_RETRY_DECLINED`. */
      readonly reason: ConnbackError;
    }
  | {
      /** `onend`; the last event the iterator yields. */
      readonly type: 'end';
    }
);

/** The one result of an iterator that finished. */
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

type Pull<T> = (result: IteratorResult<ConnbackStatus<T>, undefined>) => void;

/**
 * The async iterator `Connback#status(token?)` returns. It listens from the moment it is made,
 * so no event between `status()` and the first `next()` is lost, and holds at most
 * {@link STATUS_BUFFER_SIZE} events a consumer has not pulled: past that the oldest is dropped
 * and the next event it yields says how many were (`dropped`). Pulling never blocks the Connback.
 *
 * It finishes after yielding the `end` event (`end()`), at once when `token` fires or on `return()`
 * (what `break` calls; the events it still held are dropped), and at once when made on an ended
 * Connback. Once finished it holds nothing and listens to nothing. A `fail` does not finish it:
 * `reconnect()` may start again.
 */
export class StatusIterator<T> implements AsyncIterableIterator<ConnbackStatus<T>, undefined> {
  /** Events not pulled yet, a ring of at most STATUS_BUFFER_SIZE from `#head`. */
  readonly #ring: (ConnbackStatus<T> | undefined)[] = [];
  #head = 0;
  #size = 0;
  /** `next()` calls waiting for an event. */
  readonly #pulls: Pull<T>[] = [];
  /** The unsubscribe functions, while listening. */
  #subscriptions: (() => void)[] | undefined;
  /** The `end` event arrived (or the iterator stopped): nothing more is added. */
  #closed = false;

  /**
   * Starts listening to `connback` at once. `connback.status(token)` is the usual way to make one.
   * @param connback The Connback to follow.
   * @param token Finishes the iterator when it fires.
   * @throws TypeError when `token` is neither a CancellationToken nor an AbortSignal.
   */
  constructor(connback: Connback<T>, token?: Cancellable) {
    if (token !== undefined && !isCancellable(token)) {
      throw new TypeError('connback: the token must be a CancellationToken or an AbortSignal');
    }
    if (connback.state === 'ended' || (token !== undefined && isCancelled(token))) {
      this.#closed = true;
      return;
    }
    const add = (event: ConnbackStatus<T>) => this.#add(event);
    this.#subscriptions = [
      connback.onstatechange(({ from, to }) => add({ type: 'state', from, to, dropped: 0 })),
      connback.onconnect((client, info) =>
        add({ type: 'connect', client, ...info, dropped: 0 } as ConnbackStatus<T>),
      ),
      connback.onreconnect(() => add({ type: 'reconnect', dropped: 0 })),
      connback.onclose((hasError) => add({ type: 'close', hasError, dropped: 0 })),
      connback.onerror((error) => add({ type: 'error', error, dropped: 0 })),
      connback.onoffline(() => add({ type: 'offline', dropped: 0 })),
      connback.onwake(({ asleep, action }) => add({ type: 'wake', asleep, action, dropped: 0 })),
      connback.onfail((error, reason) => add({ type: 'fail', error, reason, dropped: 0 })),
      connback.onend(() => {
        add({ type: 'end', dropped: 0 });
        this.#close();
      }),
    ];
    if (token !== undefined) this.#subscriptions.push(onCancelled(token, () => this.#stop()));
  }

  /** Resolves with the next event (waiting for one), or `done` once the iterator finished. */
  next(): Promise<IteratorResult<ConnbackStatus<T>, undefined>> {
    if (this.#size > 0) return Promise.resolve({ done: false, value: this.#take() });
    if (this.#closed) return Promise.resolve(DONE);
    return new Promise((resolve) => this.#pulls.push(resolve));
  }

  /** Stops listening and drops what it held: what `break` out of `for await` calls. */
  return(): Promise<IteratorReturnResult<undefined>> {
    this.#stop();
    return Promise.resolve(DONE);
  }

  /**
   * The iterator itself, so that `for await` works on it.
   * @returns This iterator.
   */
  [Symbol.asyncIterator](): this {
    return this;
  }

  #add(event: ConnbackStatus<T>): void {
    // A delivery posted before the iterator stopped may still arrive.
    if (this.#closed) return;
    const pull = this.#pulls.shift();
    if (pull !== undefined) {
      pull({ done: false, value: event });
      return;
    }
    if (this.#size === STATUS_BUFFER_SIZE) {
      const lost = this.#take();
      const oldest = this.#ring[this.#head] as { dropped: number };
      oldest.dropped += lost.dropped + 1;
    }
    this.#ring[(this.#head + this.#size) % STATUS_BUFFER_SIZE] = event;
    this.#size += 1;
  }

  #take(): ConnbackStatus<T> {
    const event = this.#ring[this.#head] as ConnbackStatus<T>;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % STATUS_BUFFER_SIZE;
    this.#size -= 1;
    return event;
  }

  /** Nothing more comes: stop listening; waiting pulls finish (the buffer is empty then). */
  #close(): void {
    this.#closed = true;
    const subscriptions = this.#subscriptions;
    this.#subscriptions = undefined;
    if (subscriptions !== undefined) for (const unsubscribe of subscriptions) unsubscribe();
    for (let pull = this.#pulls.shift(); pull !== undefined; pull = this.#pulls.shift()) pull(DONE);
  }

  /** Finishes at once (token, `return()`): the held events are dropped too. */
  #stop(): void {
    this.#close();
    this.#ring.length = 0;
    this.#head = 0;
    this.#size = 0;
  }
}

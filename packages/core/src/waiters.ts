import { type Cancellable, isCancellable, isCancelled, onCancelled } from './cancellation.js';
import { ConnbackError, ErrorCode } from './errors.js';

interface Waiter<T> {
  readonly resolve: (client: T) => void;
  readonly reject: (error: Error) => void;
  unsubscribe: (() => void) | undefined;
}

function ignore(): void {}

/**
 * Where `capture` leaves the functions of the promise it was the executor of: one executor for
 * every waiting promise, instead of a closure each.
 */
const captured: { resolve: (value: unknown) => void; reject: (error: Error) => void } = {
  resolve: ignore,
  reject: ignore,
};

function capture(resolve: (value: unknown) => void, reject: (error: Error) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

/** A promise whose rejection is not reported as unhandled when the caller ignores it. */
export function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.then(undefined, ignore);
  return promise;
}

/** A rejected promise, marked handled. */
export function rejected<T>(error: Error): Promise<T> {
  return quiet(Promise.reject(error));
}

/**
 * A rejected promise for a token that is not one, or is cancelled already; undefined otherwise.
 * @throws TypeError when `token` is neither a CancellationToken nor an AbortSignal.
 */
export function refuseToken<T>(token: Cancellable | undefined): Promise<T> | undefined {
  if (token === undefined) return undefined;
  if (!isCancellable(token)) {
    throw new TypeError('connback: the token must be a CancellationToken or an AbortSignal');
  }
  return isCancelled(token) ? rejected(new ConnbackError(ErrorCode.Cancelled)) : undefined;
}

/** Built only when a promise waits for it. */
export function endedError(): Error {
  return new ConnbackError(ErrorCode.Ended);
}

/**
 * The pending `ready()` and `reconnect()` promises of one Connback, settled together when a
 * client connects, the Connback ends or reconnection fails. Settling runs no caller code
 * synchronously (promise callbacks are queued); only a token's unsubscribe function, which runs
 * while connback holds its calls back, is the caller's.
 */
export class Waiters<T> {
  // The usual case, one waiter without a token: its two functions held directly, no record.
  #resolve: ((client: T) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;
  /** The first waiter's promise, quieted only if it is rejected (most are resolved). */
  #promise: Promise<T> | undefined;
  /** Every other waiter (with a token, or after the first), oldest first. */
  #more: Set<Waiter<T>> | undefined;

  get size(): number {
    return (this.#resolve === undefined ? 0 : 1) + (this.#more?.size ?? 0);
  }

  /**
   * A promise of the next client. When `token` fires first the promise rejects with
   * `CONNBACK_CANCELLED`, then `cancelled` runs (for the `reconnect(token)` that stops its chain).
   */
  wait(token: Cancellable | undefined, cancelled: (() => void) | undefined): Promise<T> {
    const promise = new Promise<T>(capture as (resolve: (client: T) => void) => void);
    const resolve = captured.resolve as (client: T) => void;
    const reject = captured.reject;
    if (token === undefined && this.size === 0) {
      this.#resolve = resolve;
      this.#reject = reject;
      this.#promise = promise;
      return promise;
    }
    const waiter: Waiter<T> = { resolve, reject, unsubscribe: undefined };
    this.#more ??= new Set();
    this.#more.add(waiter);
    if (token !== undefined) {
      waiter.unsubscribe = onCancelled(token, () => {
        if (this.#more?.delete(waiter) !== true) return;
        waiter.unsubscribe?.();
        reject(new ConnbackError(ErrorCode.Cancelled));
        cancelled?.();
      });
    }
    return quiet(promise);
  }

  /** Resolves every waiter with `client`, oldest first. */
  resolve(client: T): void {
    const first = this.#resolve;
    const more = this.#takeMore();
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#promise = undefined;
    first?.(client);
    if (more === undefined) return;
    for (const waiter of more) {
      waiter.unsubscribe?.();
      waiter.resolve(client);
    }
  }

  /** Rejects every waiter; `error` is called (to build the error) only when someone waits. */
  reject(error: Error | (() => Error)): void {
    if (this.size === 0) return;
    const reason = typeof error === 'function' ? error() : error;
    const first = this.#reject;
    const more = this.#takeMore();
    const promise = this.#promise;
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#promise = undefined;
    // Quieted before it is rejected: a caller that dropped it sees no unhandled rejection.
    if (promise !== undefined) quiet(promise);
    first?.(reason);
    if (more === undefined) return;
    for (const waiter of more) {
      waiter.unsubscribe?.();
      waiter.reject(reason);
    }
  }

  /** Empties the set and returns its waiters, so none settles twice. */
  #takeMore(): Waiter<T>[] | undefined {
    if (this.#more === undefined || this.#more.size === 0) return undefined;
    const taken = [...this.#more];
    this.#more.clear();
    return taken;
  }
}

/** An outbox delivery: resolves every waiter with `client`. */
export function resolveWaiters<T>(waiters: Waiters<T>, client: T): void {
  waiters.resolve(client);
}

/** An outbox delivery: rejects every waiter (the error made only if one waits). */
export function rejectWaiters<T>(waiters: Waiters<T>, error: Error | (() => Error)): void {
  waiters.reject(error);
}

import { type Cancellable, isCancellable, isCancelled, onCancelled } from './cancellation.js';
import { ConnbackError, ErrorCode } from './errors.js';

interface Waiter<T> {
  readonly resolve: (client: T) => void;
  readonly reject: (error: Error) => void;
  unsubscribe: (() => void) | undefined;
}

function ignore(): void {}

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
  /** The usual case, one waiter, held directly: no set until a second one waits. */
  #single: Waiter<T> | undefined;
  #more: Set<Waiter<T>> | undefined;

  get size(): number {
    return (this.#single === undefined ? 0 : 1) + (this.#more?.size ?? 0);
  }

  /**
   * A promise of the next client. When `token` fires first the promise rejects with
   * `CONNBACK_CANCELLED`, then `cancelled` runs (for the `reconnect(token)` that stops its chain).
   */
  wait(token: Cancellable | undefined, cancelled: (() => void) | undefined): Promise<T> {
    return quiet(
      new Promise<T>((resolve, reject) => {
        const waiter: Waiter<T> = { resolve, reject, unsubscribe: undefined };
        this.#add(waiter);
        if (token === undefined) return;
        waiter.unsubscribe = onCancelled(token, () => {
          if (!this.#remove(waiter)) return;
          waiter.unsubscribe?.();
          reject(new ConnbackError(ErrorCode.Cancelled));
          cancelled?.();
        });
      }),
    );
  }

  /** Resolves every waiter with `client`. */
  resolve(client: T): void {
    if (this.#single !== undefined && this.#more === undefined) {
      // The usual case: one ready() or reconnect() and no set.
      const waiter = this.#single;
      this.#single = undefined;
      waiter.unsubscribe?.();
      waiter.resolve(client);
      return;
    }
    for (const waiter of this.#take()) {
      waiter.unsubscribe?.();
      waiter.resolve(client);
    }
  }

  /** Rejects every waiter; `error` is called (to build the error) only when someone waits. */
  reject(error: Error | (() => Error)): void {
    if (this.size === 0) return;
    const reason = typeof error === 'function' ? error() : error;
    for (const waiter of this.#take()) {
      waiter.unsubscribe?.();
      waiter.reject(reason);
    }
  }

  #add(waiter: Waiter<T>): void {
    if (this.size === 0) {
      this.#single = waiter;
      return;
    }
    this.#more ??= new Set();
    this.#more.add(waiter);
  }

  #remove(waiter: Waiter<T>): boolean {
    if (this.#single === waiter) {
      this.#single = undefined;
      return true;
    }
    return this.#more?.delete(waiter) === true;
  }

  /** Empties the waiters and returns them, oldest first, so none settles twice. */
  #take(): Waiter<T>[] {
    const taken: Waiter<T>[] = [];
    if (this.#single !== undefined) taken.push(this.#single);
    this.#single = undefined;
    if (this.#more !== undefined && this.#more.size > 0) {
      taken.push(...this.#more);
      this.#more.clear();
    }
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

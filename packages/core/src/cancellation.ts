import { CancellationTokenSource } from '@jil/common/cancellation.js';
import { ConnbackError, ErrorCode } from './errors.js';

/**
 * A cancellation token, the shape `@jil/common` and VS Code use. Any object with these two members
 * works, so a `@jil/common` token can be passed as it is.
 */
export interface CancellationToken {
  /** True once cancellation was requested. */
  readonly isCancellationRequested: boolean;
  /**
   * Subscribes to the cancellation; returns the unsubscribe function. A listener added after
   * cancellation is called once, asynchronously.
   */
  readonly onCancellationRequested: (listener: (reason?: unknown) => unknown) => () => void;
}

/** Anything connback accepts to cancel a wait: a {@link CancellationToken} or an `AbortSignal`. */
export type Cancellable = CancellationToken | AbortSignal;

function isAbortSignal(value: Cancellable): value is AbortSignal {
  return 'aborted' in value && typeof (value as AbortSignal).addEventListener === 'function';
}

/** True when `cancellable` is already cancelled (token) or aborted (signal). */
export function isCancelled(cancellable: Cancellable): boolean {
  return isAbortSignal(cancellable) ? cancellable.aborted : cancellable.isCancellationRequested;
}

/**
 * Calls `callback` once when `cancellable` fires and returns the unsubscribe function. The caller
 * checks {@link isCancelled} first: an already cancelled `@jil` token would answer with a timer.
 */
export function onCancelled(cancellable: Cancellable, callback: () => void): () => void {
  if (isAbortSignal(cancellable)) {
    cancellable.addEventListener('abort', callback, { once: true });
    return () => cancellable.removeEventListener('abort', callback);
  }
  return cancellable.onCancellationRequested(callback);
}

/** True when `value` can be used as a {@link Cancellable}. */
export function isCancellable(value: unknown): value is Cancellable {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<CancellationToken> & Partial<AbortSignal>;
  return (
    (typeof candidate.isCancellationRequested === 'boolean' &&
      typeof candidate.onCancellationRequested === 'function') ||
    (typeof candidate.aborted === 'boolean' && typeof candidate.addEventListener === 'function')
  );
}

/** The token connback hands to `connector.connect`; it also says why it was cancelled. */
export interface AttemptToken extends CancellationToken {
  /** Why the attempt was cancelled (a timeout, `end()`, `reconnect()`...), once it was. */
  readonly reason: unknown;
}

/**
 * Gives a connector an `AbortSignal` for its token, to pass to `fetch`, `events.once` or
 * `net.connect({ signal })`. The signal aborts with the token's reason. The subscription lives as
 * long as the token: for the token of one attempt that is the attempt.
 */
export function toAbortSignal(token: Cancellable): AbortSignal {
  if (isAbortSignal(token)) return token;
  const reasonOf = () =>
    (token as Partial<AttemptToken>).reason ?? new ConnbackError(ErrorCode.Cancelled);
  if (token.isCancellationRequested) return AbortSignal.abort(reasonOf());
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort(reasonOf()));
  return controller.signal;
}

/**
 * The cancellation of one connect attempt. Listeners registered by the connector are guarded: one
 * that throws is reported through `onListenerError` instead of becoming an uncaught exception
 * (the `@jil` emitter re-throws listener errors on a timer).
 */
export class AttemptCancellation {
  readonly #source = new CancellationTokenSource();
  readonly #onListenerError: (error: unknown) => void;
  #reason: unknown;
  readonly token: AttemptToken;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
    const self = this;
    this.token = {
      get isCancellationRequested() {
        return self.#source.token.isCancellationRequested;
      },
      get reason() {
        return self.#reason;
      },
      onCancellationRequested: (listener) => self.#subscribe(listener),
    };
  }

  #subscribe(listener: (reason?: unknown) => unknown): () => void {
    const guarded = () => {
      try {
        listener(this.#reason);
      } catch (error) {
        this.#onListenerError(error);
      }
    };
    if (this.#source.token.isCancellationRequested) {
      let live = true;
      queueMicrotask(() => live && guarded());
      return () => {
        live = false;
      };
    }
    return this.#source.token.onCancellationRequested(guarded);
  }

  /** Cancels the attempt with `reason`; later calls do nothing. */
  cancel(reason: unknown): void {
    if (this.#source.token.isCancellationRequested) return;
    this.#reason = reason;
    this.#source.cancel();
  }

  /** Drops every listener the connector left on the token, without cancelling it. */
  dispose(): void {
    this.#source.dispose();
  }
}

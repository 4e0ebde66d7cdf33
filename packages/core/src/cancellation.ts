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
   * @param listener Called once on cancellation, with the reason where the token has one.
   * @returns The unsubscribe function.
   */
  readonly onCancellationRequested: (listener: (reason?: unknown) => unknown) => () => void;
}

/** Anything connback accepts to cancel a wait: a {@link CancellationToken} or an `AbortSignal`. */
export type Cancellable = CancellationToken | AbortSignal;

function isAbortSignal(value: Cancellable): value is AbortSignal {
  return 'aborted' in value && typeof (value as AbortSignal).addEventListener === 'function';
}

/**
 * True when `cancellable` is already cancelled (token) or aborted (signal).
 * @param cancellable A {@link CancellationToken} or an `AbortSignal`.
 */
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
 * @param token A {@link CancellationToken} (an `AttemptToken` included) or an `AbortSignal`,
 *   which is returned as it is.
 * @returns A signal that aborts when `token` is cancelled (at once if it already is).
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
 * Where code that connback calls reports what it threw: an event listener, a token listener of
 * the connector, a predicate. A plain function works too (the tests of the channels use one).
 */
export type ThrowSink = ((thrown: unknown) => void) | { reportThrown(thrown: unknown): void };

/** Hands `thrown` to `sink`, whichever form it has. */
export function reportTo(sink: ThrowSink, thrown: unknown): void {
  if (typeof sink === 'function') sink(thrown);
  else sink.reportThrown(thrown);
}

/**
 * The cancellation of one connect attempt. Built on `@jil/common`'s CancellationTokenSource, made
 * on the first subscription only: an attempt whose connector never listens (or that settles first)
 * costs no source. A listener that throws is reported to the sink instead of becoming an uncaught
 * exception (the `@jil` emitter re-throws listener errors on a timer).
 *
 * The reason may be given as an error code: the error is then built when someone first reads it
 * (a listener, `token.reason`), so cancelling an attempt nobody watches builds no error.
 */
export class AttemptCancellation {
  #source: CancellationTokenSource | undefined;
  readonly #sink: ThrowSink;
  #cancelled = false;
  #reason: unknown;
  /** What the connector gets: it can watch this cancellation, never trigger it. */
  readonly token: AttemptToken;

  constructor(sink: ThrowSink) {
    this.#sink = sink;
    this.token = new AttemptTokenView(this);
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  get reason(): unknown {
    if (typeof this.#reason === 'string') {
      this.#reason = new ConnbackError(this.#reason as ErrorCode);
    }
    return this.#reason;
  }

  subscribe(listener: (reason?: unknown) => unknown): () => void {
    const guarded = () => {
      try {
        listener(this.reason);
      } catch (error) {
        reportTo(this.#sink, error);
      }
    };
    if (this.#cancelled) {
      let live = true;
      queueMicrotask(() => live && guarded());
      return () => {
        live = false;
      };
    }
    this.#source ??= new CancellationTokenSource();
    return this.#source.token.onCancellationRequested(guarded);
  }

  /** Cancels once; a reason given as a code becomes a `ConnbackError` when first read. */
  cancel(reason: Error | ErrorCode): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#reason = reason;
    this.#source?.cancel();
  }

  dispose(): void {
    this.#source?.dispose();
  }
}

/** The read-only face of an {@link AttemptCancellation}. */
class AttemptTokenView implements AttemptToken {
  readonly #cancellation: AttemptCancellation;
  #subscribe: ((listener: (reason?: unknown) => unknown) => () => void) | undefined;

  constructor(cancellation: AttemptCancellation) {
    this.#cancellation = cancellation;
  }

  get isCancellationRequested(): boolean {
    return this.#cancellation.cancelled;
  }

  get reason(): unknown {
    return this.#cancellation.reason;
  }

  // A function of its own, not a method: callers may pass it around detached, as with @jil's
  // tokens. Made when first read, so a connector that never looks at its token costs none.
  get onCancellationRequested(): (listener: (reason?: unknown) => unknown) => () => void {
    const cancellation = this.#cancellation;
    this.#subscribe ??= (listener) => cancellation.subscribe(listener);
    return this.#subscribe;
  }
}

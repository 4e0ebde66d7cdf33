import { type BackoffOptions, buildJitter, createStrategy, sanitizeOptions } from '@jil/backoff';
import type { Connector } from './connector.js';
import { ConnbackError, ErrorCode } from './errors.js';
import { firstRetryDelay } from './herd.js';
import type {
  BackoffStrategyLike,
  JitterFunction,
  JitterName,
  ResolvedConnbackOptions,
} from './options.js';

/** Half the delay fixed, half random: spread out, yet never an immediate retry. */
function equalJitter(delay: number): number {
  return delay / 2 + Math.random() * (delay / 2);
}

function jitterOf(jitter: JitterName | JitterFunction): JitterFunction {
  return jitter === 'equal' ? equalJitter : buildJitter(jitter);
}

/** Where the policy reports user code that threw: a strategy, a jitter, a retry predicate. */
export interface PolicySink {
  reportThrown(thrown: unknown, what: string): void;
}

/**
 * When to attempt again, and when to give up: the attempt count of the current outage and the
 * delays before each attempt. Pure: it owns no timer, so it is tested without a clock.
 *
 * The strategy and the jitter may be user code. They run only inside `nextDelay()`, which
 * connback calls at a point where re-entrant calls are safe (semantic 15); `reset()` just marks
 * the strategy for a reset at the next delay. A strategy that throws (constructing it, `reset()`
 * or `next()`) gives `maxDelay`, the gentlest delay there is; a jitter that throws gives the
 * delay without jitter. Both are reported to the sink when one is given, else re-thrown.
 */
export class BackoffPolicy {
  readonly #options: ResolvedConnbackOptions;
  /** Made at the first delay: a connection that never needs one carries no strategy. */
  #strategy: BackoffStrategyLike | undefined;
  /** The strategy is to start over before its next delay. */
  #stale = false;
  #attempts = 0;
  /** The last error of the current outage: the cause `onfail` gives when attempts run out. */
  #lastError: Error | undefined;

  constructor(options: ResolvedConnbackOptions) {
    this.#options = options;
  }

  #delays(): BackoffStrategyLike {
    const o = this.#options;
    // The `@jil` strategies refuse maxDelay <= initialDelay (a constant delay is legitimate here),
    // so they get one more millisecond of room and the cap is applied in nextDelay(). Jitter is
    // applied there too, after the cap, so that it can never push a delay past maxDelay.
    this.#strategy ??= createStrategy(
      sanitizeOptions({
        strategy: o.strategy as NonNullable<BackoffOptions['strategy']>,
        initialDelay: o.initialDelay,
        maxDelay: Math.max(o.maxDelay, o.initialDelay + 1),
        factor: o.factor,
        jitter: 'none',
      }),
    );
    return this.#strategy;
  }

  /** Attempts made in the current outage (the one in flight included). */
  get attempts(): number {
    return this.#attempts;
  }

  /** Counts an attempt that is starting; returns its number within the outage (1-based). */
  recordAttempt(): number {
    this.#attempts += 1;
    return this.#attempts;
  }

  /**
   * Whether to go on after `error`: the connector's `retryable` and the `retry` option both
   * agree. Either may be user code that throws: that is reported and counts as yes.
   */
  allows(
    error: Error,
    connector: Pick<Connector<unknown>, 'retryable'>,
    sink: PolicySink,
  ): boolean {
    try {
      if (connector.retryable?.(error) === false) return false;
    } catch (thrown) {
      sink.reportThrown(thrown, "the connector's retryable");
    }
    try {
      return this.#options.retry(error, this.#attempts) !== false;
    } catch (thrown) {
      sink.reportThrown(thrown, 'the retry predicate');
      return true;
    }
  }

  /** True when the outage used up `maxNumOfAttempts`. */
  get exhausted(): boolean {
    return this.#attempts >= this.#options.maxNumOfAttempts;
  }

  /** A new outage: the count, the delay sequence and the outage's last error start over. */
  reset(): void {
    this.#attempts = 0;
    this.#stale = this.#strategy !== undefined;
    this.#lastError = undefined;
  }

  /** An attempt or a connection of this outage failed with `error`. */
  failed(error: Error): void {
    this.#lastError = error;
  }

  /**
   * The reason to give up when the outage used up `maxNumOfAttempts`, else undefined. Its cause
   * is `error`, or the outage's last error, or (connections that closed without any error)
   * `CONNBACK_CONNECTION_LOST`.
   */
  giveUp(error: Error | undefined): ConnbackError | undefined {
    if (!this.exhausted) return undefined;
    const cause = error ?? this.#lastError ?? new ConnbackError(ErrorCode.ConnectionLost);
    const n = this.#attempts;
    const message = `gave up after ${n} attempt${n === 1 ? '' : 's'}`;
    return new ConnbackError(ErrorCode.AttemptsExhausted, message, { cause });
  }

  /**
   * A connection that was up for `uptime` ms closed. Only a stable one (up at least `minUptime`)
   * ends the outage; a flapping server keeps the count and the growing delays. Returns whether
   * the count started over.
   */
  connectionClosed(uptime: number): boolean {
    if (uptime < this.#options.minUptime) return false;
    this.reset();
    return true;
  }

  /**
   * Milliseconds to wait before the next attempt. The first of an outage has no backoff delay:
   * it is immediate with jitter `'none'`; otherwise it is spread over the herd window (see
   * `herd.ts`: immediate for a lone Connback, in turn for many that dropped together). Then backoff.
   * @param sink receives what a custom strategy or jitter threw; without one it is re-thrown.
   * @param now monotonic ms, for the herd window.
   */
  nextDelay(sink?: PolicySink, now = 0): number {
    const o = this.#options;
    if (this.#attempts === 0 && !o.delayFirstAttempt) {
      return o.jitter === 'none' ? 0 : firstRetryDelay(now, o.initialDelay);
    }
    let capped: number;
    try {
      const strategy = this.#delays();
      if (this.#stale) {
        this.#stale = false;
        strategy.reset();
      }
      const next: unknown = strategy.next();
      // Not a number (a strategy returning nothing) would make a 1 ms timer: a storm.
      capped =
        typeof next === 'number' && !Number.isNaN(next) ? Math.min(next, o.maxDelay) : o.maxDelay;
    } catch (thrown) {
      if (sink === undefined) throw thrown;
      sink.reportThrown(thrown, 'the backoff strategy');
      capped = o.maxDelay;
    }
    let jittered: number;
    try {
      jittered = jitterOf(o.jitter)(capped);
    } catch (thrown) {
      if (sink === undefined) throw thrown;
      sink.reportThrown(thrown, 'the jitter function');
      jittered = capped;
    }
    if (typeof jittered !== 'number' || !Number.isFinite(jittered)) return capped;
    return Math.min(Math.max(0, Math.round(jittered)), o.maxDelay);
  }
}

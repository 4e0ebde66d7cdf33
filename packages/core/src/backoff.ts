import { type BackoffOptions, buildJitter, createStrategy, sanitizeOptions } from '@jil/backoff';
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

/**
 * When to attempt again, and when to give up: the attempt count of the current outage and the
 * delays before each attempt. Pure: it owns no timer, so it is tested without a clock.
 */
export class BackoffPolicy {
  readonly #options: ResolvedConnbackOptions;
  /** Made at the first delay: a connection that never needs one carries no strategy. */
  #strategy: BackoffStrategyLike | undefined;
  #attempts = 0;

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

  /** True when the outage used up `maxNumOfAttempts`. */
  get exhausted(): boolean {
    return this.#attempts >= this.#options.maxNumOfAttempts;
  }

  /** A new outage: the count and the delay sequence start over. */
  reset(): void {
    this.#attempts = 0;
    this.#strategy?.reset();
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

  /** Milliseconds to wait before the next attempt: 0 for the first of an outage, else backoff. */
  nextDelay(): number {
    const o = this.#options;
    if (this.#attempts === 0 && !o.delayFirstAttempt) return 0;
    const capped = Math.min(this.#delays().next(), o.maxDelay);
    const jittered = jitterOf(o.jitter)(capped);
    if (!Number.isFinite(jittered)) return capped;
    return Math.min(Math.max(0, Math.round(jittered)), o.maxDelay);
  }
}

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
  readonly #strategy: BackoffStrategyLike;
  readonly #jitter: JitterFunction;
  readonly #maxDelay: number;
  readonly #maxAttempts: number;
  readonly #minUptime: number;
  readonly #delayFirstAttempt: boolean;
  #attempts = 0;

  constructor(options: ResolvedConnbackOptions) {
    // The `@jil` strategies refuse maxDelay <= initialDelay (a constant delay is legitimate here),
    // so they get one more millisecond of room and the cap is applied below. Jitter is applied
    // here too, after the cap, so that it can never push a delay past maxDelay.
    this.#strategy = createStrategy(
      sanitizeOptions({
        strategy: options.strategy as NonNullable<BackoffOptions['strategy']>,
        initialDelay: options.initialDelay,
        maxDelay: Math.max(options.maxDelay, options.initialDelay + 1),
        factor: options.factor,
        jitter: 'none',
      }),
    );
    this.#jitter = jitterOf(options.jitter);
    this.#maxDelay = options.maxDelay;
    this.#maxAttempts = options.maxNumOfAttempts;
    this.#minUptime = options.minUptime;
    this.#delayFirstAttempt = options.delayFirstAttempt;
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
    return this.#attempts >= this.#maxAttempts;
  }

  /** A new outage: the count and the delay sequence start over. */
  reset(): void {
    this.#attempts = 0;
    this.#strategy.reset();
  }

  /**
   * A connection that was up for `uptime` ms closed. Only a stable one (up at least `minUptime`)
   * ends the outage; a flapping server keeps the count and the growing delays. Returns whether
   * the count started over.
   */
  connectionClosed(uptime: number): boolean {
    if (uptime < this.#minUptime) return false;
    this.reset();
    return true;
  }

  /** Milliseconds to wait before the next attempt: 0 for the first of an outage, else backoff. */
  nextDelay(): number {
    if (this.#attempts === 0 && !this.#delayFirstAttempt) return 0;
    const capped = Math.min(this.#strategy.next(), this.#maxDelay);
    const jittered = this.#jitter(capped);
    if (!Number.isFinite(jittered)) return capped;
    return Math.min(Math.max(0, Math.round(jittered)), this.#maxDelay);
  }
}

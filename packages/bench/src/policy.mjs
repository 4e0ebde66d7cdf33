// The reconnect policies the rows run with, and the hand-written backoff of the raw client.
// Every variant of a row gets the same policy, so a ratio measures the library, not its settings.

/** Draws from [delay/2, delay]: no client retries at once, and none waits longer than the cap. */
export function equalJitter(delay) {
  return delay / 2 + Math.random() * (delay / 2);
}

export function fullJitter(delay) {
  return Math.random() * delay;
}

/** connback's and 0.1.7's defaults: fibonacci from 1 s to 30 s, full jitter, first retry at once. */
export const DEFAULT_POLICY = {
  strategy: 'fibonacci',
  jitter: 'full',
  initialDelay: 1000,
  maxDelay: 30_000,
  delayFirstAttempt: false,
};

/**
 * The herd row's policy, what a fleet of 2,000 clients should run with: even the first retry is
 * jittered (`delayFirstAttempt`), every delay lies in [0.5 s, 1 s], so a restarted server gets a
 * bounded rate of attempts and every client is back within a second of it.
 */
export const HERD_POLICY = {
  strategy: 'exponential',
  jitter: 'equal',
  initialDelay: 1000,
  maxDelay: 1000,
  delayFirstAttempt: true,
};

/**
 * A hand-written full-jitter loop (the AWS architecture blog's), the floor the default-policy herd
 * row compares connback's defaults with: every delay, the first retry's included, drawn from
 * [0, fibonacci delay].
 */
export const FULL_JITTER_POLICY = {
  strategy: 'fibonacci',
  jitter: 'full',
  initialDelay: 1000,
  maxDelay: 30_000,
  delayFirstAttempt: true,
};

const JITTERS = { full: fullJitter, equal: equalJitter, none: (delay) => delay };

/** The same policy as options for a Connback (connback names its jitters; 0.1.7 takes a function). */
export function backoffOptions(policy, { jitterAsFunction = false, strictMaxDelay = false } = {}) {
  return {
    strategy: policy.strategy,
    jitter: jitterAsFunction ? JITTERS[policy.jitter] : policy.jitter,
    initialDelay: policy.initialDelay,
    // @jil/backoff (0.1.7) refuses maxDelay <= initialDelay; one more millisecond changes nothing.
    maxDelay: strictMaxDelay ? Math.max(policy.maxDelay, policy.initialDelay + 1) : policy.maxDelay,
    delayFirstAttempt: policy.delayFirstAttempt,
  };
}

/**
 * The raw client's backoff, written by hand as a careful user would: the first retry after a
 * stable connection at once (unless `delayFirstAttempt`), then the strategy, capped, jittered.
 */
export class RawBackoff {
  #policy;
  #jitter;
  #attempts = 0;
  #steps = 0;
  #previous = 0;
  #current = 0;

  constructor(policy) {
    this.#policy = policy;
    this.#jitter = JITTERS[policy.jitter];
  }

  /** A stable connection ended the outage. */
  reset() {
    this.#attempts = 0;
    this.#steps = 0;
  }

  /** Milliseconds to wait before the next attempt. */
  next() {
    const { strategy, initialDelay, maxDelay, delayFirstAttempt } = this.#policy;
    if (this.#attempts++ === 0 && !delayFirstAttempt) return 0;
    if (this.#steps++ === 0) {
      this.#previous = 0;
      this.#current = initialDelay;
    } else if (strategy === 'fibonacci') {
      [this.#previous, this.#current] = [this.#current, this.#previous + this.#current];
    } else {
      this.#current *= 2;
    }
    return this.#jitter(Math.min(this.#current, maxDelay));
  }
}

import { ConnbackError, ErrorCode } from './errors.js';
import { TIMERS, type Timers, UNREFED_TIMERS } from './timers.js';

/** Options of a {@link RetryBudget}. */
export interface RetryBudgetOptions {
  /**
   * Attempts per **second** the budget grants, shared by every Connback that uses it.
   * @default 100
   */
  rate?: number | undefined;
  /**
   * Attempts the budget may grant at once after a quiet period (the bucket's size, at least 1).
   * @default 10
   */
  burst?: number | undefined;
  /**
   * Unref the budget's timer (Node), so that Connbacks waiting on the budget alone do not keep the
   * process alive.
   * @default false
   */
  unref?: boolean | undefined;
}

/** A snapshot of a {@link RetryBudget}, as `stats()` returns it. */
export interface RetryBudgetStats {
  /** Attempts per second. */
  readonly rate: number;
  /** The bucket's size: attempts it may grant at once. */
  readonly burst: number;
  /** Attempts that could be granted right now (whole or not). */
  readonly tokens: number;
  /** Connbacks waiting for an attempt. */
  readonly waiting: number;
  /** Attempts granted, at once or after a wait. */
  readonly granted: number;
  /** Attempts that had to wait. */
  readonly delayed: number;
  /** The longest wait of a granted attempt, in ms. */
  readonly maxWait: number;
  /** The mean wait of the attempts that had to wait, in ms (0 when none did). */
  readonly meanWait: number;
}

/** What waits on a budget: a Connback's state machine. */
export interface BudgetWaiter {
  /** The budget granted the attempt this waiter asked for; called from the budget's timer. */
  budgetGranted(): void;
}

function invalid(name: string, expected: string, got: unknown): ConnbackError {
  return new ConnbackError(
    ErrorCode.InvalidOption,
    `connback: RetryBudget option "${name}" must be ${expected} (got ${String(got)})`,
  );
}

let shared: RetryBudget | undefined;
let processDefault: RetryBudget | undefined;

/**
 * A token bucket of reconnect attempts that many Connbacks (of any connector) share: `rate`
 * attempts per second with bursts of `burst`. An attempt that finds the bucket empty is delayed,
 * never failed; waiting Connbacks are served first come, first served. It composes with each
 * Connback's own backoff: an attempt waits its backoff delay, then for the budget, so the later
 * of the two wins. Only automatic attempts go through it: `start()` and `reconnect()` are the
 * application's own decision.
 *
 * The budget holds one timer, only while someone waits, whatever the number of waiting
 * Connbacks; `end()` and `reconnect()` take a Connback out of the queue at once.
 */
export class RetryBudget {
  /** Attempts per second the budget grants. */
  readonly rate: number;
  /** Attempts the budget may grant at once after a quiet period (the bucket's size). */
  readonly burst: number;
  readonly #timers: Timers;
  #tokens: number;
  #refilledAt: number;
  /** Waiters in arrival order, with the time each started waiting. */
  readonly #queue = new Map<BudgetWaiter, number>();
  #timer: unknown;
  #granted = 0;
  #delayed = 0;
  #waited = 0;
  #maxWait = 0;

  /**
   * Makes a budget. It holds no timer until someone waits.
   * @param options `rate` (attempts per second), `burst` (count) and `unref`.
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad option: a `rate` that is not a
   *   positive number, a `burst` that is not a whole number of at least 1.
   */
  constructor(options: RetryBudgetOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw invalid('options', 'an object', options);
    }
    const rate = options.rate ?? 100;
    const burst = options.burst ?? 10;
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
      throw invalid('rate', 'a positive number of attempts per second', rate);
    }
    if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
      throw invalid('burst', 'a whole number >= 1', burst);
    }
    if (options.unref !== undefined && typeof options.unref !== 'boolean') {
      throw invalid('unref', 'a boolean', options.unref);
    }
    this.rate = rate;
    this.burst = burst;
    this.#timers = options.unref === true ? UNREFED_TIMERS : TIMERS;
    this.#tokens = burst;
    this.#refilledAt = this.#timers.now();
  }

  /**
   * The budget of the process: made on the first call (with `options`, or the defaults), the
   * same object afterwards. Pass it to Connbacks as `budget`, or make it every Connback's budget
   * with {@link RetryBudget.setDefault}.
   * @param options Used only by the first call; later calls return the budget made then.
   * @returns The process's shared budget.
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` when the first call's options are not valid.
   */
  static shared(options?: RetryBudgetOptions): RetryBudget {
    shared ??= new RetryBudget(options);
    return shared;
  }

  /**
   * Makes `budget` the budget of every Connback constructed afterwards without a `budget`
   * option (`undefined` turns that off). Off by default. Connbacks made before keep theirs.
   * @param budget The budget, or `undefined`.
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` when `budget` is neither a RetryBudget nor
   *   `undefined`.
   */
  static setDefault(budget: RetryBudget | undefined): void {
    if (budget !== undefined && !(budget instanceof RetryBudget)) {
      throw invalid('setDefault(budget)', 'a RetryBudget or undefined', budget);
    }
    processDefault = budget;
  }

  /** The budget Connbacks without a `budget` option use, if one was set. */
  static get default(): RetryBudget | undefined {
    return processDefault;
  }

  #refill(now: number): void {
    const earned = ((now - this.#refilledAt) * this.rate) / 1000;
    this.#refilledAt = now;
    this.#tokens = Math.min(this.burst, this.#tokens + earned);
  }

  /**
   * Takes an attempt now (true), or queues `waiter`, whose `budgetGranted()` is called when its
   * turn comes (false). Connback calls it before each automatic attempt.
   * @param waiter Who asks; asking again while queued keeps its place.
   * @returns True when the attempt may start now.
   */
  take(waiter: BudgetWaiter): boolean {
    const now = this.#timers.now();
    this.#refill(now);
    if (this.#queue.size === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#granted += 1;
      return true;
    }
    if (!this.#queue.has(waiter)) {
      this.#queue.set(waiter, now);
      this.#delayed += 1;
    }
    this.#arm();
    return false;
  }

  /**
   * Takes `waiter` out of the queue; the timer stops when nobody waits any more.
   * @param waiter Who no longer waits; one not queued is ignored.
   */
  cancel(waiter: BudgetWaiter): void {
    if (!this.#queue.delete(waiter) || this.#queue.size > 0) return;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const ms = Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.rate));
    this.#timer = this.#timers.set(RetryBudget.#fired, ms, this);
  }

  static #fired(budget: RetryBudget): void {
    budget.#timer = undefined;
    budget.#grant();
  }

  #grant(): void {
    const now = this.#timers.now();
    this.#refill(now);
    while (this.#tokens >= 1) {
      const first = this.#queue.entries().next();
      if (first.done === true) break;
      const [waiter, since] = first.value;
      this.#queue.delete(waiter);
      this.#tokens -= 1;
      this.#granted += 1;
      const wait = now - since;
      this.#waited += wait;
      if (wait > this.#maxWait) this.#maxWait = wait;
      // A waiter is a state machine that reports what its own user code throws; whatever it
      // calls (another Connback's end() included) only takes waiters out of the queue.
      waiter.budgetGranted();
    }
    if (this.#queue.size > 0) this.#arm();
  }

  /** A snapshot of the budget's counters. */
  stats(): RetryBudgetStats {
    this.#refill(this.#timers.now());
    const served = this.#delayed - this.#queue.size;
    return {
      rate: this.rate,
      burst: this.burst,
      tokens: this.#tokens,
      waiting: this.#queue.size,
      granted: this.#granted,
      delayed: this.#delayed,
      maxWait: this.#maxWait,
      meanWait: served > 0 ? this.#waited / served : 0,
    };
  }
}

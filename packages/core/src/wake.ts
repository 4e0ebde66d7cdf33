import { TIMERS, type Timers, UNREFED_TIMERS } from './timers.js';

/**
 * How long the process or the machine was away, as the {@link WakeWatcher} measured it.
 * - `late`: ms a timer fired after it was due (a stopped process, a paused VM, a throttled
 *   page: the monotonic clock went on while nothing ran).
 * - `jump`: ms the wall clock moved ahead of the monotonic clock (a suspended machine on Linux
 *   and macOS, where the monotonic clock stops).
 */
export interface WakeGap {
  readonly late: number;
  readonly jump: number;
}

/** What the watcher calls on each Connback that listens; it is the machine itself, no closure. */
export interface WakeListener {
  woke(gap: WakeGap): void;
}

/**
 * The period of the watcher's timer, ms: one cheap check a second per process, so a wake-up is
 * noticed within a second whatever the Connbacks wait for (a 20 s backoff, a 60 s keepalive).
 */
export const WATCH_PERIOD = 1000;

/**
 * Lateness below this is not reported (ms): a busy event loop, a GC pause, timer coalescing.
 * Each Connback applies its own, higher, bar on top (see `wakeBar`).
 */
export const MIN_LATE = 1000;

/**
 * Wall-clock jumps below this are not a wake-up (ms): an NTP step corrects a few seconds at
 * most, while a sleep worth reacting to lasts longer. Backward jumps never count.
 */
export const MIN_JUMP = 10_000;

/** The first member of every watcher's set of listeners; it ignores wake-ups. */
const SENTINEL: WakeListener = Object.freeze({ woke() {} });

/**
 * One watcher per set of timers (so one per process with the default timers): a single timer,
 * armed only while at least one Connback listens, unref'd where the timers can be, cleared when
 * the last one leaves (DESIGN.md semantic 13).
 */
export class WakeWatcher {
  readonly #timers: Timers;
  /**
   * The listeners, after a sentinel that never leaves: a set that empties gives back its table
   * and builds a new one on the next add, which a short-lived Connback would pay each time.
   */
  readonly #listeners = new Set<WakeListener>([SENTINEL]);
  #timer: unknown;
  #lastMono = 0;
  #lastOffset = 0;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  static #fire(watcher: WakeWatcher): void {
    watcher.#tick();
  }

  add(listener: WakeListener): void {
    if (this.#listeners.has(listener)) return;
    this.#listeners.add(listener);
    if (this.#listeners.size === 2) {
      this.#mark();
      this.#timer = this.#timers.set(WakeWatcher.#fire, WATCH_PERIOD, this);
    }
  }

  delete(listener: WakeListener): void {
    if (!this.#listeners.delete(listener) || this.#listeners.size > 1) return;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }

  #mark(): void {
    this.#lastMono = this.#timers.now();
    this.#lastOffset = Date.now() - this.#lastMono;
  }

  #tick(): void {
    const mono = this.#timers.now();
    const offset = Date.now() - mono;
    const late = mono - this.#lastMono - WATCH_PERIOD;
    const jump = offset - this.#lastOffset;
    this.#lastMono = mono;
    this.#lastOffset = offset;
    if (!this.#timers.refresh(this.#timer)) {
      this.#timer = this.#timers.set(WakeWatcher.#fire, WATCH_PERIOD, this);
    }
    if (late < MIN_LATE && jump < MIN_JUMP) return;
    const gap: WakeGap = { late: Math.max(0, late), jump: Math.max(0, jump) };
    // A listener may end another Connback (which leaves the set) while this loop runs.
    for (const listener of [...this.#listeners]) {
      try {
        listener.woke(gap);
      } catch {
        // The machine reports what its listeners throw; nothing else can throw here.
      }
    }
  }
}

const watchers = new WeakMap<Timers, WakeWatcher>();

/** The watcher for `timers`; the default timers share one, unref'd, per process. */
export function watcherFor(timers: Timers): WakeWatcher {
  const key = timers === UNREFED_TIMERS ? TIMERS : timers;
  let watcher = watchers.get(key);
  if (watcher === undefined) {
    watcher = new WakeWatcher(key === TIMERS ? UNREFED_TIMERS : key);
    watchers.set(key, watcher);
  }
  return watcher;
}

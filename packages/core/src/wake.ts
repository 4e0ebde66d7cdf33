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
  /**
   * The first tick after this listener joined as arriving: its keepalive timer is armed now.
   * True when that timer keeps the process alive (the watcher held it alive until then).
   */
  arrive(): boolean;
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
const SENTINEL: WakeListener = Object.freeze({ woke() {}, arrive: () => false });

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
  /**
   * The listener that joined while the set was empty, held outside it: one short-lived Connback
   * after another would add to and delete from the set each time, and a set rebuilds its table
   * every few deletes. Older than every member of the set.
   */
  #only: WakeListener | undefined;
  #timer: unknown;
  #lastMono = 0;
  #lastOffset = 0;
  /**
   * The listeners whose keepalive timer waits for the next tick: a connection shorter than a
   * tick never arms one (with the default timers, a timer and a timer list less to allocate).
   */
  #arriving: WakeListener | undefined;
  /** After the first (an array only when more than one arrives within a tick). */
  #arrivingMore: WakeListener[] | undefined;
  /** How many of them would have a timer that keeps the process alive: the watcher's does meanwhile. */
  #holding = 0;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  static #fire(watcher: WakeWatcher): void {
    watcher.#tick();
  }

  /**
   * `arriving`: the listener's keepalive timer waits for the next tick (its `arrive`); `holds`:
   * that timer will keep the process alive, so the watcher's timer does until then.
   */
  add(listener: WakeListener, arriving = false, holds = false): void {
    if (arriving) {
      if (this.#arriving === undefined) this.#arriving = listener;
      else if (this.#arrivingMore === undefined) this.#arrivingMore = [listener];
      else this.#arrivingMore.push(listener);
      if (holds) this.#holding += 1;
    }
    if (this.#only !== listener && !this.#listeners.has(listener)) {
      if (this.#only === undefined && this.#listeners.size === 1) this.#only = listener;
      else this.#listeners.add(listener);
      if (this.#size === 1) {
        this.#mark();
        this.#timer = this.#timers.set(WakeWatcher.#fire, WATCH_PERIOD, this);
      }
    }
    if (holds && arriving && this.#holding === 1) this.#hold(true);
  }

  /** `held`: the listener left before its arrival, and was one the watcher held alive. */
  delete(listener: WakeListener, held = false): void {
    if (held) this.#release();
    if (this.#only === listener) this.#only = undefined;
    else if (!this.#listeners.delete(listener)) return;
    if (this.#size > 0) return;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
    this.#arriving = undefined;
    this.#arrivingMore = undefined;
    this.#holding = 0;
  }

  #arrive(listener: WakeListener): void {
    try {
      if (listener.arrive()) this.#release();
    } catch {
      // As below: the machine reports what user code throws.
    }
  }

  /** How many listen. */
  get #size(): number {
    return (this.#only === undefined ? 0 : 1) + this.#listeners.size - 1;
  }

  #release(): void {
    if (this.#holding > 0 && --this.#holding === 0) this.#hold(false);
  }

  /** Refs or unrefs the timer, where it is a Node timer (the default timers' is unref'd). */
  #hold(on: boolean): void {
    const timer = this.#timer as { ref?: () => unknown; unref?: () => unknown } | undefined;
    if (typeof timer !== 'object' || timer === null) return;
    if (on) timer.ref?.();
    else timer.unref?.();
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
      if (this.#holding > 0) this.#hold(true);
    }
    // Before the gap: an arrival overdue ticks its keepalive now, as its own timer would have.
    // A listener may join or leave meanwhile: the list is taken first.
    const first = this.#arriving;
    if (first !== undefined) {
      const more = this.#arrivingMore;
      this.#arriving = undefined;
      this.#arrivingMore = undefined;
      this.#arrive(first);
      if (more !== undefined) for (const listener of more) this.#arrive(listener);
    }
    if (late < MIN_LATE && jump < MIN_JUMP) return;
    const gap: WakeGap = { late: Math.max(0, late), jump: Math.max(0, jump) };
    // A listener may end another Connback (which leaves the set) while this loop runs.
    const only = this.#only;
    for (const listener of only === undefined ? [...this.#listeners] : [only, ...this.#listeners]) {
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

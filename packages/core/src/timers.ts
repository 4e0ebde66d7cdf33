/**
 * The timer functions connback uses, in one place so that tests run them on fake time and `unref`
 * is one choice at construction. A callback gets one argument (Node and browsers pass the extra
 * arguments of `setTimeout` on), so a caller can hand in a function shared by every instance
 * instead of a closure per instance.
 */
export interface Timers {
  set<A>(callback: (arg: A) => void, ms: number, arg: A): unknown;
  /**
   * Arms a timer that fired (or is pending) again for its original duration, without allocating
   * a new one; false when this platform's timers cannot (browsers return numbers).
   */
  refresh(handle: unknown): boolean;
  clear(handle: unknown): void;
  /** Monotonic milliseconds, whole: integers stay unboxed in V8's object fields. */
  now(): number;
}

interface NodeTimeout {
  refresh?: () => unknown;
  unref?: () => unknown;
}

function monotonicNow(): number {
  return Math.round(globalThis.performance?.now() ?? Date.now());
}

/** The timers of every Connback: shared, so a Connback owns no timer functions of its own. */
export const TIMERS: Timers = {
  set: (callback, ms, arg) => setTimeout(callback, ms, arg),
  refresh: (handle) => {
    const refresh = (handle as NodeTimeout | undefined)?.refresh;
    if (typeof refresh !== 'function') return false;
    refresh.call(handle);
    return true;
  },
  clear: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
  now: monotonicNow,
};

/** With `unref`: the same, but a pending timer does not keep a Node process alive. */
export const UNREFED_TIMERS: Timers = {
  ...TIMERS,
  set: (callback, ms, arg) => {
    const handle = setTimeout(callback, ms, arg) as unknown as NodeTimeout;
    handle.unref?.();
    return handle;
  },
};

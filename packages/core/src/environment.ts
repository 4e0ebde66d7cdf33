/**
 * What the environment tells a Connback about the world around the connection:
 * - `online` / `offline`: the network came back / went away (a hint, not a verdict: a live
 *   connection is probed, never closed on `offline`);
 * - `visible` / `hidden`: the page was shown / hidden (`visibilitychange`);
 * - `pageshow`: the page came back from the back/forward cache.
 */
export type EnvironmentSignal = 'online' | 'offline' | 'visible' | 'hidden' | 'pageshow';

/**
 * Where a Connback runs, as far as reconnection cares (DESIGN.md semantic 19). Every member is
 * optional; Node needs none (always online, always visible). `@connback/ws` ships
 * `browserEnvironment()`, over `navigator.onLine`, `online`/`offline`, `visibilitychange` and
 * `pageshow`. A member that throws is reported through `onerror` and counts as its default.
 */
export interface ConnbackEnvironment {
  /** False while the network is known to be down: no attempt is made, none is counted. */
  online?(): boolean;
  /** False while the page is hidden: late timers are then throttling, not a wake-up. */
  visible?(): boolean;
  /**
   * Subscribes to the signals; returns the unsubscribe function. A Connback subscribes when it
   * starts and unsubscribes on `end()`, on failure and when it goes idle.
   * @param listener Called with each signal.
   * @returns The unsubscribe function.
   */
  subscribe?(listener: (signal: EnvironmentSignal) => void): () => void;
}

/** The default environment: always online, always visible, no signals. */
export const ALWAYS_ONLINE: ConnbackEnvironment = Object.freeze({});

/** Where a guarded call of the environment reports what its member threw. */
export interface EnvironmentReporter {
  reportThrown(thrown: unknown, what: string): void;
}

// The environment is user code: each member is called through these, so one that throws is
// reported and counts as its default. Plain functions: a Connback allocates nothing for them.

/** True while the environment says the page is hidden. */
export function isHidden(environment: ConnbackEnvironment, reporter: EnvironmentReporter): boolean {
  if (environment.visible === undefined) return false;
  try {
    return environment.visible() === false;
  } catch (thrown) {
    reporter.reportThrown(thrown, "the environment's visible");
    return false;
  }
}

/** False only while the environment says the network is down. */
export function isOnline(environment: ConnbackEnvironment, reporter: EnvironmentReporter): boolean {
  if (environment.online === undefined) return true;
  try {
    return environment.online() !== false;
  } catch (thrown) {
    reporter.reportThrown(thrown, "the environment's online");
    return true;
  }
}

/** Subscribes `listener` to the environment's signals; the unsubscribe function, if any. */
export function subscribeTo(
  environment: ConnbackEnvironment,
  listener: (signal: EnvironmentSignal) => void,
  reporter: EnvironmentReporter,
): (() => void) | undefined {
  if (environment.subscribe === undefined) return undefined;
  try {
    const unsubscribe = environment.subscribe(listener);
    return typeof unsubscribe === 'function' ? unsubscribe : undefined;
  } catch (thrown) {
    reporter.reportThrown(thrown, "the environment's subscribe");
    return undefined;
  }
}

/** Calls an unsubscribe function the environment gave. */
export function unsubscribeFrom(unsubscribe: () => void, reporter: EnvironmentReporter): void {
  try {
    unsubscribe();
  } catch (thrown) {
    reporter.reportThrown(thrown, "the environment's unsubscribe");
  }
}

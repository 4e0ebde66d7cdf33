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
   */
  subscribe?(listener: (signal: EnvironmentSignal) => void): () => void;
}

/** The default environment: always online, always visible, no signals. */
export const ALWAYS_ONLINE: ConnbackEnvironment = Object.freeze({});

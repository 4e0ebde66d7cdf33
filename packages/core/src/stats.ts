import type { EndpointStats } from './pool.js';
import type { ConnbackState, InternalState } from './state.js';
import type { Timers } from './timers.js';

/** The second argument of `onconnect`: tells the first connect from a reconnect. */
export interface ConnectInfo {
  /** False for the first connect of this Connback, true for every later one. */
  readonly reconnect: boolean;
  /** Number of the attempt that connected, within its outage (1 for the first). */
  readonly attempt: number;
  /** The endpoint connected to, when the connector names it (credentials redacted). */
  readonly endpoint: string | undefined;
}

/** The payload of `onwake`. */
export interface WakeInfo {
  /**
   * How long the process or the machine was away, in ms: how late a timer fired, or how far the
   * wall clock jumped ahead of the monotonic clock (a suspended machine).
   */
  readonly asleep: number;
  /** What connback does about it: `probe` the live connection, or `retry` now instead of waiting. */
  readonly action: 'probe' | 'retry';
}

/** A snapshot of a Connback's counters, as `stats` returns it. */
export interface ConnbackStats {
  readonly state: ConnbackState;
  /** Attempts made over the Connback's life. */
  readonly attempts: number;
  /**
   * Attempts counted toward `maxNumOfAttempts`: those of the current outage. The count starts over
   * when a connection that stayed up `minUptime` closes, and on `reconnect()`.
   */
  readonly outageAttempts: number;
  /** Attempts that failed (rejected, threw, timed out). */
  readonly failedAttempts: number;
  /** Successful connects, the first included. */
  readonly connects: number;
  /** Successful connects after the first. */
  readonly reconnects: number;
  /** Live connections that were lost (not counting `end()` and `reconnect()`). */
  readonly drops: number;
  /** The last error of an attempt or a connection, if any. */
  readonly lastError: Error | undefined;
  /** When the current connection opened; undefined while not connected. */
  readonly connectedSince: Date | undefined;
  /** The backoff delay (ms) of the wait in progress; undefined when not waiting. */
  readonly nextDelay: number | undefined;
  /** The endpoint of the live connection, when the connector names it (credentials redacted). */
  readonly endpoint: string | undefined;
  /** Counters per endpoint, when the connector has an endpoint pool. */
  readonly endpoints: readonly EndpointStats[] | undefined;
  /** Wake-ups seen (a paused process, a suspended machine), each one announced by `onwake`. */
  readonly wakes: number;
  /**
   * In the `offline` state, what the next attempt waits for: the backoff delay, or the
   * `environment` to say the network is back (no attempt is made and none counted meanwhile).
   */
  readonly waitingFor: 'backoff' | 'network' | undefined;
}

/** The counters behind {@link ConnbackStats}, kept by the state machine. */
export class Counters {
  attempts = 0;
  failedAttempts = 0;
  connects = 0;
  drops = 0;
  lastError: Error | undefined;
  /** The delay of the last backoff wait armed. */
  nextDelay: number | undefined;
  /** The endpoint of the last connection. */
  endpoint: string | undefined;
  wakes = 0;

  /** A snapshot, taken in `state` with `outageAttempts` counted in the current outage. */
  snapshot<T>(
    state: InternalState<T>,
    outageAttempts: number,
    timers: Timers,
    endpoints: readonly EndpointStats[] | undefined,
  ): ConnbackStats {
    return {
      state: state.name,
      attempts: this.attempts,
      outageAttempts,
      failedAttempts: this.failedAttempts,
      connects: this.connects,
      reconnects: Math.max(0, this.connects - 1),
      drops: this.drops,
      lastError: this.lastError,
      connectedSince:
        state.name === 'connected'
          ? new Date(Date.now() - (timers.now() - state.since))
          : undefined,
      nextDelay: state.name === 'offline' && state.timer !== undefined ? this.nextDelay : undefined,
      endpoint: state.name === 'connected' ? this.endpoint : undefined,
      endpoints,
      wakes: this.wakes,
      waitingFor:
        state.name !== 'offline'
          ? undefined
          : state.paused === true
            ? 'network'
            : state.timer !== undefined
              ? 'backoff'
              : undefined,
    };
  }
}

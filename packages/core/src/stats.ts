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

/**
 * The round trips of the live connection's keepalive, in ms: from a ping to the first heartbeat
 * after it (`feedHeartbeat`: the pong, or any data the transport feeds as one). On a connection
 * that carries other traffic, data that arrives before the pong counts as the answer, so a
 * figure may be shorter than the network's round trip, never longer than the peer's answer.
 */
export interface RttStats {
  /** The latest round trip, ms. */
  readonly last: number;
  /** The shortest round trip of this connection, ms. */
  readonly min: number;
  /**
   * The smoothed round trip, ms, as TCP's SRTT (RFC 6298): the first sample, then
   * `7/8 × smoothed + 1/8 × sample` for each later one (alpha 1/8), to 1/8 ms.
   */
  readonly smoothed: number;
}

/** The payload of `onpong`. */
export interface PongInfo {
  /** Ms from the ping to this heartbeat, its answer. */
  readonly rtt: number;
}

/** A snapshot of a Connback's counters, as `stats` returns it. */
export interface ConnbackStats {
  /** The state when the snapshot was taken. */
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
  /**
   * The round trips of the live connection's pings (see {@link RttStats}); undefined while not
   * connected, and until a ping of this connection was answered. Each connection starts afresh.
   */
  readonly rtt: RttStats | undefined;
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
      rtt: state.name === 'connected' ? state.rtt : undefined,
    };
  }
}

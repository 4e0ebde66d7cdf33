import type { AttemptCancellation } from './cancellation.js';
import type { Heartbeat } from './heartbeat.js';

/**
 * The one state of a Connback.
 * - `idle`: not started (`lazyConnect`) or stopped by cancelling a `reconnect(token)`.
 * - `connecting`: one attempt is in flight (`reconnect()` may replace it with a new one).
 * - `connected`: a client is live.
 * - `offline`: between attempts (the backoff wait), or just after a drop.
 * - `ending`: inside `end()`, while the client is being closed and `onclose` fires.
 * - `ended`: `end()` finished; only `reconnect()` brings it back.
 * - `failed`: attempts were exhausted or `retry` said stop; `onfail` fired.
 */
export type ConnbackState =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'offline'
  | 'ending'
  | 'ended'
  | 'failed';

/** The payload of `onstatechange`. */
export interface StateChange {
  readonly from: ConnbackState;
  readonly to: ConnbackState;
}

/** Every transition the state machine makes; anything else is a bug. */
export const TRANSITIONS: Readonly<Record<ConnbackState, readonly ConnbackState[]>> = {
  idle: ['connecting', 'ending'],
  connecting: ['connecting', 'connected', 'offline', 'failed', 'ending', 'idle'],
  connected: ['offline', 'ending'],
  offline: ['connecting', 'failed', 'ending', 'idle'],
  ending: ['ended'],
  ended: ['connecting'],
  failed: ['connecting', 'ending'],
};

/** One connect attempt, owned by the `connecting` state. */
export interface Attempt {
  /** 1-based number within the outage. */
  readonly number: number;
  /** True when `onreconnect` announced it (every attempt but the first after `start()`). */
  readonly reconnect: boolean;
  readonly cancellation: AttemptCancellation;
  /** The connect-timeout timer. */
  timer: unknown;
  /** Set once connect resolved or rejected: its token then needs no cancelling. */
  settled: boolean;
}

/**
 * The state together with what it owns. Data of one state cannot exist in another: leaving a
 * state disposes its timers, token and heartbeat in one place.
 */
export type InternalState<T> =
  | { readonly name: 'idle' }
  | { readonly name: 'connecting'; readonly attempt: Attempt }
  | {
      readonly name: 'connected';
      readonly client: T;
      readonly heartbeat: Heartbeat<unknown, T> | undefined;
      /** Monotonic time of the connect, for minUptime. */
      readonly since: number;
    }
  | { readonly name: 'offline'; timer: unknown }
  | { readonly name: 'ending' }
  | { readonly name: 'ended' }
  | { readonly name: 'failed'; readonly error: Error };

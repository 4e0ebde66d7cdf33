import type { Attempt } from './attempt.js';
import type { Connection } from './connection.js';

/**
 * The one state of a Connback.
 * - `idle`: not started (`lazyConnect`) or stopped by cancelling a `reconnect(token)`.
 * - `connecting`: one attempt is in flight (`reconnect()` may replace it with a new one).
 * - `connected`: a client is live.
 * - `offline`: between attempts (the backoff wait), or just after a drop; also while the
 *   `environment` says the network is down (`stats.waitingFor` is then `'network'`).
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
  /** The state the Connback left. */
  readonly from: ConnbackState;
  /** The state it entered: the value `state` holds now. */
  readonly to: ConnbackState;
}

/**
 * Every transition the state machine makes (`transitions.ts`), and what leads to it; anything
 * else is a bug (the tests check every `onstatechange` against this table).
 *
 * | from       | to         | step                                                        |
 * |------------|------------|-------------------------------------------------------------|
 * | idle       | connecting | start(), ready(), reconnect()                                |
 * | connecting | connecting | reconnect() replaces the attempt in flight                   |
 * | connecting | connected  | the attempt resolved with a client                           |
 * | connecting | offline    | the attempt failed: rejected, threw, timed out, no client    |
 * | connected  | offline    | a drop: feedError, feedClose, keepalive timeout, failed ping, reconnect() |
 * | offline    | connecting | the backoff wait is over, or reconnect()                     |
 * | offline    | failed     | attempts exhausted, or retry / retryable said stop           |
 * | connecting, offline | idle | the token of the reconnect(token) that started them fired |
 * | any but ending, ended | ending | end()                                             |
 * | ending     | ended      | end(), right after the client was closed and onclose fired   |
 * | ended, failed | connecting | reconnect(): a fresh episode                              |
 */
export const TRANSITIONS: Readonly<Record<ConnbackState, readonly ConnbackState[]>> = {
  idle: ['connecting', 'ending'],
  connecting: ['connecting', 'connected', 'offline', 'ending', 'idle'],
  connected: ['offline', 'ending'],
  offline: ['connecting', 'failed', 'ending', 'idle'],
  ending: ['ended'],
  ended: ['connecting'],
  failed: ['connecting', 'ending'],
};

/**
 * The state together with what it owns. Data of one state cannot exist in another: leaving a
 * state releases its timers, token, heartbeat and client in one place (`Transitions.#release`).
 * The two states that own the most are objects with behaviour of their own: an {@link Attempt}
 * is the `connecting` state, a {@link Connection} the `connected` state.
 */
export type InternalState<T> =
  | { readonly name: 'idle' }
  | Attempt<T>
  | Connection<T>
  | {
      readonly name: 'offline';
      timer: unknown;
      /** The wait is (also) for the shared retry budget. */
      budgeted: boolean;
      /** Waiting for the environment to say the network is back, not for a timer. */
      paused?: boolean;
      /** A wake-up already cut this wait short (once per wait). */
      cut?: boolean;
    }
  | { readonly name: 'ending' }
  | { readonly name: 'ended' }
  | { readonly name: 'failed'; readonly error: Error };

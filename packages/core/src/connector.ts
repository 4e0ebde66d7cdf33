import type { AttemptToken } from './cancellation.js';
import type { Connback } from './connback.js';
import { ConnbackError, ErrorCode } from './errors.js';
import type { EndpointStats } from './pool.js';

/** A value, or a promise of it. */
export type ValueOrPromise<T> = T | PromiseLike<T>;

/**
 * What a transport implements once: how to open a client, close it, and (optionally) ping it.
 * connback does the rest: timeouts, backoff, keepalive, and the lifecycle.
 */
export interface Connector<T> {
  /**
   * Opens a client. Resolve with it once it is usable; reject (or throw) when the attempt fails.
   * When `token` is cancelled (connect timeout, `end()`, `reconnect()`), abandon the attempt: a
   * client that still arrives afterwards is closed with `close(client, true)` and never used.
   * @param connback The Connback making the attempt, to feed it errors, closes and heartbeats.
   * @param token Cancelled when the attempt is abandoned; `token.reason` says why, and
   *   {@link toAbortSignal} turns it into an `AbortSignal`.
   * @returns The client, or a promise of it (`undefined` or `null` fails the attempt with
   *   `CONNBACK_NO_CLIENT`).
   */
  connect(connback: Connback<T>, token: AttemptToken): ValueOrPromise<T>;
  /**
   * Closes a client: gracefully, or at once when `force` is true. connback calls it for every
   * client it stops using, also one that has already closed itself, so it must be idempotent.
   * A throw or rejection is reported through `onerror`.
   * @param client The client to close.
   * @param force True to close at once: every close but that of `end()` without `force` (a drop,
   *   a keepalive timeout, `reconnect()`, a late client).
   * @returns Anything; a promise is awaited by `await using`.
   */
  close(client: T, force?: boolean): unknown;
  /**
   * Sends a ping on the keepalive schedule. The reply (or any other incoming data) must reach
   * connback through `feedHeartbeat(client)`. A throw or rejection counts as a failed heartbeat.
   * @param client The live client.
   */
  ping?(client: T): unknown;
  /**
   * Says whether `ping` can make this client's peer answer (a browser WebSocket without an
   * application ping message cannot). When it returns `false` connback runs no keepalive on this
   * connection: on a quiet connection nothing could prove the peer alive, so a deadline would only
   * close healthy connections. Such a connection ends when the transport reports it. Called once
   * per connection, as it opens; a throw is reported through `onerror` and counts as `true`.
   * @param client The client that just opened.
   * @default every client can be pinged
   */
  canPing?(client: T): boolean;
  /**
   * Says whether an error of this transport is worth retrying (for instance a WebSocket closed
   * with "policy violation" is not). Consulted, with the `retry` option, after a failed attempt
   * and after a connection is lost with an error; `false` stops reconnection: state `failed`,
   * `onfail` with reason `CONNBACK_RETRY_DECLINED`. A throw is reported and counts as `true`.
   * @param error The error of the failed attempt or of the lost connection.
   */
  retryable?(error: Error): boolean;
  /**
   * Names the endpoint `client` is connected to (credentials redacted), for `onconnect`'s info
   * and `stats.endpoint`. Called once per connection, before it is announced; a throw is
   * reported through `onerror` and names none.
   * @param client The client that just opened.
   */
  endpoint?(client: T): string | undefined;
  /**
   * Milliseconds until one of the connector's endpoints may be tried (see
   * {@link EndpointPool.readyIn}). When it gives 0 after a failed attempt, connback fails over at
   * once, without its backoff delay; otherwise it waits the later of its backoff delay and this.
   * A throw is reported through `onerror` and counts as no answer.
   */
  readyIn?(): number | undefined;
  /** Counters per endpoint, for `stats.endpoints` (see {@link EndpointPool}). */
  endpointStats?(): readonly EndpointStats[];
}

function fail(what: string): ConnbackError {
  return new ConnbackError(ErrorCode.InvalidOption, `connback: connector ${what}`);
}

/**
 * Checks the connector at construction.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming the missing or wrong member.
 */
export function checkConnector(connector: unknown): void {
  const c = connector as Partial<Connector<unknown>> | null | undefined;
  if (typeof c !== 'object' || c === null) throw fail(`must be an object (got ${String(c)})`);
  if (typeof c.connect !== 'function') throw fail('must have a connect(connback, token) function');
  if (typeof c.close !== 'function') throw fail('must have a close(client, force) function');
  if (c.ping !== undefined && typeof c.ping !== 'function') {
    throw fail('ping must be a function when given');
  }
  if (c.canPing !== undefined && typeof c.canPing !== 'function') {
    throw fail('canPing must be a function when given');
  }
  for (const name of ['retryable', 'endpoint', 'endpointStats', 'readyIn'] as const) {
    if (c[name] !== undefined && typeof c[name] !== 'function') {
      throw fail(`${name} must be a function when given`);
    }
  }
}

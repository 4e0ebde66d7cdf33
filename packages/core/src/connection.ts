import type { Connector } from './connector.js';
import { Heartbeat, type HeartbeatHost } from './heartbeat.js';
import { track } from './inflight.js';
import { follow, promiseOf } from './results.js';
import type { RttStats } from './stats.js';
import type { Timers } from './timers.js';
import { trace } from './trace.js';

/** Where a failed close is reported: a throw at once, a rejection later. */
export interface CloseSink {
  closeFailed(thrown: unknown): void;
}

/** What a {@link Connection} tells the state machine. */
export interface ConnectionHost<T> extends CloseSink {
  reportThrown(thrown: unknown): void;
  /** A keepalive tick: time to ping; `late` ms after it was due. */
  pingDue(connection: Connection<T>, late: number): void;
  /** A ping threw (at once, inside {@link Connection.ping}) or rejected (later). */
  pingFailed(connection: Connection<T>, thrown: unknown): void;
  /** No heartbeat within a keepalive period of the last ping: the peer is presumed dead. */
  peerDead(connection: Connection<T>): void;
}

/**
 * Closes `client` with the connector. A throw or a rejection (or a thenable that cannot be
 * followed) goes to the sink, never to the caller (semantics 10 and 16). A close that returns a
 * promise counts as the sink's work in flight until it settles (what `await using` waits for).
 */
export function closeClient<T>(
  connector: Connector<T>,
  client: T,
  force: boolean,
  sink: CloseSink,
): void {
  let result: unknown;
  try {
    result = connector.close(client, force);
  } catch (thrown) {
    sink.closeFailed(thrown);
    return;
  }
  const promise = promiseOf(result);
  if (promise === undefined) return;
  follow(promise, undefined, (thrown) => sink.closeFailed(thrown));
  track(sink, promise);
}

/**
 * The live connection, and the `connected` state itself: the client, when it opened, and its
 * keepalive. Pings go through the connector with the same care as connect: a throw, a rejection
 * or a hostile thenable is a failed heartbeat reported to the host.
 */
export class Connection<T> {
  readonly name = 'connected';
  readonly client: T;
  /** Monotonic time of the connect, for minUptime. */
  readonly since: number;
  readonly #host: ConnectionHost<T>;
  #heartbeat: Heartbeat<Connection<unknown>, T> | undefined;
  /** The callers of `probe()` waiting for the answer to the probe's ping. */
  #probes: ((rtt: number | false) => void)[] | undefined;

  // Shared by every connection: the heartbeat's owner is the connection.
  static readonly #heartbeatHost: HeartbeatHost<Connection<unknown>, unknown> = {
    ping: (connection, _client, late) => connection.#host.pingDue(connection, late),
    dead: (connection) => connection.#host.peerDead(connection),
  };

  constructor(client: T, since: number, host: ConnectionHost<T>) {
    this.client = client;
    this.since = since;
    this.#host = host;
  }

  /**
   * Whether the connector's `canPing` says this client can be pinged (no `canPing`: yes). A throw
   * is reported and counts as yes.
   */
  pingable(connector: Connector<T>): boolean {
    try {
      return connector.canPing?.(this.client) !== false;
    } catch (thrown) {
      this.#host.reportThrown(thrown);
      return true;
    }
  }

  /**
   * Starts the keepalive, a ping every `periodMs`; `measures` when the connector sends them (its
   * answers are then round trips); `deferred` when its timer waits for {@link Connection.arrive}.
   */
  startKeepalive(periodMs: number, timers: Timers, measures: boolean, deferred: boolean): void {
    const host = Connection.#heartbeatHost as HeartbeatHost<Connection<unknown>, T>;
    this.#heartbeat = new Heartbeat(
      periodMs,
      host,
      this as Connection<unknown>,
      this.client,
      timers,
      measures,
    );
    this.#heartbeat.start(deferred);
  }

  /** The keepalive was started deferred and its timer is not armed yet. */
  get arriving(): boolean {
    return this.#heartbeat?.arriving ?? false;
  }

  /** Arms a deferred keepalive's timer (see `Heartbeat.arrive`); false when not arriving. */
  arrive(): boolean {
    return this.#heartbeat?.arrive() ?? false;
  }

  /**
   * The peer showed it is alive. Returns the ms since the last ping when this heartbeat is the
   * first after it (its answer, if the connector sends pings), else -1.
   */
  beat(): number {
    const heartbeat = this.#heartbeat;
    if (heartbeat === undefined) return -1;
    const rtt = heartbeat.beat();
    // A probe is a ping out: the first heartbeat after it is its answer.
    if (rtt >= 0 && this.#probes !== undefined) this.#answer(rtt);
    return rtt;
  }

  /** The round trips of this connection's pings; undefined until one was answered. */
  get rtt(): RttStats | undefined {
    return this.#heartbeat?.rtt;
  }

  /**
   * Pings now with a deadline of `deadlineMs`; false when this connection has no keepalive to
   * probe with.
   */
  probe(deadlineMs: number): boolean {
    return this.#heartbeat?.probe(deadlineMs) ?? false;
  }

  /** True while a probe is out and unanswered. */
  get probing(): boolean {
    return this.#heartbeat?.probing ?? false;
  }

  /**
   * Like {@link probe}, for a caller that waits: resolves with the round trip (ms) of the probe's
   * ping (a ping already out less than `deadlineMs` ago is the probe's), or false.
   */
  probed(deadlineMs: number): Promise<number | false> {
    const probes = this.#probes;
    const promise = new Promise<number | false>((resolve) => {
      if (probes === undefined) this.#probes = [resolve];
      else probes.push(resolve);
    });
    if (!this.probe(deadlineMs)) this.#answer(false);
    return promise;
  }

  #answer(rtt: number | false): void {
    const probes = this.#probes;
    this.#probes = undefined;
    if (probes !== undefined) for (const resolve of probes) resolve(rtt);
  }

  /** Other traffic was sent: the next ping may wait. */
  postpone(): void {
    this.#heartbeat?.postpone();
  }

  /** The connection is no longer live: its keepalive stops for good, the client is closed. */
  release(connector: Connector<T>, force: boolean): void {
    this.#answer(false);
    this.#heartbeat?.stop();
    closeClient(connector, this.client, force, this.#host);
  }

  /** Sends a ping through the connector, if it has one. */
  ping(connector: Connector<T>): void {
    const ping = connector.ping;
    if (trace.enabled) trace('keepalive tick: %s', ping === undefined ? 'no ping method' : 'ping');
    if (ping === undefined) return;
    let result: unknown;
    try {
      result = ping.call(connector, this.client);
    } catch (thrown) {
      this.#host.pingFailed(this, thrown);
      return;
    }
    const promise = promiseOf(result);
    if (promise !== undefined) {
      follow(promise, undefined, (thrown) => this.#host.pingFailed(this, thrown));
    }
  }
}

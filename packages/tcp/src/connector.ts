import net from 'node:net';
import tls from 'node:tls';
import {
  type AttemptToken,
  type Connback,
  type Connector,
  EndpointPool,
  type EndpointStats,
  ErrorCode,
  isConnbackError,
  redactUrl,
} from '@connback/core';
import createDebug from 'debug';
import eventBind from 'event-bind';
import {
  parseTcpEndpoint,
  type ResolvedTcpConnectorOptions,
  resolveTcpConnectorOptions,
  type TcpConnectorOptions,
  type TcpEndpoint,
} from './options.js';

/** Where one attempt connects: what `net.connect` takes. */
type Target = { host: string; port: number } | { path: string };

// event-bind is CommonJS: under plain Node ESM only its default import resolves.
const { Binder } = eventBind;

/** `DEBUG=connback:tcp`: attempts, connects and closes of the sockets. */
const trace = createDebug('connback:tcp');

/**
 * Node throws an 'error' event nobody listens to; this listener keeps a dying socket quiet. It
 * stays on the socket for good: a closed socket emits nothing more, and it costs nothing.
 */
function swallow(): void {}

/**
 * The Connback each connected socket feeds. The feed listeners below are shared by every socket
 * (Node calls a listener with the socket as `this`), so a live connection costs one map entry
 * instead of a closure, a context and an unbind function per event.
 */
const feedTargets = new WeakMap<net.Socket, Connback<net.Socket>>();

function feedData(this: net.Socket): void {
  feedTargets.get(this)?.feedHeartbeat(this);
}

function feedError(this: net.Socket, error: Error): void {
  feedTargets.get(this)?.feedError(error, this);
}

function feedClose(this: net.Socket, hadError: boolean): void {
  const connback = feedTargets.get(this);
  if (trace.enabled) trace('socket closed%s', hadError ? ' with an error' : '');
  unbindFeeds(this);
  connback?.feedClose(hadError, this);
}

/** Errors, closes and incoming data of a connected socket, fed for that socket only. */
function bindFeeds(connback: Connback<net.Socket>, socket: net.Socket): void {
  feedTargets.set(socket, connback);
  // `on`, not `once`: once() wraps the listener in a new function; feedClose unbinds itself.
  socket.on('data', feedData).on('error', feedError).on('close', feedClose);
}

function unbindFeeds(socket: net.Socket): void {
  feedTargets.delete(socket);
  socket.off('data', feedData).off('error', feedError).off('close', feedClose);
}

/**
 * A `Connector<net.Socket>` for TCP, TLS and IPC (Unix sockets). Each attempt creates one socket;
 * once connected, the socket's errors, closes and incoming data reach connback as connection-scoped
 * feeds, so a socket that was already replaced can never touch the live one.
 */
export class TcpConnector implements Connector<net.Socket> {
  /** The options, checked, with defaults filled in (frozen). */
  readonly options: ResolvedTcpConnectorOptions;
  /** The endpoints and their counters, when `endpoints` is given. */
  readonly pool: EndpointPool<TcpEndpoint> | undefined;
  /** The one target without `endpoints`, and its name. */
  readonly #target: Target | undefined;
  readonly #name: string;
  /** The endpoint each socket of a pool connected to (a pool only: a map per connector costs). */
  readonly #endpoints: WeakMap<net.Socket, string> | undefined;
  // Declared, not initialised: a connector without a pool carries neither property.
  /** Counters per endpoint (attempts, failures, connections), with `endpoints`; absent without. */
  declare readonly endpointStats?: () => readonly EndpointStats[];
  /**
   * Milliseconds until an endpoint of the pool may be tried (0: one may be tried now, so the
   * Connback fails over at once); absent without `endpoints`.
   */
  declare readonly readyIn?: () => number | undefined;

  /**
   * A connector that checks its options now and opens nothing until the Connback's first attempt.
   * @param options where and how to connect (see {@link TcpConnectorOptions}).
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad option.
   */
  constructor(options: TcpConnectorOptions) {
    this.options = resolveTcpConnectorOptions(options);
    const o = this.options;
    if (o.endpoints === undefined) {
      this.pool = undefined;
      this.#endpoints = undefined;
      this.#target =
        o.path !== undefined ? { path: o.path } : { host: o.host, port: o.port as number };
      this.#name = this.#describe(this.#target);
    } else {
      const pool = new EndpointPool<TcpEndpoint>(o.endpoints, {
        policy: o.endpointPolicy,
        initialDelay: o.endpointDelay,
        describe: (e) => this.#describe(parseTcpEndpoint(e)),
      });
      this.pool = pool;
      this.#endpoints = new WeakMap();
      this.#target = undefined;
      this.#name = '';
      // Own properties set once; `declare` above keeps them off connectors without a pool.
      Object.assign(this, {
        endpointStats: () => pool.stats(),
        readyIn: () => pool.readyIn(),
      });
    }
  }

  /**
   * Resolves with the socket on `connect` (`secureConnect` for TLS) and, with `handshake`, once
   * the handshake resolved; rejects on `error` or a failed handshake. When the token fires, the
   * socket is destroyed and the attempt rejects with the token's reason. Nothing of the attempt
   * (listeners, token subscription) outlives it. Called by the Connback, once per attempt.
   * @param connback the Connback the connected socket's errors, closes and data are fed to.
   * @param token the attempt's token: fires on connect timeout, `end()` or `reconnect()`.
   * @returns the connected socket.
   */
  connect(connback: Connback<net.Socket>, token: AttemptToken): Promise<net.Socket> {
    if (token.isCancellationRequested) return Promise.reject(token.reason);
    const pool = this.pool;
    let endpoint: TcpEndpoint | undefined;
    let target: Target;
    try {
      if (pool === undefined) {
        target = this.#target as Target;
      } else {
        endpoint = pool.pick();
        target = parseTcpEndpoint(endpoint);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = this.#createSocket(target);
      if (trace.enabled) trace('connecting to %s', this.#describe(target));
      const ready = this.options.tls ? 'secureConnect' : 'connect';
      const attempt = Binder.for(socket);
      let unsubscribe = (): void => {};
      let settled = false;
      const settle = () => {
        settled = true;
        attempt.unbind();
        unsubscribe();
      };
      const fail = (error: unknown) => {
        settle();
        socket.destroy();
        if (endpoint !== undefined) pool?.failed(endpoint, error);
        reject(error);
      };
      const succeed = () => {
        if (trace.enabled) trace('connected to %s', this.#describe(target));
        settle();
        if (endpoint !== undefined) {
          pool?.connected(endpoint);
          this.#endpoints?.set(socket, pool?.describe(endpoint) ?? '');
        }
        bindFeeds(connback, socket);
        resolve(socket);
      };
      attempt
        .bind(ready, () => {
          const handshake = this.options.handshake;
          if (handshake === undefined) {
            succeed();
            return;
          }
          let result: unknown;
          try {
            result = handshake(socket, token);
          } catch (error) {
            fail(error ?? new Error('handshake failed'));
            return;
          }
          Promise.resolve(result).then(
            () => {
              if (!settled) succeed();
            },
            (error: unknown) => {
              if (!settled) fail(error ?? new Error('handshake failed'));
            },
          );
        })
        .bind('error', (error: Error) => fail(error))
        .bind('close', () => fail(new Error('socket closed before it connected')));
      unsubscribe = token.onCancellationRequested(() => fail(token.reason));
    });
  }

  /**
   * A bad endpoint (a function of endpoints that returned none) is not worth retrying.
   * @param error the error an attempt failed with.
   * @returns `false` for `CONNBACK_INVALID_OPTION`, `true` for everything else.
   */
  retryable(error: Error): boolean {
    return !isConnbackError(error, ErrorCode.InvalidOption);
  }

  /**
   * The endpoint `socket` is connected to, credentials redacted, for `onconnect` and `stats`.
   * @param socket a socket this connector connected.
   * @returns `tcp://host:port`, `tls://host:port` or `unix:/path`; `undefined` for a socket of a
   *   pool that this connector did not connect.
   */
  endpoint(socket: net.Socket): string | undefined {
    return this.pool === undefined ? this.#name : this.#endpoints?.get(socket);
  }

  /**
   * Destroys at once with `force`; otherwise ends the socket and destroys it after `closeTimeout`.
   * Resolves once the socket emitted `close` (what `await using` waits for).
   * @param socket the socket to close.
   * @param force destroy at once instead of ending gracefully.
   * @returns a promise of the socket's `close`, or `undefined` when it is closed already.
   */
  close(socket: net.Socket, force?: boolean): Promise<void> | undefined {
    if (socket.closed) return undefined;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (socket.destroyed) return closed;
    if (force === true || this.options.closeTimeout === 0) {
      socket.destroy();
      return closed;
    }
    socket.end();
    // Unref'd: the socket itself keeps the process alive while it closes; this only cuts it short.
    const deadline = setTimeout(() => socket.destroy(), this.options.closeTimeout);
    deadline.unref();
    return closed.then(() => clearTimeout(deadline));
  }

  /**
   * Writes the `ping` payload, if one is configured and the socket is writable.
   * @param socket the live socket.
   */
  ping(socket: net.Socket): void {
    const payload = this.options.ping;
    if (payload === undefined || !socket.writable) return;
    const data = typeof payload === 'function' ? payload(socket) : payload;
    if (data !== undefined) socket.write(data);
  }

  /** Where a target is, for traces and stats (a host may hold `user:password@` by mistake). */
  #describe(target: Target): string {
    if ('path' in target) return `unix:${target.path}`;
    // join() makes one flat string where a template would keep a rope of three per connector.
    const url = [this.options.tls ? 'tls' : 'tcp', '://', target.host, ':', target.port].join('');
    // Only an `@` in the host can carry a credential into host:port; a plain name is kept as
    // it is (redacting it would cost every connector a few strings of its own).
    return target.host.includes('@') ? redactUrl(url) : url;
  }

  #createSocket(target: Target): net.Socket {
    const o = this.options;
    const ipc = 'path' in target;
    const endpoint = ipc || !o.lookup ? target : { ...target, lookup: o.lookup };
    const socket = o.tls
      ? tls.connect({
          ...endpoint,
          ...(!ipc && net.isIP(target.host) === 0 ? { servername: target.host } : {}),
          ...o.tls,
        })
      : net.connect(endpoint);
    // Stays until the socket is gone: an RST after every other listener was removed must not
    // become an uncaught exception.
    socket.on('error', swallow);
    if (!ipc) {
      socket.setNoDelay(o.noDelay);
      if (o.keepAlive) socket.setKeepAlive(true, o.keepAliveInitialDelay);
    }
    if (o.timeout > 0) {
      socket.setTimeout(o.timeout, () => {
        const error = Object.assign(new Error(`socket idle for ${o.timeout} ms`), {
          code: 'ETIMEDOUT',
        });
        socket.destroy(error);
      });
    }
    return socket;
  }
}

import net from 'node:net';
import tls from 'node:tls';
import { type AttemptToken, type Connback, type Connector, redactUrl } from '@connback/core';
import createDebug from 'debug';
import eventBind from 'event-bind';
import {
  type ResolvedTcpConnectorOptions,
  resolveTcpConnectorOptions,
  type TcpConnectorOptions,
} from './options.js';

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
  readonly options: ResolvedTcpConnectorOptions;

  /** @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad option. */
  constructor(options: TcpConnectorOptions) {
    this.options = resolveTcpConnectorOptions(options);
  }

  /**
   * Resolves with the socket on `connect` (`secureConnect` for TLS), rejects on `error`. When the
   * token fires, the socket still connecting is destroyed and the attempt rejects with the
   * token's reason. Nothing of the attempt (listeners, token subscription) outlives it.
   */
  connect(connback: Connback<net.Socket>, token: AttemptToken): Promise<net.Socket> {
    if (token.isCancellationRequested) return Promise.reject(token.reason);
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = this.#createSocket();
      if (trace.enabled) trace('connecting to %s', this.#describe());
      const ready = this.options.tls ? 'secureConnect' : 'connect';
      const attempt = Binder.for(socket);
      let unsubscribe = (): void => {};
      const settle = () => {
        attempt.unbind();
        unsubscribe();
      };
      attempt
        .bind(ready, () => {
          if (trace.enabled) trace('connected to %s', this.#describe());
          settle();
          bindFeeds(connback, socket);
          resolve(socket);
        })
        .bind('error', (error: Error) => {
          settle();
          socket.destroy();
          reject(error);
        })
        .bind('close', () => {
          settle();
          reject(new Error('socket closed before it connected'));
        });
      unsubscribe = token.onCancellationRequested(() => {
        settle();
        socket.destroy();
        reject(token.reason);
      });
    });
  }

  /** Destroys at once with `force`; otherwise ends the socket and destroys it after `closeTimeout`. */
  close(socket: net.Socket, force?: boolean): void {
    if (socket.destroyed) return;
    if (force === true || this.options.closeTimeout === 0) {
      socket.destroy();
      return;
    }
    socket.end();
    // Unref'd: the socket itself keeps the process alive while it closes; this only cuts it short.
    const deadline = setTimeout(() => socket.destroy(), this.options.closeTimeout);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
  }

  /** Sends the `ping` payload, if one is configured. */
  ping(socket: net.Socket): void {
    const payload = this.options.ping;
    if (payload === undefined || !socket.writable) return;
    const data = typeof payload === 'function' ? payload(socket) : payload;
    if (data !== undefined) socket.write(data);
  }

  /** Where this connector connects, for traces (a host may hold `user:password@` by mistake). */
  #describe(): string {
    const o = this.options;
    return o.path !== undefined
      ? `unix:${o.path}`
      : redactUrl(`${o.tls ? 'tls' : 'tcp'}://${o.host}:${o.port}`);
  }

  #createSocket(): net.Socket {
    const o = this.options;
    const endpoint =
      o.path !== undefined
        ? { path: o.path }
        : { host: o.host, port: o.port as number, ...(o.lookup ? { lookup: o.lookup } : {}) };
    const socket = o.tls
      ? tls.connect({
          ...endpoint,
          ...(o.path === undefined && net.isIP(o.host) === 0 ? { servername: o.host } : {}),
          ...o.tls,
        })
      : net.connect(endpoint);
    // Stays until the socket is gone: an RST after every other listener was removed must not
    // become an uncaught exception.
    socket.on('error', swallow);
    if (o.path === undefined) {
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

import {
  type AttemptToken,
  type Connback,
  ConnbackError,
  type Connector,
  EndpointPool,
  type EndpointStats,
  ErrorCode,
  isConnbackError,
} from '@connback/core';
import createDebug from 'debug';
import { loadDefaultWebSocket } from '#ws-loader';
import { type CloseInfo, isNormalClose, WsCloseError } from './close.js';
import { describeType, isWsData, WS_DATA_TYPES } from './data.js';
import {
  checkUrl,
  type ResolvedWsConnectorOptions,
  resolveWsConnectorOptions,
  type WsConnectorOptions,
} from './options.js';
import { redactText, redactUrl } from './redact.js';
import { ReadyState, type WebSocketConstructor, type WebSocketLike } from './websocket-like.js';

/** `DEBUG=connback:ws`: attempts, opens and closes (URLs without their credentials). */
const trace = createDebug('connback:ws');

type Listener = Parameters<WebSocketLike['addEventListener']>[1];

/** The net.Socket beneath a `ws` WebSocket, as its 'upgrade' event gives it. */
interface Transport {
  on(event: 'data', listener: () => void): unknown;
  off(event: 'data', listener: () => void): unknown;
}

/**
 * `ws` throws an 'error' event nobody listens to; this keeps a socket being torn down quiet. It
 * stays on the socket for good: a closed socket emits nothing more, and it costs nothing.
 */
function swallow(): void {}

/**
 * The TCP transport each `ws` socket got at its upgrade, until the attempt settles. One listener
 * shared by every socket (Node calls it with the socket as `this`) instead of a closure each.
 */
const upgrades = new WeakMap<object, Transport>();

function noteUpgrade(this: object, response: { socket?: Transport } | undefined): void {
  const transport = response?.socket;
  if (transport !== undefined) upgrades.set(this, transport);
}

/** A close event as the WebSocket API gives it. */
interface CloseEventLike {
  readonly code?: unknown;
  readonly reason?: unknown;
  readonly wasClean?: unknown;
  readonly target?: unknown;
}

/**
 * What the feeds of an open `ws` socket need, in one record. The listeners of such sockets are
 * functions shared by all of them (a Node emitter calls a listener with itself as `this`, and
 * the upgrade listener already proved it of this socket), found by the socket and by its TCP
 * transport: a connection costs this record and two map entries instead of closures.
 */
interface SharedFeed {
  readonly connector: WsConnector;
  readonly connback: Connback<WebSocketLike>;
  readonly socket: WebSocketLike;
  readonly transport: Transport;
  readonly url: string;
  lastError: Error | undefined;
}

const sharedFeeds = new WeakMap<object, SharedFeed>();

/** Every chunk of the transport (a pong, a message or a part of one) is a heartbeat. */
function feedTransportData(this: Transport): void {
  const feed = sharedFeeds.get(this);
  feed?.connback.feedHeartbeat(feed.socket);
}

/** `ws`'s 'error' event gives the Error itself; the close that follows reports it. */
function noteSocketError(this: object, error: unknown): void {
  const feed = sharedFeeds.get(this);
  if (feed !== undefined) feed.lastError = errorOf({ error }, feed.url);
}

function unbindShared(feed: SharedFeed): void {
  const { socket, transport } = feed;
  sharedFeeds.delete(socket);
  sharedFeeds.delete(transport);
  releases.delete(socket);
  transport.off('data', feedTransportData);
  // The guard goes back for good (see connect()).
  socket.off?.('error', noteSocketError);
  socket.on?.('error', swallow);
  socket.removeEventListener('close', feedSharedClose);
}

/** The close event of a `ws` socket (the event, not the emit: it says whether it was clean). */
function feedSharedClose(this: unknown, event: CloseEventLike): void {
  const feed = sharedFeeds.get(this as object) ?? sharedFeeds.get(event?.target as object);
  if (feed === undefined) return;
  unbindShared(feed);
  feedCloseOf(feed.connector, feed.connback, feed.socket, event, feed.lastError);
}

/** How the last socket of each connector that had opened closed (see `lastClose`). */
const lastCloses = new WeakMap<WsConnector, CloseInfo>();

/**
 * Feeds `connback` the close of `socket`, one that had opened: a normal close that
 * `shouldReconnect` accepts, with no error before it, is a clean close; anything else an error
 * with its code.
 */
function feedCloseOf(
  connector: WsConnector,
  connback: Connback<WebSocketLike>,
  socket: WebSocketLike,
  event: CloseEventLike,
  lastError: Error | undefined,
): void {
  const close = closeInfoOf(event);
  lastCloses.set(connector, close);
  if (
    isNormalClose(close.code) &&
    lastError === undefined &&
    connector.options.shouldReconnect(close)
  ) {
    connback.feedClose(false, socket);
  } else {
    connback.feedError(new WsCloseError(close, lastError), socket);
  }
}

/**
 * The URL each open socket connected to, redacted; and for each open socket that cannot be
 * terminated, what removes the listeners its feeds added. Shared by every connector (a socket
 * belongs to one): a WeakMap and its table per connector would cost more than the entries.
 */
const endpointNames = new WeakMap<WebSocketLike, string>();
const releases = new WeakMap<object, () => void>();

/** The last URL a socket opened to, and its redacted name: many Connbacks share one URL. */
let lastUrl: string | undefined;
let lastName = '';

/** The redacted URL, computed once for the sockets of one URL (whichever connector made them). */
function nameOf(url: string): string {
  if (url !== lastUrl) {
    lastUrl = url;
    lastName = redactUrl(url);
  }
  return lastName;
}

/** Lets a socket paused at its open deliver again (a timer's argument: no closure per socket). */
function resume(socket: WebSocketLike): void {
  socket.resume?.();
}

/**
 * An Error from a WebSocket 'error' event (`ws` puts one in `event.error`; browsers give none,
 * and Node's global WebSocket an empty TypeError), with the URL's secrets hidden from its text.
 */
function errorOf(event: { error?: unknown; message?: unknown }, url: string): Error {
  if (event.error instanceof Error && event.error.message !== '') {
    return withoutSecrets(event.error, url);
  }
  const message = typeof event.message === 'string' && event.message !== '' ? event.message : '';
  return withoutSecrets(
    new Error(message || 'WebSocket error (the WebSocket class gave no detail)'),
    url,
  );
}

/** The texts of `url` that must not be printed: the URL itself and its password, as typed and decoded. */
function secretsOf(url: string): string[] {
  const secrets = [url];
  try {
    const { password } = new URL(url);
    if (password !== '') secrets.push(password, decodeURIComponent(password));
  } catch {
    // checkUrl accepted it, so it parses; nothing more to hide if it somehow does not.
  }
  return secrets;
}

/**
 * `error` itself when no message in its cause chain holds a secret of `url`; else a copy of the
 * chain with the URL redacted and the password replaced (a runtime's own error text may quote
 * the URL it was given), keeping each error's name and code.
 */
function withoutSecrets(error: Error, url: string, depth = 0): Error {
  const secrets = secretsOf(url);
  const leaks = (e: unknown, d: number): boolean =>
    e instanceof Error &&
    d < 8 &&
    (secrets.some((secret) => e.message.includes(secret)) || leaks(e.cause, d + 1));
  if (!leaks(error, depth)) return error;
  let text = error.message.split(url).join(redactUrl(url));
  for (const secret of secrets.slice(1)) text = text.split(secret).join('***');
  text = redactText(text);
  const cause =
    error.cause instanceof Error ? withoutSecrets(error.cause, url, depth + 1) : undefined;
  const copy = new Error(text, cause === undefined ? undefined : { cause });
  copy.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}

function closeInfoOf(event: { code?: unknown; reason?: unknown; wasClean?: unknown }): CloseInfo {
  return {
    code: typeof event.code === 'number' ? event.code : 1006,
    reason: typeof event.reason === 'string' ? event.reason : String(event.reason ?? ''),
    wasClean: event.wasClean === true,
  };
}

/** Resolves on the socket's next close event. */
function closeOf(socket: WebSocketLike): Promise<void> {
  return new Promise((resolve) => socket.addEventListener('close', () => resolve()));
}

/** Adds listeners and returns the function that removes them all (an attempt's, short-lived). */
function listen(socket: WebSocketLike, listeners: Record<string, Listener>): () => void {
  for (const [type, listener] of Object.entries(listeners)) socket.addEventListener(type, listener);
  return () => {
    for (const [type, listener] of Object.entries(listeners)) {
      socket.removeEventListener(type, listener);
    }
  };
}

/**
 * A `Connector` for WebSockets, in Node (`ws` by default, or any class passed, such as the global
 * one of Node 22+) and in browsers. Once open, messages and pongs are heartbeats and the close (with its code and reason)
 * reaches connback as a connection-scoped feed; `shouldReconnect` decides which closes are final.
 */
export class WsConnector implements Connector<WebSocketLike> {
  /** The options, checked, with defaults filled in (frozen). */
  readonly options: ResolvedWsConnectorOptions;
  #socketClass: WebSocketConstructor | undefined;
  /** The URLs and their counters, when `url` is a list. */
  readonly pool: EndpointPool<string | URL> | undefined;
  /** Counters per URL (attempts, failures, connections), when `url` is a list; absent without. */
  // `declare`: no field at all without a pool (an own `undefined` per connector otherwise).
  declare readonly endpointStats?: () => readonly EndpointStats[];
  /**
   * Milliseconds until a URL of the list may be tried (0: one may be tried now, so the Connback
   * fails over at once); absent when `url` is not a list.
   */
  declare readonly readyIn?: () => number | undefined;

  /**
   * A connector that checks its options now and opens nothing until the Connback's first attempt.
   * @param options where and how to connect (see {@link WsConnectorOptions}).
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad option.
   */
  constructor(options: WsConnectorOptions) {
    this.options = resolveWsConnectorOptions(options);
    const { url, urlPolicy, urlDelay } = this.options;
    if (Array.isArray(url)) {
      const pool = new EndpointPool<string | URL>(url as readonly (string | URL)[], {
        policy: urlPolicy,
        initialDelay: urlDelay,
        describe: (u) => redactUrl(u instanceof URL ? u.href : u),
        optionName: 'url',
      });
      this.pool = pool;
      this.endpointStats = () => pool.stats();
      this.readyIn = () => pool.readyIn();
    } else {
      this.pool = undefined;
    }
  }

  /**
   * The URL `socket` connected to, credentials redacted, for `onconnect` and `stats`.
   * @param socket a socket this connector opened.
   * @returns the redacted URL, or `undefined` for a socket that never opened.
   */
  endpoint(socket: WebSocketLike): string | undefined {
    return endpointNames.get(socket);
  }

  /** How the last socket that had opened closed; `undefined` before the first close. */
  get lastClose(): CloseInfo | undefined {
    return lastCloses.get(this);
  }

  /**
   * Resolves with the socket on `open`; rejects on `error`, or on `close` before open. When the
   * token fires, a socket still connecting is closed without an uncaught error. Called by the
   * Connback, once per attempt.
   * @param connback the Connback the open socket's messages, pongs and close are fed to.
   * @param token the attempt's token: fires on connect timeout, `end()` or `reconnect()`.
   * @returns the open socket.
   */
  async connect(connback: Connback<WebSocketLike>, token: AttemptToken): Promise<WebSocketLike> {
    if (token.isCancellationRequested) throw token.reason;
    const WebSocketClass = await this.#webSocketClass();
    const pool = this.pool;
    const picked = pool?.pick();
    const url = picked === undefined ? await this.#url() : checkUrl(picked);
    if (token.isCancellationRequested) throw token.reason;
    const { protocols, wsOptions } = this.options;
    if (trace.enabled) trace('connecting to %s', redactUrl(url));
    const socket = new WebSocketClass(url, protocols, wsOptions);
    // With `ws`: the TCP socket under the WebSocket (its 'upgrade' event gives it), whose every
    // chunk is a sign of life.
    if (typeof socket.on === 'function') {
      socket.on('error', swallow);
      socket.on('upgrade', noteUpgrade);
    }
    return new Promise<WebSocketLike>((resolve, reject) => {
      let unsubscribe = (): void => {};
      let settled = false;
      const settle = () => {
        settled = true;
        unlisten();
        unsubscribe();
        socket.off?.('upgrade', noteUpgrade);
      };
      const fail = (error: unknown, abort: boolean) => {
        settle();
        if (abort) this.#abort(socket);
        if (picked !== undefined) pool?.failed(picked, error);
        reject(error);
      };
      const succeed = () => {
        settle();
        if (picked !== undefined) pool?.connected(picked);
        endpointNames.set(socket, nameOf(url));
        const transport = upgrades.get(socket);
        upgrades.delete(socket);
        this.#bindFeeds(connback, socket, transport, url);
        // `ws` delivers a message that came with the handshake on the next tick, before
        // connback's onconnect: held until onconnect listeners could subscribe to messages.
        if (typeof socket.pause === 'function') {
          socket.pause();
          setTimeout(resume, 0, socket);
        }
        resolve(socket);
      };
      const unlisten = listen(socket, {
        open: () => {
          if (trace.enabled) trace('open: %s', redactUrl(url));
          const handshake = this.options.handshake;
          if (handshake === undefined) {
            succeed();
            return;
          }
          let result: unknown;
          try {
            result = handshake(socket, token);
          } catch (error) {
            fail(error ?? new Error('handshake failed'), true);
            return;
          }
          Promise.resolve(result).then(
            () => {
              if (!settled) succeed();
            },
            (error: unknown) => {
              if (!settled) fail(error ?? new Error('handshake failed'), true);
            },
          );
        },
        error: (event: { error?: unknown; message?: unknown }) => {
          fail(errorOf(event, url), true);
        },
        close: (event: { code?: unknown; reason?: unknown; wasClean?: unknown }) => {
          if (trace.enabled) trace('closed before it opened: code %s', event.code);
          fail(new WsCloseError(closeInfoOf(event)), false);
        },
      });
      unsubscribe = token.onCancellationRequested(() => fail(token.reason, true));
    });
  }

  /**
   * Terminates at once with `force` (`ws`); otherwise a 1000 close, terminated after
   * `closeTimeout`. A class without `terminate()` (browsers, Node's global WebSocket) cannot be
   * torn down: its socket is released instead after `closeTimeout` — our listeners removed, our
   * timer unref'd — so nothing of connback's keeps it, or the process, alive.
   * @param socket the socket to close.
   * @param force terminate at once instead of a 1000 close.
   * @returns a promise of the socket's close (or release), or `undefined` when it is closed already.
   */
  close(socket: WebSocketLike, force?: boolean): Promise<void> | undefined {
    if (socket.readyState === ReadyState.CLOSED) return undefined;
    if (force === true || socket.readyState === ReadyState.CONNECTING) {
      const terminates = typeof socket.terminate === 'function';
      // A terminated socket always gets its close event; one that is not may never.
      const closed = terminates ? closeOf(socket) : undefined;
      this.#abort(socket);
      return closed ?? this.#releaseLater(socket);
    }
    if (socket.readyState === ReadyState.OPEN) socket.close(1000);
    return this.#releaseLater(socket);
  }

  /**
   * Whether the keepalive can get an answer from this socket's peer: protocol pings (`ws`), or a
   * `pingMessage`. Otherwise (the global WebSocket without `pingMessage`) a healthy server that
   * sends nothing would be closed at every second keepalive, so connback runs no keepalive on it
   * unless `idleTimeout` asks for exactly that.
   * @param socket the live socket.
   */
  canPing(socket: WebSocketLike): boolean {
    const { pingFrames, pingMessage, idleTimeout } = this.options;
    if (pingFrames && typeof socket.ping === 'function') return true;
    return pingMessage !== undefined || idleTimeout;
  }

  /**
   * A protocol ping frame where the socket has one (`ws`), else the `pingMessage`, if any;
   * nothing unless the socket is open.
   * @param socket the live socket.
   * @throws TypeError when a `pingMessage` function returns something a WebSocket cannot send.
   */
  ping(socket: WebSocketLike): void {
    if (socket.readyState !== ReadyState.OPEN) return;
    if (this.options.pingFrames && typeof socket.ping === 'function') {
      socket.ping();
      return;
    }
    const message = this.options.pingMessage;
    if (message === undefined) return;
    const data = typeof message === 'function' ? message() : message;
    // A throw here is a failed heartbeat, reported by connback: say what the function gave.
    if (!isWsData(data)) {
      throw new TypeError(
        `connback/ws: the pingMessage function must return ${WS_DATA_TYPES} (got ${describeType(data)})`,
      );
    }
    socket.send(data);
  }

  /**
   * Final: a close `shouldReconnect` refuses, a URL function giving no ws:/wss: URL, and no
   * WebSocket class at all (configuration errors retrying cannot fix). Every other error may be
   * retried.
   * @param error the error an attempt or a connection failed with.
   */
  retryable(error: Error): boolean {
    if (isConnbackError(error, ErrorCode.InvalidOption)) return false;
    return !(error instanceof WsCloseError) || this.options.shouldReconnect(error.close);
  }

  /**
   * The class passed by the user, else `ws` in Node (protocol pings, `terminate()`, a handshake
   * timeout: Node's own global WebSocket has none of them), else the global one (browsers, and
   * bundles built with the `browser` condition, where the loader gives no `ws`).
   */
  async #webSocketClass(): Promise<WebSocketConstructor> {
    this.#socketClass ??=
      this.options.WebSocket ??
      (await loadDefaultWebSocket()) ??
      (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (this.#socketClass === undefined) {
      // Final (not retried): see retryable().
      throw new ConnbackError(
        ErrorCode.InvalidOption,
        'connback/ws: no WebSocket class: pass the WebSocket option or install ws',
      );
    }
    return this.#socketClass;
  }

  async #url(): Promise<string> {
    const { url } = this.options;
    return checkUrl(typeof url === 'function' ? await url() : url);
  }

  /**
   * After `closeTimeout`: terminate the socket if the class can, else let go of it. Resolves on
   * the close event, or when the socket was let go of.
   */
  #releaseLater(socket: WebSocketLike): Promise<void> {
    return new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        if (socket.readyState === ReadyState.CLOSED) return;
        if (typeof socket.terminate === 'function') {
          socket.terminate();
          return;
        }
        releases.get(socket)?.();
        resolve();
      }, this.options.closeTimeout);
      (deadline as { unref?: () => void }).unref?.();
      socket.addEventListener('close', () => {
        clearTimeout(deadline);
        resolve();
      });
    });
  }

  /** Closes a socket that may still be connecting, the quickest way the class offers. */
  #abort(socket: WebSocketLike): void {
    if (socket.readyState === ReadyState.CLOSED) return;
    if (typeof socket.terminate === 'function') socket.terminate();
    else socket.close();
  }

  /**
   * Messages and pongs are heartbeats. With `ws`, every chunk of the TCP socket beneath is one
   * instead (pongs and messages arrive as such chunks), so a large message arriving slowly keeps
   * the connection alive and no message or pong listener is needed; its listeners are shared
   * (see {@link SharedFeed}). The close is fed with its code, for this socket only.
   */
  #bindFeeds(
    connback: Connback<WebSocketLike>,
    socket: WebSocketLike,
    transport: Transport | undefined,
    url: string,
  ): void {
    if (transport !== undefined) {
      const feed: SharedFeed = {
        connector: this,
        connback,
        socket,
        transport,
        url,
        lastError: undefined,
      };
      sharedFeeds.set(socket, feed);
      sharedFeeds.set(transport, feed);
      transport.on('data', feedTransportData);
      // noteSocketError keeps the socket quiet as the guard did: one listener instead of two.
      socket.off?.('error', swallow);
      socket.on?.('error', noteSocketError);
      socket.addEventListener('close', feedSharedClose);
      if (typeof socket.terminate !== 'function') releases.set(socket, () => unbindShared(feed));
      return;
    }
    // Any other class (browsers, Node's global WebSocket, a wrapper): its listeners may be called
    // with any `this`, so each socket gets its own.
    let lastError: Error | undefined;
    const beat = () => connback.feedHeartbeat(socket);
    const onError = (event: { error?: unknown; message?: unknown }) => {
      lastError = errorOf(event, url);
    };
    const release = () => {
      releases.delete(socket);
      socket.removeEventListener('message', beat);
      socket.off?.('pong', beat);
      socket.removeEventListener('error', onError);
      socket.removeEventListener('close', onClose);
    };
    const onClose = (event: CloseEventLike) => {
      release();
      feedCloseOf(this, connback, socket, event, lastError);
    };
    socket.addEventListener('message', beat);
    socket.on?.('pong', beat);
    socket.addEventListener('error', onError);
    socket.addEventListener('close', onClose);
    // Only a socket that cannot be terminated may need letting go of (see close()).
    if (typeof socket.terminate !== 'function') releases.set(socket, release);
  }
}

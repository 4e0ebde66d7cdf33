import {
  ConnbackError,
  type EndpointPolicy,
  ErrorCode,
  type Handshake,
  parseConnectionUrl,
  redactText,
} from '@connback/core';
import { type CloseInfo, defaultShouldReconnect } from './close.js';
import { describeType, isWsData, WS_DATA_TYPES } from './data.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';

/**
 * What a socket can send: a string, an ArrayBuffer or SharedArrayBuffer, an ArrayBufferView (a
 * typed array, a DataView, a Buffer) or a Blob.
 */
export type WsData = string | ArrayBufferLike | ArrayBufferView | Blob;

/**
 * The URL, a list of URLs (an endpoint pool, DESIGN.md semantic 20), or a function giving the URL
 * for each attempt (to put a fresh token in it).
 */
export type WsUrl =
  | string
  | URL
  | readonly (string | URL)[]
  | (() => string | URL | PromiseLike<string | URL>);

/** Options of {@link WsConnector}. */
export interface WsConnectorOptions {
  /**
   * Where to connect: a `ws:`/`wss:` URL; a non-empty list of them, all `ws:` or all `wss:` (a pool
   * never downgrades to plain text), one picked per attempt by `urlPolicy`, an endpoint that
   * failed waiting its own delay (`urlDelay`) before it is picked again; or a (possibly async)
   * function called per attempt.
   */
  url: WsUrl;
  /**
   * How an attempt picks among a list of URLs: `'in-order'` (the first one whenever it is not
   * waiting its delay; a live connection is never dropped to go back to it), `'round-robin'`, or
   * `'random'` (shuffled once).
   * @default 'in-order'
   */
  urlPolicy?: EndpointPolicy | undefined;
  /**
   * Milliseconds a URL of a list waits after its first failed attempt before it is picked again;
   * it doubles with each further failure, up to 30 s.
   * @default 1000
   */
  urlDelay?: number | undefined;
  /**
   * Runs on each socket once it opened and before the attempt resolves, within `connectTimeout`,
   * with the attempt's token (graphql-ws `connection_init` / `connection_ack`, an auth message).
   * Messages that arrive until its promise settles go to the handshake's own listeners, not to
   * connback's heartbeat or to listeners added at `onconnect` (a server should speak after the
   * ack only when asked, as graphql-ws does). A throw or rejection fails the attempt.
   */
  handshake?: Handshake<WebSocketLike> | undefined;
  /**
   * Subprotocols to offer (`Sec-WebSocket-Protocol`); the server's choice is the socket's
   * `protocol`.
   */
  protocols?: string | string[] | undefined;
  /**
   * The WebSocket class to use. Default: in Node the `ws` package (protocol pings, `terminate()`,
   * a handshake timeout), also on Node 22+ where a global WebSocket exists; in browsers (and
   * bundles built with the `browser` condition, which leave `ws` out) `globalThis.WebSocket`.
   * @default `ws` in Node, `globalThis.WebSocket` in browsers
   */
  WebSocket?: WebSocketConstructor | undefined;
  /**
   * Third constructor argument, for `ws` in Node: `headers`, `handshakeTimeout`, TLS options
   * (`ca`, `rejectUnauthorized`...), `perMessageDeflate`... Other classes get it as their third
   * argument too (the browser's ignores it).
   */
  wsOptions?: object | undefined;
  /**
   * Send protocol ping frames when the socket can (`ws`); their pong is a heartbeat.
   * @default true
   */
  pingFrames?: boolean | undefined;
  /**
   * An application-level ping message, sent on the keepalive schedule where protocol pings are not
   * available (browsers, Node's global WebSocket) or `pingFrames` is false; the server must answer
   * it (any message counts). Without it such a socket cannot be pinged, and connback runs no
   * keepalive on it (see `idleTimeout`). A function is called at each ping; what it returns must
   * be a {@link WsData}, or the ping fails with a `TypeError` that `onerror` reports.
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` at construction when it is neither a
   *   {@link WsData} nor a function.
   */
  pingMessage?: WsData | (() => WsData) | undefined;
  /**
   * For a socket that cannot be pinged (no ping frames, no `pingMessage`): treat `keepalive` as an
   * idle timeout, closing the connection when the server has sent nothing for between one and two
   * keepalive periods. Only for servers known to send regularly: a healthy quiet server would be
   * closed too, which is why it is off by default. No effect on sockets that can be pinged.
   * @default false
   */
  idleTimeout?: boolean | undefined;
  /**
   * Decides, for a socket that closed after it opened, whether to reconnect. Returning false stops
   * the Connback: state `failed`, `onfail` with a {@link WsCloseError}.
   * @default reconnect unless the code is in FATAL_CLOSE_CODES (1002, 1003, 1007-1010, 4400, 4401, 4403, 4404)
   */
  shouldReconnect?: ((close: CloseInfo) => boolean) | undefined;
  /**
   * Milliseconds a graceful close waits for the server's close frame before terminating: from 0
   * to 2147483647 (2³¹−1, the longest timer).
   * @default 2000
   */
  closeTimeout?: number | undefined;
}

/**
 * The connector options with defaults filled in and checked (frozen): what `WsConnector.options`
 * holds. Each member means what it means in {@link WsConnectorOptions}.
 */
export interface ResolvedWsConnectorOptions {
  /** The URL, the list of URLs, or the function giving one per attempt, as given. */
  readonly url: WsUrl;
  /** The subprotocols to offer, or `undefined` for none. */
  readonly protocols: string | string[] | undefined;
  /** The class given, or `undefined` for the default (`ws` in Node, the global in browsers). */
  readonly WebSocket: WebSocketConstructor | undefined;
  /** The constructor's third argument, or `undefined`. */
  readonly wsOptions: object | undefined;
  /** Whether protocol ping frames are sent where the socket has them (default `true`). */
  readonly pingFrames: boolean;
  /** The application-level ping message, or `undefined`. */
  readonly pingMessage: WsData | (() => WsData) | undefined;
  /** Whether `keepalive` is an idle timeout on sockets that cannot be pinged (default `false`). */
  readonly idleTimeout: boolean;
  /** The function deciding whether to reconnect after a close ({@link defaultShouldReconnect}). */
  readonly shouldReconnect: (close: CloseInfo) => boolean;
  /** Milliseconds a graceful close waits for the server's close frame (default 2000). */
  readonly closeTimeout: number;
  /** How an attempt picks among a list of URLs (default `'in-order'`). */
  readonly urlPolicy: EndpointPolicy;
  /** Milliseconds a failed URL of a list first waits before it is picked again (default 1000). */
  readonly urlDelay: number;
  /** The handshake run on each opened socket, or `undefined`. */
  readonly handshake: Handshake<WebSocketLike> | undefined;
}

/** The names of {@link WsConnectorOptions}, to split merged options. */
export const WS_CONNECTOR_OPTION_NAMES: readonly (keyof WsConnectorOptions)[] = [
  'url',
  'protocols',
  'WebSocket',
  'wsOptions',
  'pingFrames',
  'pingMessage',
  'idleTimeout',
  'shouldReconnect',
  'closeTimeout',
  'urlPolicy',
  'urlDelay',
  'handshake',
];

/** Node turns a longer timer into 1 ms: longer durations are refused. */
const MAX_TIMER_MS = 2_147_483_647;

/** `shown` says what was given; by default the value itself. */
function invalid(name: string, expected: string, got: unknown, shown?: string): ConnbackError {
  // A value is echoed to say what was wrong, never a credential it may hold.
  const text = shown ?? redactText(typeof got === 'string' ? JSON.stringify(got) : String(got));
  return new ConnbackError(
    ErrorCode.InvalidOption,
    `connback/ws: option "${name}" must be ${expected} (got ${text})`,
  );
}

/** How the accepted URLs are listed in messages. */
const EXPECTED_URLS = 'ws://host[:port]/path, wss://host[:port]/path';

/**
 * Checks a URL given as a value (a function's result is checked per attempt), with core's
 * `parseConnectionUrl`: each mistake said plainly (scheme, host, port). The message never shows
 * the URL, not even redacted: a URL may carry a secret in a parameter not named like one.
 */
export function checkUrl(url: unknown): string {
  const text = url instanceof URL ? url.href : url;
  if (typeof text !== 'string') {
    throw new ConnbackError(
      ErrorCode.InvalidOption,
      `connback/ws: option "url" must be a ws:// or wss:// URL, or a function returning one (got ${text === null ? 'null' : `a ${typeof url}`})`,
    );
  }
  try {
    parseConnectionUrl(text, { schemes: ['ws', 'wss'], expected: EXPECTED_URLS, echo: false });
  } catch (error) {
    throw new ConnbackError(
      ErrorCode.InvalidOption,
      `connback/ws: option "url" must be a ws:// or wss:// URL: ${(error as Error).message}`,
    );
  }
  return text;
}

/** A list of URLs: non-empty, each one valid, all `ws:` or all `wss:`. */
function checkUrls(urls: readonly unknown[]): void {
  if (urls.length === 0) {
    throw invalid('url', 'a URL or a non-empty list of URLs', 'an empty list', 'an empty list');
  }
  const schemes = new Set(urls.map((url) => new URL(checkUrl(url)).protocol));
  if (schemes.size > 1) {
    throw invalid(
      'url',
      'a list of URLs of one scheme (ws: or wss:, not both)',
      '',
      'ws: and wss:',
    );
  }
}

/**
 * Fills in the defaults and validates the connector options.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming the option.
 */
export function resolveWsConnectorOptions(options: WsConnectorOptions): ResolvedWsConnectorOptions {
  if (typeof options !== 'object' || options === null)
    throw invalid('options', 'an object', options);
  const o = options;
  if (Array.isArray(o.url)) checkUrls(o.url);
  else if (typeof o.url !== 'function') checkUrl(o.url);
  if (o.handshake !== undefined && typeof o.handshake !== 'function') {
    throw invalid('handshake', 'a function of the socket and the token', o.handshake);
  }
  const urlDelay = o.urlDelay ?? 1000;
  if (
    typeof urlDelay !== 'number' ||
    !Number.isFinite(urlDelay) ||
    urlDelay < 0 ||
    urlDelay > MAX_TIMER_MS
  ) {
    throw invalid('urlDelay', `a number of milliseconds from 0 to ${MAX_TIMER_MS}`, urlDelay);
  }
  const protocols = o.protocols;
  if (
    protocols !== undefined &&
    typeof protocols !== 'string' &&
    !(Array.isArray(protocols) && protocols.every((p) => typeof p === 'string'))
  ) {
    throw invalid('protocols', 'a string or an array of strings', protocols);
  }
  if (o.WebSocket !== undefined && typeof o.WebSocket !== 'function') {
    throw invalid('WebSocket', 'a WebSocket class', o.WebSocket);
  }
  if (o.wsOptions !== undefined && (typeof o.wsOptions !== 'object' || o.wsOptions === null)) {
    throw invalid('wsOptions', 'an object', o.wsOptions);
  }
  if (o.pingFrames !== undefined && typeof o.pingFrames !== 'boolean') {
    throw invalid('pingFrames', 'a boolean', o.pingFrames);
  }
  if (o.idleTimeout !== undefined && typeof o.idleTimeout !== 'boolean') {
    throw invalid('idleTimeout', 'a boolean', o.idleTimeout);
  }
  if (o.shouldReconnect !== undefined && typeof o.shouldReconnect !== 'function') {
    throw invalid('shouldReconnect', 'a function of the close info', o.shouldReconnect);
  }
  const pingMessage = o.pingMessage;
  if (pingMessage !== undefined && typeof pingMessage !== 'function' && !isWsData(pingMessage)) {
    throw invalid(
      'pingMessage',
      `${WS_DATA_TYPES}, or a function returning one`,
      pingMessage,
      describeType(pingMessage),
    );
  }
  const closeTimeout = o.closeTimeout ?? 2000;
  if (
    typeof closeTimeout !== 'number' ||
    !Number.isFinite(closeTimeout) ||
    closeTimeout < 0 ||
    closeTimeout > MAX_TIMER_MS
  ) {
    throw invalid(
      'closeTimeout',
      `a number of milliseconds from 0 to ${MAX_TIMER_MS}`,
      closeTimeout,
    );
  }
  return Object.freeze({
    url: o.url,
    protocols,
    WebSocket: o.WebSocket,
    wsOptions: o.wsOptions,
    pingFrames: o.pingFrames ?? true,
    pingMessage,
    idleTimeout: o.idleTimeout ?? false,
    shouldReconnect: o.shouldReconnect ?? defaultShouldReconnect,
    closeTimeout,
    urlPolicy: o.urlPolicy ?? 'in-order',
    urlDelay,
    handshake: o.handshake,
  });
}

import {
  asyncDisposeSymbol,
  type Connback,
  disposeSymbol,
  ErrorCode,
  isConnbackError,
} from '@connback/core';
import { type CloseInfo, WsCloseError } from './close.js';
import type { WsData, WsUrl } from './options.js';
import { ReadyState, type WebSocketLike } from './websocket-like.js';
import { createWsConnback, type WsConnback, type WsConnbackOptions } from './ws-connback.js';

/** A message from the server, as the browser's `MessageEvent` carries it (`data`). */
export class WsMessageEvent extends Event {
  /** The message: a string for text; for binary, what the socket's `binaryType` gives. */
  readonly data: unknown;
  /** The origin of the socket's URL, as the browser's MessageEvent has it. */
  readonly origin: string;

  /**
   * @param data the message.
   * @param origin the origin of the socket's URL.
   */
  constructor(data: unknown, origin: string) {
    super('message');
    this.data = data;
    this.origin = origin;
  }
}

/** A connection closed, as the browser's `CloseEvent` carries it (`code`, `reason`, `wasClean`). */
export class WsCloseEvent extends Event implements CloseInfo {
  /** The close code (1006 when the connection dropped without a close frame). */
  readonly code: number;
  /** The close frame's reason; `''` without one. */
  readonly reason: string;
  /** True when the closing handshake completed. */
  readonly wasClean: boolean;

  /** @param close how the connection closed. */
  constructor(close: CloseInfo) {
    super('close');
    this.code = close.code;
    this.reason = close.reason;
    this.wasClean = close.wasClean;
  }
}

/** An error of the connection or of an attempt; `error` is what connback reported. */
export class WsErrorEvent extends Event {
  /** connback's error: `ECONNREFUSED`, `CONNBACK_KEEPALIVE_TIMEOUT`, a {@link WsCloseError}... */
  readonly error: Error;
  /** `error.message`. */
  readonly message: string;

  /** @param error the error connback reported (through `onerror`). */
  constructor(error: Error) {
    super('error');
    this.error = error;
    this.message = error.message;
  }
}

/**
 * What an `on…` property of {@link ReconnectingWebSocket} holds: a listener called with the event
 * (`this` is the socket), or `null` for none.
 */
export type Handler<E extends Event> = ((event: E) => unknown) | null;

/** The events that have an `on…` property. */
type HandledType = 'open' | 'message' | 'close' | 'error';

function closeInfoOf(event: { code?: unknown; reason?: unknown; wasClean?: unknown }): CloseInfo {
  return {
    code: typeof event.code === 'number' ? event.code : 1006,
    reason: typeof event.reason === 'string' ? event.reason : '',
    wasClean: event.wasClean === true,
  };
}

function originOf(url: string | undefined): string {
  try {
    return url === undefined ? '' : new URL(url).origin;
  } catch {
    return '';
  }
}

/**
 * Options of {@link ReconnectingWebSocket}: those of `createWsConnback` (connector, Connback and
 * send queue). `protocols` may also be given as the constructor's second argument.
 */
export type ReconnectingWebSocketOptions = WsConnbackOptions;

/**
 * A WebSocket that reconnects: the browser WebSocket's surface — `onopen`/`onmessage`/`onclose`/
 * `onerror` and `addEventListener` listeners, `send`, `readyState`, `bufferedAmount`,
 * `binaryType`, `url`, `protocol`, `extensions`, `close(code, reason)` — over a Connback. Its
 * listeners belong to it, not to a socket, so they keep working across reconnects: each
 * connection gives one `open`, its messages, and one `close`; a failed attempt or a lost
 * connection gives an `error` with connback's error. `send()` while the connection is down
 * queues (bounded, sent in order on the next connection). `reconnect()` and `connback` reach the
 * lifecycle beneath.
 */
export class ReconnectingWebSocket extends EventTarget {
  /** 0, the `readyState` while connecting or waiting to retry (as `WebSocket.CONNECTING`). */
  static readonly CONNECTING = ReadyState.CONNECTING;
  /** 1, the `readyState` while connected (as `WebSocket.OPEN`). */
  static readonly OPEN = ReadyState.OPEN;
  /** 2, the `readyState` while a close runs (as `WebSocket.CLOSING`). */
  static readonly CLOSING = ReadyState.CLOSING;
  /** 3, the `readyState` once closed for good (as `WebSocket.CLOSED`). */
  static readonly CLOSED = ReadyState.CLOSED;
  /** 0, as the static `CONNECTING`. */
  readonly CONNECTING = ReadyState.CONNECTING;
  /** 1, as the static `OPEN`. */
  readonly OPEN = ReadyState.OPEN;
  /** 2, as the static `CLOSING`. */
  readonly CLOSING = ReadyState.CLOSING;
  /** 3, as the static `CLOSED`. */
  readonly CLOSED = ReadyState.CLOSED;

  /** The WsConnback beneath, a Connback with the send queue: `drained()`, `state`, `ready()`... */
  readonly ws: WsConnback;
  readonly #url: string;
  #binaryType: string | undefined;
  /** The socket of the connection that is (or was last) open, until its close event. */
  #socket: WebSocketLike | undefined;
  /** `close()` was called: CLOSING until the last socket's close event, then CLOSED. */
  #closeRequested = false;
  #lastClosed = true;
  /** `reconnect(code, reason)` waits for this socket's closing handshake; what stops the wait. */
  #handshake: { readonly socket: WebSocketLike; readonly stop: () => void } | undefined;
  /** The `on…` properties set, made at the first one (most sockets only use addEventListener). */
  #handlers: Map<HandledType, { handler: Handler<Event>; listener: EventListener }> | undefined;

  /**
   * @param url As `createWsConnback`'s: a `ws:`/`wss:` URL, or a function giving one per attempt.
   * @param protocols Subprotocols to offer (or the options, as the second argument).
   * @param options Options of `createWsConnback` (when `protocols` is not already them).
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad option.
   */
  constructor(
    url: WsUrl,
    protocols?: string | string[] | ReconnectingWebSocketOptions,
    options: ReconnectingWebSocketOptions = {},
  ) {
    super();
    // null, as plain JavaScript may pass it for "no subprotocols", is not the options object.
    const merged =
      typeof protocols === 'object' && protocols !== null && !Array.isArray(protocols)
        ? { ...protocols }
        : { ...options, ...(protocols == null ? {} : { protocols }) };
    this.ws = createWsConnback(url, merged);
    this.#url = typeof url === 'function' ? '' : String(url);
    this.ws.onconnect((socket) => this.#opened(socket));
    this.ws.onerror((error) => {
      // The close reconnect(code, reason) asked for is no error: neither a lost connection
      // (however short it was) nor a close with an unusual code (the server echoes ours).
      const asked =
        isConnbackError(error, ErrorCode.ConnectionLost) || error instanceof WsCloseError;
      if (this.#handshake !== undefined && asked) return;
      this.dispatchEvent(new WsErrorEvent(error));
    });
  }

  /** The Connback beneath (state, stats, events, `end()`, `ready()`): the same object as `ws`. */
  get connback(): Connback<WebSocketLike> {
    return this.ws;
  }

  /**
   * CONNECTING while connecting or waiting to retry; OPEN while connected; CLOSING from `close()`
   * or `reconnect()` until that connection's close event; CLOSED after `close()`'s, once attempts
   * ran out, before the first attempt of a `lazyConnect` socket, and after a cancelled
   * `connback.reconnect(token)`.
   */
  get readyState(): number {
    const state = this.ws.state;
    if (this.#closeRequested || state === 'ending' || state === 'ended') {
      return this.#lastClosed ? ReadyState.CLOSED : ReadyState.CLOSING;
    }
    if (state === 'failed') return ReadyState.CLOSED;
    if (state === 'idle') {
      // Eager, the first attempt starts a microtask after the constructor: it is connecting.
      // Lazy and not started, or stopped by a cancelled reconnect: nothing is.
      const starting = !this.ws.options.lazyConnect && this.ws.stats.attempts === 0;
      return starting ? ReadyState.CONNECTING : ReadyState.CLOSED;
    }
    if (state === 'connected') {
      return this.#socket?.readyState === ReadyState.CLOSING ? ReadyState.CLOSING : ReadyState.OPEN;
    }
    return this.#lastClosed ? ReadyState.CONNECTING : ReadyState.CLOSING;
  }

  /** Bytes the live socket holds plus the bytes queued while down or backed up. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount + this.ws.queued.bytes;
  }

  /** The URL of the live socket, else the one given (empty for a URL function before it ran). */
  get url(): string {
    return this.#socket?.url ?? this.#url;
  }

  /** The subprotocol the server chose for the live socket; `''` without one. */
  get protocol(): string {
    return this.#socket?.protocol ?? '';
  }

  /** The extensions the server chose for the live socket; `''` without one. */
  get extensions(): string {
    return (this.#socket as { extensions?: string } | undefined)?.extensions ?? '';
  }

  /**
   * How binary messages arrive (`'blob'`, `'arraybuffer'`; `ws` also has `'nodebuffer'`). Set on
   * the live socket and on every later one. Before it is set, the live socket's class default
   * holds (`'blob'` in browsers, `'nodebuffer'` with `ws`), and `'blob'` before the first socket.
   */
  get binaryType(): string {
    return (
      this.#binaryType ??
      (this.#socket as { binaryType?: string } | undefined)?.binaryType ??
      'blob'
    );
  }

  /**
   * Sets how binary messages arrive, on the live socket and every later one.
   * @param value `'blob'`, `'arraybuffer'`, or another the socket's class accepts.
   */
  set binaryType(value: string) {
    this.#binaryType = value;
    if (this.#socket !== undefined) (this.#socket as { binaryType?: string }).binaryType = value;
  }

  /** The `open` listener: called once per connection, when it opened; `null` for none. */
  get onopen(): Handler<Event> {
    return this.#handler('open');
  }
  /**
   * Sets the `open` listener, in place of the last one set.
   * @param handler the listener, or `null` to remove it.
   */
  set onopen(handler: Handler<Event>) {
    this.#setHandler('open', handler);
  }
  /** The `message` listener: called for each message of every connection; `null` for none. */
  get onmessage(): Handler<WsMessageEvent> {
    return this.#handler('message') as Handler<WsMessageEvent>;
  }
  /**
   * Sets the `message` listener, in place of the last one set.
   * @param handler the listener, or `null` to remove it.
   */
  set onmessage(handler: Handler<WsMessageEvent>) {
    this.#setHandler('message', handler as Handler<Event>);
  }
  /** The `close` listener: called once per connection, when it closed; `null` for none. */
  get onclose(): Handler<WsCloseEvent> {
    return this.#handler('close') as Handler<WsCloseEvent>;
  }
  /**
   * Sets the `close` listener, in place of the last one set.
   * @param handler the listener, or `null` to remove it.
   */
  set onclose(handler: Handler<WsCloseEvent>) {
    this.#setHandler('close', handler as Handler<Event>);
  }
  /** The `error` listener: called for a failed attempt or a lost connection; `null` for none. */
  get onerror(): Handler<WsErrorEvent> {
    return this.#handler('error') as Handler<WsErrorEvent>;
  }
  /**
   * Sets the `error` listener, in place of the last one set.
   * @param handler the listener, or `null` to remove it.
   */
  set onerror(handler: Handler<WsErrorEvent>) {
    this.#setHandler('error', handler as Handler<Event>);
  }

  /**
   * Sends now when connected, else queues (see `WsConnback#send`).
   * @param data a string, an ArrayBuffer, a SharedArrayBuffer, an ArrayBufferView or a Blob.
   * @throws TypeError for data a WebSocket cannot send; WsSendQueueError when the queue is full;
   *   a DOMException `InvalidStateError` after `close()`, as a browser's WebSocket.
   */
  send(data: WsData): void {
    if (this.#closeRequested) {
      // As a browser's WebSocket does after close().
      throw new DOMException(
        'send() after close(): the socket is closing or closed',
        'InvalidStateError',
      );
    }
    this.ws.send(data);
  }

  /**
   * Closes for good: the live connection with `code` and `reason` (a close frame the server
   * sees), and no reconnection after it. `reconnect()` starts again.
   * @param code 1000, or 3000-4999 (the codes a browser lets a page send).
   * @param reason At most 123 bytes of UTF-8.
   * @throws RangeError for another code or a longer reason.
   */
  close(code = 1000, reason = ''): void {
    checkClose(code, reason);
    this.#closeRequested = true;
    this.#handshake?.stop();
    const socket = this.#socket;
    if (socket !== undefined && socket.readyState === ReadyState.OPEN) socket.close(code, reason);
    this.ws.end();
  }

  /**
   * Connects again at once; after `close()` or a failure, starts a fresh episode. With `code`
   * (and `reason`), the live connection is first closed with them, and the new attempt starts
   * once the server answered the close (so the close event carries its code and reason, as a
   * WebSocket's does), or after the connector's `closeTimeout` at most.
   * @param code 1000, or 3000-4999, for the close frame of the live connection.
   * @param reason At most 123 bytes of UTF-8.
   * @throws RangeError for a code or reason `close()` refuses.
   */
  reconnect(code?: number, reason?: string): void {
    if (code !== undefined) checkClose(code, reason ?? '');
    this.#closeRequested = false;
    this.#handshake?.stop();
    const socket = this.#socket;
    if (
      code !== undefined &&
      socket !== undefined &&
      socket === this.ws.client &&
      socket.readyState === ReadyState.OPEN
    ) {
      socket.close(code, reason);
      this.#reconnectAfterClose(socket);
      return;
    }
    this.#reconnectNow();
  }

  #reconnectNow(): void {
    this.ws.reconnect().catch(() => {
      // Failures reach the error listeners through onerror; nobody awaits this promise.
    });
  }

  /**
   * Reconnects once `socket`'s closing handshake is over. connback sees that close first (its
   * listener on the socket is older) and reconnects at once after a stable connection; else it
   * waits a backoff delay, which this cuts short. A server that does not answer within
   * `closeTimeout` is not waited for: `reconnect()` terminates the socket.
   */
  #reconnectAfterClose(socket: WebSocketLike): void {
    const finish = (now: boolean) => {
      clearTimeout(timer);
      socket.removeEventListener('close', closed);
      if (this.#handshake?.socket === socket) this.#handshake = undefined;
      if (!now) return;
      const state = this.ws.state;
      if (state !== 'connecting' && state !== 'connected') this.#reconnectNow();
    };
    const closed = () => finish(true);
    const timer = setTimeout(() => {
      finish(false);
      if (this.ws.client === socket) this.#reconnectNow();
      else finish(true);
    }, this.ws.connector.options.closeTimeout);
    // The open socket keeps the process alive; this timer alone never should.
    (timer as { unref?: () => void }).unref?.();
    socket.addEventListener('close', closed);
    this.#handshake = { socket, stop: () => finish(false) };
  }

  #opened(socket: WebSocketLike): void {
    this.#socket = socket;
    this.#lastClosed = false;
    if (this.#binaryType !== undefined)
      (socket as { binaryType?: string }).binaryType = this.#binaryType;
    const origin = originOf(socket.url);
    const onMessage = (event: { data?: unknown }) => {
      this.dispatchEvent(new WsMessageEvent(event.data, origin));
    };
    const onClose = (event: { code?: unknown; reason?: unknown; wasClean?: unknown }) => {
      socket.removeEventListener('message', onMessage);
      socket.removeEventListener('close', onClose);
      if (this.#socket === socket) this.#lastClosed = true;
      this.dispatchEvent(new WsCloseEvent(closeInfoOf(event)));
    };
    socket.addEventListener('message', onMessage);
    socket.addEventListener('close', onClose);
    this.dispatchEvent(new Event('open'));
  }

  #handler(type: HandledType): Handler<Event> {
    return this.#handlers?.get(type)?.handler ?? null;
  }

  /** An `on…` property is one listener among the others, replaced when the property is set. */
  #setHandler(type: HandledType, handler: Handler<Event>): void {
    const previous = this.#handlers?.get(type);
    if (previous !== undefined) this.removeEventListener(type, previous.listener);
    this.#handlers?.delete(type);
    if (typeof handler !== 'function') return;
    const listener: EventListener = (event) => {
      handler.call(this, event);
    };
    this.#handlers ??= new Map();
    this.#handlers.set(type, { handler, listener });
    this.addEventListener(type, listener);
  }

  /**
   * `await using socket = new ReconnectingWebSocket(…)`: closes (as `close()`) and resolves after
   * the last close event, once the Connback's sockets are closed (see `Connback`'s). Safe to call
   * twice.
   */
  async [asyncDisposeSymbol](): Promise<void> {
    if (this.readyState !== ReadyState.CLOSED) {
      const closed = new Promise<void>((resolve) => {
        if (this.#lastClosed) resolve();
        else this.addEventListener('close', () => resolve(), { once: true });
      });
      this.close();
      await closed;
    }
    await this.ws[asyncDisposeSymbol]();
  }

  /** `using socket = new ReconnectingWebSocket(…)`: closes (as `close()`) without waiting. */
  [disposeSymbol](): void {
    this.close();
  }
}

const encoder = new TextEncoder();

function checkClose(code: number, reason: string): void {
  if (!(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
    throw new RangeError(`close code must be 1000 or from 3000 to 4999 (got ${String(code)})`);
  }
  if (encoder.encode(reason).byteLength > 123) {
    throw new RangeError('close reason must be at most 123 bytes of UTF-8');
  }
}

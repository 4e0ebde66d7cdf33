import {
  type Cancellable,
  Connback,
  ConnbackError,
  type ConnbackOptions,
  DEFAULT_OPTIONS,
  ErrorCode,
  isCancelled,
} from '@connback/core';
import { WsConnector } from './connector.js';
import { describeType, isWsData, sizeOfData, unshared, WS_DATA_TYPES } from './data.js';
import { browserEnvironment, inBrowser } from './environment.js';
import { wsConnbackArguments } from './factory-arguments.js';
import {
  WS_CONNECTOR_OPTION_NAMES,
  type WsConnectorOptions,
  type WsData,
  type WsUrl,
} from './options.js';
import { ReadyState, type WebSocketLike } from './websocket-like.js';

/** Bounds of the send queue and of what a live socket is given. */
export interface SendQueueOptions {
  /**
   * The most messages `send()` queues (while the connection is down, or while the socket holds
   * more than `maxBufferedBytes`). A whole number ≥ 1.
   * @default 1000
   */
  maxQueuedMessages?: number | undefined;
  /**
   * The most bytes (UTF-8 for strings) `send()` queues. A whole number ≥ 1.
   * @default 1048576
   */
  maxQueuedBytes?: number | undefined;
  /**
   * The high-water mark of the live socket, in bytes of its `bufferedAmount` (handed to it and
   * not yet sent). At or past it `send()` queues instead of handing the message to the socket,
   * and the queue goes out as the socket catches up; so a server that stops reading holds at most
   * this plus one message in the socket, and the queue's bounds behind it. A whole number ≥ 1.
   * @default 1048576
   */
  maxBufferedBytes?: number | undefined;
}

/**
 * Options of {@link createWsConnback}: the connector's (but `url`), connback's, and the queue's.
 * `url` goes first (`createWsConnback(url, options)`), or in one object with them
 * (`createWsConnback({ url, ...options })`).
 */
export type WsConnbackOptions = Omit<WsConnectorOptions, 'url'> &
  ConnbackOptions &
  SendQueueOptions;

/** The names of {@link SendQueueOptions}, to split merged options. */
const QUEUE_OPTION_NAMES: readonly string[] = [
  'maxQueuedMessages',
  'maxQueuedBytes',
  'maxBufferedBytes',
];

/** `send()` would have queued more than `maxQueuedMessages` or `maxQueuedBytes`. */
export class WsSendQueueError extends Error {
  /** Always `'WsSendQueueError'`. */
  override readonly name = 'WsSendQueueError';
  /** Always `'CONNBACK_WS_QUEUE_FULL'`. */
  readonly code = 'CONNBACK_WS_QUEUE_FULL';
  /** Messages and bytes already queued when the send was refused. */
  readonly queued: {
    /** Messages waiting in the queue. */
    readonly messages: number;
    /** Bytes waiting in the queue (UTF-8 for strings). */
    readonly bytes: number;
  };

  /**
   * @param message says how much waits and which limit the message would pass.
   * @param queued what waited in the queue when the send was refused.
   */
  constructor(message: string, queued: { messages: number; bytes: number }) {
    super(message);
    this.queued = queued;
  }
}

/** The first wait between two looks at `bufferedAmount`, and the longest (ms). */
const DRAIN_POLL_MIN_MS = 10;
const DRAIN_POLL_MAX_MS = 100;

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConnbackError(
      ErrorCode.InvalidOption,
      `connback/ws: option "${name}" must be a whole number >= 1 (got ${String(value)})`,
    );
  }
  return value;
}

function bufferedAmountOf(socket: WebSocketLike): number {
  const amount = socket.bufferedAmount;
  return typeof amount === 'number' && amount > 0 ? amount : 0;
}

/** Subscribes to a token or a signal; returns the unsubscribe function. */
function onCancelled(cancellable: Cancellable, callback: () => void): () => void {
  if ('aborted' in cancellable) {
    cancellable.addEventListener('abort', callback, { once: true });
    return () => cancellable.removeEventListener('abort', callback);
  }
  return cancellable.onCancellationRequested(callback);
}

interface QueuedMessage {
  readonly data: WsData;
  readonly size: number;
}

/** The queue of every WsConnback that never queued: one array instead of one each. */
const NO_MESSAGES: QueuedMessage[] = [];

interface DrainWaiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  unsubscribe: () => void;
}

/**
 * A `Connback<WebSocketLike>` with a bounded send queue and back-pressure: its events, getters
 * and methods are the Connback's (`onconnect`, `state`, `ready()`...). `send()` hands the
 * message to the socket when it is open, nothing waits before it and the socket holds less than
 * `maxBufferedBytes`; otherwise the message is queued, and queued messages go out in order, before
 * anything sent later: on the next connection, or as a slow socket catches up. Nothing is dropped
 * silently: a full queue makes `send()` throw, and `end()` keeps the queue (see `takeQueued()`).
 * `drained()` says when to send again.
 */
export class WsConnback extends Connback<WebSocketLike> {
  /** The connector beneath: its `options`, `lastClose`, and the URL pool's counters. */
  readonly connector: WsConnector;
  /** Shared and empty until the first message is queued (only ever read while empty). */
  #queue: QueuedMessage[] = NO_MESSAGES;
  #queuedBytes = 0;
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #maxBuffered: number;
  /** Callers of `drained()` still waiting; made on the first one. */
  #waiters: Set<DrainWaiter> | undefined;
  /** The timer that watches a live socket's `bufferedAmount` fall, only while something waits. */
  #poll: ReturnType<typeof setTimeout> | undefined;
  #pollDelay = DRAIN_POLL_MIN_MS;
  /** Removes the listeners of the Connback's events, while something is queued or waits. */
  #unlisten: (() => void) | undefined;

  /**
   * A Connback over `connector` with a send queue; `createWsConnback` builds one from options.
   * In a browser, without an `environment` option, it uses {@link browserEnvironment}.
   * @param connector the WebSocket connector.
   * @param options connback's options and the queue's bounds.
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad option.
   */
  constructor(connector: WsConnector, options: ConnbackOptions & SendQueueOptions = {}) {
    const { maxQueuedMessages, maxQueuedBytes, maxBufferedBytes, ...connbackOptions } = options;
    const maxMessages = positiveInteger('maxQueuedMessages', maxQueuedMessages, 1000);
    const maxBytes = positiveInteger('maxQueuedBytes', maxQueuedBytes, 1_048_576);
    const maxBuffered = positiveInteger('maxBufferedBytes', maxBufferedBytes, 1_048_576);
    if (connbackOptions.environment === undefined && inBrowser()) {
      connbackOptions.environment = browserEnvironment();
    }
    // The first attempt starts after this constructor returns (a microtask later).
    super(connector, connbackOptions);
    this.#maxMessages = maxMessages;
    this.#maxBytes = maxBytes;
    this.#maxBuffered = maxBuffered;
    this.connector = connector;
  }

  /**
   * Listens to the Connback while messages are queued or `drained()` callers wait, and only
   * then: a connection with nothing held back costs no listener (10,000 idle ones in a process).
   * The change to `connected` is announced before every `onconnect` listener runs, so the queue
   * still goes out before anything those listeners send.
   */
  #listen(): void {
    if (this.#unlisten !== undefined) return;
    const offState = this.onstatechange(({ from, to }) => {
      if (to === 'connected') {
        const socket = this.client;
        if (socket !== undefined) this.#pump(socket);
      } else if (from === 'connected') {
        this.#stopPolling();
        // What the socket held went with it: with nothing queued, nothing is held back any more.
        if (this.#isDrained()) this.#resolveWaiters();
      }
      if (to === 'ended') {
        this.#stopPolling();
        this.#rejectWaiters(new ConnbackError(ErrorCode.Ended));
      }
      this.#quiet();
    });
    const offFail = this.onfail((_lastError, reason) => {
      this.#rejectWaiters(reason);
      this.#quiet();
    });
    this.#unlisten = () => {
      offState();
      offFail();
    };
  }

  /** Stops listening once nothing is queued, nobody waits and no poll is armed. */
  #quiet(): void {
    const unlisten = this.#unlisten;
    if (unlisten === undefined || this.#queue.length > 0 || this.#poll !== undefined) return;
    if ((this.#waiters?.size ?? 0) > 0) return;
    this.#unlisten = undefined;
    unlisten();
  }

  /**
   * The WsConnback itself, which is the Connback: `ws.connback.onconnect(…)` is `ws.onconnect(…)`.
   * @deprecated Use the WsConnback directly; kept for code written when the Connback was a field.
   */
  get connback(): this {
    return this;
  }

  /** Messages and bytes waiting in the queue now. */
  get queued(): {
    /** Messages waiting in the queue. */
    readonly messages: number;
    /** Bytes waiting in the queue (UTF-8 for strings). */
    readonly bytes: number;
  } {
    return { messages: this.#queue.length, bytes: this.#queuedBytes };
  }

  /** The live socket's `bufferedAmount`: bytes handed to it and not yet sent; 0 without one. */
  get bufferedAmount(): number {
    const socket = this.client;
    return socket === undefined ? 0 : bufferedAmountOf(socket);
  }

  /**
   * Sends now when the socket is open, nothing is queued and the socket holds less than
   * `maxBufferedBytes`; else queues. Messages handed to a socket that then drops may be lost (at
   * most once); queued ones are sent exactly once.
   * @param data a string, an ArrayBuffer, a SharedArrayBuffer (copied), an ArrayBufferView or a
   *   Blob.
   * @returns `'sent'` (handed to the socket) or `'queued'`: then, to keep memory bounded, a
   *   producer that can wait should `await drained()` before sending more.
   * @throws TypeError when `data` is not a string, an ArrayBuffer, a SharedArrayBuffer, an
   *   ArrayBufferView or a Blob; nothing is queued.
   * @throws WsSendQueueError when the queue is full; the message is not queued.
   */
  send(data: WsData): 'sent' | 'queued' {
    if (!isWsData(data)) {
      throw new TypeError(`connback/ws: send() takes ${WS_DATA_TYPES}, not ${describeType(data)}`);
    }
    const socket = this.#openSocket();
    if (
      socket !== undefined &&
      this.#queue.length === 0 &&
      bufferedAmountOf(socket) < this.#maxBuffered
    ) {
      socket.send(unshared(data));
      return 'sent';
    }
    const size = sizeOfData(data) as number;
    if (this.#queue.length + 1 > this.#maxMessages || this.#queuedBytes + size > this.#maxBytes) {
      const queued = this.queued;
      throw new WsSendQueueError(
        `send queue full: ${queued.messages} messages (${queued.bytes} bytes) wait; a message of ` +
          `${size} bytes would pass maxQueuedMessages ${this.#maxMessages} or maxQueuedBytes ` +
          `${this.#maxBytes}`,
        queued,
      );
    }
    if (this.#queue === NO_MESSAGES) this.#queue = [];
    this.#queue.push({ data: unshared(data), size });
    this.#queuedBytes += size;
    this.#listen();
    // Connected but backed up: the queue goes out as the socket catches up.
    if (socket !== undefined) this.#watch(socket);
    return 'queued';
  }

  /**
   * Resolves once nothing is held back: the queue is empty and the live socket, if there is one,
   * holds less than `maxBufferedBytes` (so `send()` would return `'sent'`, or queue without
   * waiting behind anything while the connection is down). At once when that is already so.
   * @param token a `CancellationToken` or an `AbortSignal` that stops the wait.
   * @throws (rejects) ConnbackError `CONNBACK_CANCELLED` when `token` fires, `CONNBACK_ENDED` on
   *   `end()` (or when already ended with messages queued), and the failure reason of `onfail`.
   */
  drained(token?: Cancellable): Promise<void> {
    if (token !== undefined && isCancelled(token)) {
      return Promise.reject(new ConnbackError(ErrorCode.Cancelled));
    }
    if (this.#isDrained()) return Promise.resolve();
    const state = this.state;
    if (state === 'ended') return Promise.reject(new ConnbackError(ErrorCode.Ended));
    if (state === 'failed') {
      // A failed Connback's ready() rejects with the reason onfail gave (unless a reconnect()
      // came first: then look again).
      return this.ready().then(() => this.drained(token));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: DrainWaiter = { resolve, reject, unsubscribe: () => {} };
      this.#waiters ??= new Set();
      this.#waiters.add(waiter);
      this.#listen();
      if (token !== undefined) {
        waiter.unsubscribe = onCancelled(token, () => {
          this.#waiters?.delete(waiter);
          this.#quiet();
          reject(new ConnbackError(ErrorCode.Cancelled));
        });
      }
      const socket = this.#openSocket();
      if (socket !== undefined) this.#watch(socket);
    });
  }

  /**
   * Removes and returns the queued messages, oldest first (for instance after `end()`, to keep
   * them elsewhere).
   * @returns the messages as `send()` took them (a SharedArrayBuffer as its copy).
   */
  takeQueued(): WsData[] {
    const messages = this.#queue.splice(0, this.#queue.length).map((entry) => entry.data);
    this.#queuedBytes = 0;
    if (this.#isDrained()) this.#resolveWaiters();
    this.#quiet();
    return messages;
  }

  /**
   * Ends the Connback (see `Connback#end`); queued messages stay queued, for a later
   * `reconnect()` or for `takeQueued()`.
   * @param force terminate the socket at once instead of a 1000 close.
   * @returns this WsConnback.
   */
  override end(force = false): this {
    return super.end(force);
  }

  #openSocket(): WebSocketLike | undefined {
    const socket = this.client;
    return socket !== undefined && socket.readyState === ReadyState.OPEN ? socket : undefined;
  }

  #isDrained(): boolean {
    if (this.#queue.length > 0) return false;
    const socket = this.#openSocket();
    return socket === undefined || bufferedAmountOf(socket) < this.#maxBuffered;
  }

  /**
   * Hands queued messages to `socket` while it holds less than `maxBufferedBytes`, then watches
   * it if more waits. A socket whose `send()` throws while open is broken: that message is
   * dropped (it could block the queue for good) and the error drops the connection through
   * `feedError`, so `onerror` reports it and the rest of the queue waits for the next one.
   */
  #pump(socket: WebSocketLike): void {
    while (
      this.#queue.length > 0 &&
      socket.readyState === ReadyState.OPEN &&
      bufferedAmountOf(socket) < this.#maxBuffered
    ) {
      const next = this.#queue.shift() as QueuedMessage;
      this.#queuedBytes -= next.size;
      try {
        socket.send(next.data);
      } catch (error) {
        this.feedError(error instanceof Error ? error : new Error(String(error)), socket);
        return;
      }
    }
    if (this.#isDrained()) this.#resolveWaiters();
    else this.#watch(socket);
  }

  /**
   * Looks at `bufferedAmount` again after a while, while messages are queued or someone waits in
   * `drained()`: the WebSocket API has no event for it falling. The wait grows while the socket
   * does not move (a server that stopped reading costs a few wake-ups a second) and is short
   * again once it does.
   */
  #watch(socket: WebSocketLike): void {
    if (this.#poll !== undefined) return;
    if (this.#queue.length === 0 && (this.#waiters?.size ?? 0) === 0) return;
    const before = bufferedAmountOf(socket);
    const timer = setTimeout(() => {
      this.#poll = undefined;
      if (this.client !== socket || socket.readyState !== ReadyState.OPEN) {
        this.#quiet();
        return;
      }
      const after = bufferedAmountOf(socket);
      this.#pollDelay =
        after < before ? DRAIN_POLL_MIN_MS : Math.min(this.#pollDelay * 2, DRAIN_POLL_MAX_MS);
      this.#pump(socket);
      this.#quiet();
    }, this.#pollDelay);
    // The socket keeps the process alive while it is open; this timer alone never should.
    (timer as { unref?: () => void }).unref?.();
    this.#poll = timer;
  }

  #stopPolling(): void {
    if (this.#poll === undefined) return;
    clearTimeout(this.#poll);
    this.#poll = undefined;
    this.#pollDelay = DRAIN_POLL_MIN_MS;
  }

  #resolveWaiters(): void {
    const waiters = this.#waiters;
    if (waiters === undefined || waiters.size === 0) return;
    this.#waiters = undefined;
    for (const waiter of waiters) {
      waiter.unsubscribe();
      waiter.resolve();
    }
  }

  #rejectWaiters(error: unknown): void {
    const waiters = this.#waiters;
    if (waiters === undefined || waiters.size === 0) return;
    this.#waiters = undefined;
    for (const waiter of waiters) {
      waiter.unsubscribe();
      waiter.reject(error);
    }
  }
}

/**
 * A Connback over a WebSocket with a send queue, in one call, in the same forms as
 * `createTcpConnback`: `createWsConnback('wss://example.org/feed', { keepalive: 30 })`, or
 * `createWsConnback({ url: 'wss://example.org/feed', keepalive: 30 })`.
 * @param url a `ws:`/`wss:` URL, a list of URLs of one scheme (an endpoint pool), or a function
 *   giving the URL for each attempt.
 * @param options the connector's options (but `url`), connback's, and the queue's bounds.
 * @returns a WsConnback that starts connecting at once (unless `lazyConnect`).
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad or unknown option, or saying what
 *   is wrong with the URL (which it never shows).
 */
export function createWsConnback(url: WsUrl, options?: WsConnbackOptions): WsConnback;
/**
 * A Connback over a WebSocket with a send queue, from one options object with the URL in it:
 * `createWsConnback({ url: 'wss://example.org/feed', keepalive: 30 })`.
 * @param options the connector's options (with `url`), connback's, and the queue's bounds.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad or unknown option, a missing
 *   `url`, or saying what is wrong with the URL (which it never shows).
 */
export function createWsConnback(options: WsConnbackOptions & { url: WsUrl }): WsConnback;
export function createWsConnback(
  first: WsUrl | (WsConnbackOptions & { url: WsUrl }),
  second?: WsConnbackOptions,
): WsConnback {
  const { url, options } = wsConnbackArguments(first, second);
  const connector: Record<string, unknown> = { url };
  const rest: Record<string, unknown> = {};
  const connectorNames: readonly string[] = WS_CONNECTOR_OPTION_NAMES;
  const queueNames = QUEUE_OPTION_NAMES;
  for (const [key, value] of Object.entries(options)) {
    if (connectorNames.includes(key)) connector[key] = value;
    else if (queueNames.includes(key) || key in DEFAULT_OPTIONS) rest[key] = value;
    else {
      const known = [...connectorNames, ...queueNames, ...Object.keys(DEFAULT_OPTIONS)].join(', ');
      throw new ConnbackError(
        ErrorCode.InvalidOption,
        `connback/ws: unknown option "${key}" (known: ${known})`,
      );
    }
  }
  return new WsConnback(new WsConnector(connector as unknown as WsConnectorOptions), rest);
}

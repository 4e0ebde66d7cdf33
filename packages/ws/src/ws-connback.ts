import {
  Connback,
  ConnbackError,
  type ConnbackOptions,
  DEFAULT_OPTIONS,
  ErrorCode,
} from '@connback/core';
import { WsConnector } from './connector.js';
import {
  WS_CONNECTOR_OPTION_NAMES,
  type WsConnectorOptions,
  type WsData,
  type WsUrl,
} from './options.js';
import { ReadyState, type WebSocketLike } from './websocket-like.js';

/** Bounds of the send queue. */
export interface SendQueueOptions {
  /**
   * The most messages `send()` queues while the connection is down.
   * @default 1000
   */
  maxQueuedMessages?: number | undefined;
  /**
   * The most bytes (UTF-8 for strings) `send()` queues while the connection is down.
   * @default 1048576
   */
  maxQueuedBytes?: number | undefined;
}

/** Options of {@link createWsConnback}: the connector's (but `url`), connback's, and the queue's. */
export type WsConnbackOptions = Omit<WsConnectorOptions, 'url'> &
  ConnbackOptions &
  SendQueueOptions;

/** `send()` would have queued more than `maxQueuedMessages` or `maxQueuedBytes`. */
export class WsSendQueueError extends Error {
  override readonly name = 'WsSendQueueError';
  readonly code = 'CONNBACK_WS_QUEUE_FULL';
  /** Messages and bytes already queued when the send was refused. */
  readonly queued: { readonly messages: number; readonly bytes: number };

  constructor(message: string, queued: { messages: number; bytes: number }) {
    super(message);
    this.queued = queued;
  }
}

const encoder = new TextEncoder();

function sizeOf(data: WsData): number {
  if (typeof data === 'string') return encoder.encode(data).byteLength;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data.size;
  return (data as ArrayBufferLike | ArrayBufferView).byteLength;
}

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

/**
 * A Connback over a WebSocket with a bounded send queue. `send()` sends at once when the socket
 * is open; while it is down messages are queued, and on the next connection they are sent in
 * order before anything sent later. Nothing is dropped silently: a full queue makes `send()`
 * throw, and `end()` keeps the queue (see `takeQueued()`).
 */
export class WsConnback {
  readonly connback: Connback<WebSocketLike>;
  readonly connector: WsConnector;
  readonly #queue: { data: WsData; size: number }[] = [];
  #queuedBytes = 0;
  readonly #maxMessages: number;
  readonly #maxBytes: number;

  constructor(connector: WsConnector, options: ConnbackOptions & SendQueueOptions = {}) {
    const { maxQueuedMessages, maxQueuedBytes, ...connbackOptions } = options;
    this.#maxMessages = positiveInteger('maxQueuedMessages', maxQueuedMessages, 1000);
    this.#maxBytes = positiveInteger('maxQueuedBytes', maxQueuedBytes, 1_048_576);
    this.connector = connector;
    this.connback = new Connback(connector, connbackOptions);
    // Subscribed before anyone else: the queue is flushed before other onconnect listeners run.
    this.connback.onconnect((socket) => this.#flush(socket));
  }

  /** Messages and bytes waiting for a connection. */
  get queued(): { readonly messages: number; readonly bytes: number } {
    return { messages: this.#queue.length, bytes: this.#queuedBytes };
  }

  /**
   * Sends now when the socket is open and nothing waits before it, else queues. Messages handed
   * to a socket that then drops may be lost (at most once); queued ones are sent exactly once.
   * @returns `'sent'` or `'queued'`.
   * @throws WsSendQueueError when the queue is full.
   */
  send(data: WsData): 'sent' | 'queued' {
    const socket = this.connback.client;
    if (socket !== undefined && socket.readyState === ReadyState.OPEN && this.#queue.length === 0) {
      socket.send(data);
      return 'sent';
    }
    const size = sizeOf(data);
    if (this.#queue.length + 1 > this.#maxMessages || this.#queuedBytes + size > this.#maxBytes) {
      const queued = this.queued;
      throw new WsSendQueueError(
        `send queue full: ${queued.messages} messages (${queued.bytes} bytes) wait; a message of ` +
          `${size} bytes would pass maxQueuedMessages ${this.#maxMessages} or maxQueuedBytes ` +
          `${this.#maxBytes}`,
        queued,
      );
    }
    this.#queue.push({ data, size });
    this.#queuedBytes += size;
    return 'queued';
  }

  /** Removes and returns the queued messages (for instance after `end()`, to keep them). */
  takeQueued(): WsData[] {
    const messages = this.#queue.splice(0, this.#queue.length).map((entry) => entry.data);
    this.#queuedBytes = 0;
    return messages;
  }

  /** Ends the Connback (see `Connback#end`); queued messages stay queued. */
  end(force = false): this {
    this.connback.end(force);
    return this;
  }

  #flush(socket: WebSocketLike): void {
    while (this.#queue.length > 0 && socket.readyState === ReadyState.OPEN) {
      const next = this.#queue[0] as { data: WsData; size: number };
      socket.send(next.data);
      this.#queue.shift();
      this.#queuedBytes -= next.size;
    }
  }
}

/**
 * A Connback over a WebSocket with a send queue, in one call:
 * `createWsConnback('wss://example.org/feed', { keepalive: 30 })`.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad or unknown option.
 */
export function createWsConnback(url: WsUrl, options: WsConnbackOptions = {}): WsConnback {
  if (typeof options !== 'object' || options === null) {
    throw new ConnbackError(
      ErrorCode.InvalidOption,
      `connback/ws: the options of createWsConnback must be an object (got ${String(options)})`,
    );
  }
  const connector: Record<string, unknown> = { url };
  const rest: Record<string, unknown> = {};
  const connectorNames: readonly string[] = WS_CONNECTOR_OPTION_NAMES;
  const queueNames = ['maxQueuedMessages', 'maxQueuedBytes'];
  for (const [key, value] of Object.entries(options)) {
    if (key === 'url') {
      throw new ConnbackError(
        ErrorCode.InvalidOption,
        'connback/ws: give the url as the first argument',
      );
    }
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

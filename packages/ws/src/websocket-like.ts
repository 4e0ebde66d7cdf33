/** The part of a WebSocket connback uses: the browser API, which `ws` implements too. */
export interface WebSocketLike {
  /** One of the {@link ReadyState} values: 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The URL the socket connects to. */
  readonly url?: string;
  /** The subprotocol the server chose; `''` without one. */
  readonly protocol?: string;
  /** Bytes handed to `send()` and not yet sent (every WebSocket API has it; optional for fakes). */
  readonly bufferedAmount?: number;
  /**
   * Sends one message.
   * @param data a string (sent as text) or bytes (sent as binary).
   * @throws whatever the class throws for a socket that is not open (the browser's: an
   *   `InvalidStateError` while connecting).
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void;
  /**
   * Starts the closing handshake.
   * @param code the close code to send (1000, or 3000 to 4999).
   * @param reason the close reason to send, at most 123 bytes of UTF-8.
   */
  close(code?: number, reason?: string): void;
  /**
   * Adds a listener of `open`, `message`, `error` or `close`.
   * @param type the event's name.
   * @param listener called with the event.
   */
  // biome-ignore lint/suspicious/noExplicitAny: each implementation types its events its own way
  addEventListener(type: string, listener: (event: any) => void): void;
  /**
   * Removes a listener added with `addEventListener`.
   * @param type the event's name.
   * @param listener the same function that was added.
   */
  // biome-ignore lint/suspicious/noExplicitAny: as above
  removeEventListener(type: string, listener: (event: any) => void): void;
  /**
   * `ws` only: sends a protocol ping frame; the server's pong is a heartbeat.
   * @param data the ping's payload (connback sends none).
   */
  ping?(data?: unknown): void;
  /** `ws` only: destroys the socket at once. */
  terminate?(): void;
  /** `ws` only: stops delivering events (used to hold the first messages until `onconnect`). */
  pause?(): void;
  /** `ws` only: delivers events again after `pause()`. */
  resume?(): void;
  /**
   * `ws` only: adds a Node event emitter listener (for `pong`, `upgrade` and `error`).
   * @param event the event's name.
   * @param listener called with the event's arguments.
   */
  on?(event: string, listener: (...args: never[]) => void): unknown;
  /**
   * `ws` only: removes a listener added with `on`.
   * @param event the event's name.
   * @param listener the same function that was added.
   */
  off?(event: string, listener: (...args: never[]) => void): unknown;
}

/** A WebSocket class: the browser's, `ws`'s, or any compatible one. */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  // biome-ignore lint/suspicious/noExplicitAny: each class types its options its own way (ws: ClientOptions)
  options?: any,
) => WebSocketLike;

/** The readyState values of the WebSocket API. */
export const ReadyState = {
  /** 0: the socket is connecting (the opening handshake runs). */
  CONNECTING: 0,
  /** 1: the socket is open and can send. */
  OPEN: 1,
  /** 2: the closing handshake runs. */
  CLOSING: 2,
  /** 3: the socket is closed, or never opened. */
  CLOSED: 3,
} as const;

/** The part of a WebSocket connback uses: the browser API, which `ws` implements too. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly url?: string;
  readonly protocol?: string;
  /** Bytes handed to `send()` and not yet sent (every WebSocket API has it; optional for fakes). */
  readonly bufferedAmount?: number;
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void;
  close(code?: number, reason?: string): void;
  // biome-ignore lint/suspicious/noExplicitAny: each implementation types its events its own way
  addEventListener(type: string, listener: (event: any) => void): void;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  removeEventListener(type: string, listener: (event: any) => void): void;
  /** `ws` only: sends a protocol ping frame. */
  ping?(data?: unknown): void;
  /** `ws` only: destroys the socket at once. */
  terminate?(): void;
  /** `ws` only: stops and restarts delivering events (used to hold the first messages). */
  pause?(): void;
  resume?(): void;
  /** `ws` only: Node event emitter methods, for the `pong` event. */
  on?(event: string, listener: (...args: never[]) => void): unknown;
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
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

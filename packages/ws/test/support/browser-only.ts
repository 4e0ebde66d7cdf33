import { WebSocket as WsWebSocket } from 'ws';
import type { WebSocketLike, WsData } from '../../src/index.js';

/**
 * A WebSocket with only the browser API (no `ping()`, `terminate()`, `on()`/`off()`, so no pong
 * event), over a ws socket; records every socket it constructs.
 */
export function browserOnlyClass() {
  const made: WebSocketLike[] = [];
  class BrowserOnlyWebSocket implements WebSocketLike {
    readonly #inner: WsWebSocket;
    constructor(url: string, protocols?: string | string[]) {
      this.#inner = new WsWebSocket(url, protocols);
      // A browser's WebSocket never throws for an 'error' event nobody listens to.
      this.#inner.on('error', () => {});
      made.push(this);
    }
    get readyState(): number {
      return this.#inner.readyState;
    }
    get url(): string {
      return this.#inner.url;
    }
    get protocol(): string {
      return this.#inner.protocol;
    }
    send(data: WsData): void {
      this.#inner.send(data as Parameters<WsWebSocket['send']>[0]);
    }
    close(code?: number, reason?: string): void {
      this.#inner.close(code, reason);
    }
    addEventListener(type: string, listener: (event: unknown) => void): void {
      (this.#inner as WebSocketLike).addEventListener(type, listener);
    }
    removeEventListener(type: string, listener: (event: unknown) => void): void {
      (this.#inner as WebSocketLike).removeEventListener(type, listener);
    }
  }
  return { BrowserOnlyWebSocket, made };
}

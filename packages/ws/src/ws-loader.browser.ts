import type { WebSocketConstructor } from './websocket-like.js';

/** In browsers there is no fallback: `globalThis.WebSocket` is the constructor. */
export async function loadFallbackWebSocket(): Promise<WebSocketConstructor | undefined> {
  return undefined;
}

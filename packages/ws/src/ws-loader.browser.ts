import type { WebSocketConstructor } from './websocket-like.js';

/** In browsers there is no default of ours: `globalThis.WebSocket` is the class. */
export async function loadDefaultWebSocket(): Promise<WebSocketConstructor | undefined> {
  return undefined;
}

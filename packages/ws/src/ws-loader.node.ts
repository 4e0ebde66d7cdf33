import type { WebSocketConstructor } from './websocket-like.js';

/** In Node, the `ws` package, loaded only when no other constructor is available. */
export async function loadFallbackWebSocket(): Promise<WebSocketConstructor | undefined> {
  const module = await import('ws');
  return module.WebSocket as unknown as WebSocketConstructor;
}

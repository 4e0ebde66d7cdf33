import type { WebSocketConstructor } from './websocket-like.js';

/**
 * In Node, the `ws` package is the default class: it has protocol ping frames, `terminate()` and
 * a handshake timeout, which Node's global WebSocket (undici) lacks. Loaded on first use only.
 */
export async function loadDefaultWebSocket(): Promise<WebSocketConstructor | undefined> {
  try {
    const module = await import('ws');
    return module.WebSocket as unknown as WebSocketConstructor;
  } catch {
    // A bundle that left `ws` out: the global WebSocket is what there is.
    return undefined;
  }
}

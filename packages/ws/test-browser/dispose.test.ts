import { asyncDisposeSymbol } from '@connback/core';
import { expect, inject, it } from 'vitest';
import { createWsConnback, type WebSocketLike } from '../src/index.js';

it('in Chromium: the keys are the browser’s own symbols, and await using closes the browser WebSocket before the block exits', async () => {
  expect(asyncDisposeSymbol).toBe(Symbol.asyncDispose);
  let socket: WebSocketLike | undefined;
  const seen: string[] = [];
  {
    await using ws = createWsConnback(`ws://127.0.0.1:${inject('wsPort')}/hello`, {
      keepalive: 0,
      jitter: 'none',
    });
    const status = ws.status();
    socket = await ws.ready();
    for await (const event of status) {
      seen.push(event.type);
      if (event.type === 'connect') break;
    }
  }
  expect(seen).toEqual(['state', 'state', 'connect']);
  // No terminate() in a browser: the close handshake finished (or the socket was let go of).
  expect(socket.readyState).toBe(3);
});

import { expect, inject, it } from 'vitest';
import { createWsConnback, type WebSocketLike } from '../src/index.js';

/** Resolves with the next message the socket receives. */
function nextMessage(socket: WebSocketLike): Promise<string> {
  return new Promise((resolve) => {
    const onMessage = (event: MessageEvent) => {
      socket.removeEventListener('message', onMessage);
      resolve(String(event.data));
    };
    socket.addEventListener('message', onMessage);
  });
}

it('in Chromium, the connector uses the browser WebSocket, survives a server-side drop and reconnects', async () => {
  expect(typeof navigator).toBe('object');
  const ws = createWsConnback(`ws://127.0.0.1:${inject('wsPort')}/`, {
    keepalive: 1,
    pingMessage: 'ping',
    initialDelay: 50,
    maxDelay: 200,
    jitter: 'none',
    minUptime: 0,
  });
  const connects: boolean[] = [];
  ws.connback.onconnect((_, info) => connects.push(info.reconnect));
  try {
    const first = await ws.connback.ready();
    expect(first).toBeInstanceOf(WebSocket);
    const who = nextMessage(first);
    expect(ws.send('who')).toBe('sent');
    expect(await who).toMatch(/^connection \d+$/);

    // The server drops us without a close frame; the next connection must carry the queue first.
    const dropped = new Promise<void>((resolve) => {
      const unsubscribe = ws.connback.onclose(() => {
        unsubscribe();
        resolve();
      });
    });
    ws.send('drop');
    await dropped;
    expect(ws.send('after the drop')).toBe('queued');
    const second = await ws.connback.ready();
    expect(second).not.toBe(first);
    expect(await nextMessage(second)).toBe('echo after the drop');
    expect(connects).toEqual([false, true]);
  } finally {
    ws.end(true);
  }
  expect(ws.connback.state).toBe('ended');
});

it('semantic 17 in Chromium: with default options (only keepalive lowered) a server that sends nothing for 20 × keepalive stays connected — the browser WebSocket cannot be pinged, so no keepalive runs', async () => {
  const K_MS = 100;
  const ws = createWsConnback(`ws://127.0.0.1:${inject('wsPort')}/`, { keepalive: K_MS / 1000 });
  const events: string[] = [];
  ws.connback.onclose(() => events.push('close'));
  ws.connback.onerror((error) => events.push(`error ${error.message}`));
  try {
    const socket = await ws.connback.ready();
    await new Promise((resolve) => setTimeout(resolve, 20 * K_MS));
    expect(events).toEqual([]);
    expect(ws.connback.client).toBe(socket);
    // Still a working connection: the server answers.
    const who = nextMessage(socket);
    expect(ws.send('who')).toBe('sent');
    expect(await who).toMatch(/^connection \d+$/);
  } finally {
    ws.end(true);
  }
});

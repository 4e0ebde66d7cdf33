import { expect, inject, it } from 'vitest';
import { commands } from 'vitest/browser';
import { ReconnectingWebSocket, type WsMessageEvent } from '../src/index.js';

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** The global setup's server on `port` terminates the connections to `path` (1006); resolves with how many. */
    dropWsConnections(port: number, path: string): Promise<number>;
  }
}

/** Polls `condition` every 10 ms for at most `ms`; rejects naming `what` when it never held. */
async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('in Chromium, over the browser WebSocket, the same addEventListener("message") listener and onmessage receive every connection\'s messages across three drops by the server', async () => {
  const socket = new ReconnectingWebSocket(`ws://127.0.0.1:${inject('wsPort')}/hello`, {
    initialDelay: 50,
    maxDelay: 200,
    jitter: 'none',
    minUptime: 0,
  });
  const viaListener: string[] = [];
  const viaProperty: string[] = [];
  socket.addEventListener('message', (event) => {
    viaListener.push(String((event as WsMessageEvent).data));
  });
  socket.onmessage = (event) => viaProperty.push(String(event.data));
  const opens: number[] = [];
  socket.onopen = () => {
    opens.push(socket.readyState);
    socket.send('who');
  };
  const closes: number[] = [];
  socket.onclose = (event) => closes.push(event.code);
  try {
    for (let connection = 1; connection <= 4; connection += 1) {
      await until(
        () => viaProperty.length === 2 * connection,
        `the messages of connection ${connection}`,
      );
      if (connection < 4)
        expect(await commands.dropWsConnections(inject('wsPort'), '/hello')).toBe(1);
    }
    // The server numbers its connections over the whole run (other files connect too): four
    // connections, each one's hello and its answer to "who", in order.
    const numbers = viaProperty.filter((_, i) => i % 2 === 0).map((m) => Number(m.slice(6)));
    expect(new Set(numbers).size).toBe(4);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    const expected = numbers.flatMap((n) => [`hello ${n}`, `connection ${n}`]);
    expect(viaProperty).toEqual(expected);
    expect(viaListener).toEqual(expected);
    expect(opens).toEqual([1, 1, 1, 1]);
    expect(closes).toEqual([1006, 1006, 1006]);
    expect(socket.connback.stats.reconnects).toBe(3);
    expect(socket.connback.client).toBeInstanceOf(WebSocket);
  } finally {
    socket.close();
  }
  await until(() => socket.readyState === ReconnectingWebSocket.CLOSED, 'CLOSED');
  expect(closes.at(-1)).toBe(1000);
});

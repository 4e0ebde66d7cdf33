import { describe, expect, it } from 'vitest';
import { createTcpStream, type ReconnectingStream } from '../src/index.js';
import {
  isDown,
  type RecordingServer,
  recordEvents,
  startRecordingServer,
} from './support/recording.js';
import { waitFor } from './support/servers.js';
import { maxOpenAtOnce } from './support/setup.js';

const TOTAL = 10_000;
const RESTARTS = 4;
/** Lines written while the client is connected, per connection (the last one takes the rest). */
const UP_LINES = 1000;
/** Lines written while the client is down, per restart. */
const DOWN_LINES = 1250;

/** `line 000001\n`: 12 bytes, numbered from 1. */
function line(n: number): string {
  return `line ${String(n).padStart(6, '0')}\n`;
}

/**
 * The numbers of the complete lines the server received, over every connection in accept order.
 * A connection that was cut may end in part of a line: that line was lost, and is skipped.
 */
function receivedNumbers(server: RecordingServer): { numbers: number[]; malformed: string[] } {
  const numbers: number[] = [];
  const malformed: string[] = [];
  for (const connection of server.connections) {
    const text = connection.text();
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    for (const received of complete.split('\n').slice(0, -1)) {
      const match = /^line (\d{6})$/.exec(received);
      if (match) numbers.push(Number(match[1]));
      else malformed.push(received);
    }
  }
  return { numbers, malformed };
}

/**
 * 10,000 numbered lines through one stream while an in-process server is restarted 4 times on the
 * same port (close() destroys its connections; listen() again). On each connection some lines are
 * written and seen by the server; then more lines are written and the server is closed at once.
 * Only after the stream's Connback reported the drop is the outage's batch written (half at once,
 * half after a refused attempt); then the server listens again.
 *
 * Guaranteed, and asserted: the lines written while down arrive exactly once, in order, on the next
 * connection; everything received is strictly increasing (in order, no duplicate); the last
 * connection, ended with end(), gets all its lines. Lines written while connected just before a
 * drop may be lost: they were handed to a socket and TCP cannot know whether they arrived (they are
 * never resent). Nothing more is asserted about them.
 */
describe('ReconnectingStream across server restarts (acceptance)', () => {
  it('delivers every line written while down exactly once, in order, across 4 restarts', async () => {
    const server = await startRecordingServer();
    let stream: ReconnectingStream | undefined;
    try {
      stream = createTcpStream({
        host: '127.0.0.1',
        port: server.port,
        initialDelay: 20,
        maxDelay: 100,
        jitter: 'none',
        keepalive: 0,
      });
      const s = stream;
      // Refused attempts are not the stream's errors: it reconnects behind the scenes.
      const events = recordEvents(s, ['connect', 'reconnect', 'error']);
      let next = 1;
      const write = (count: number) => {
        for (let i = 0; i < count; i += 1) s.write(line(next++));
      };
      const received = (n: number) => server.last().text().includes(line(n));
      const down: [first: number, last: number][] = [];
      let lastUp = 0;

      for (let restart = 0; restart <= RESTARTS; restart += 1) {
        // Up: connected to the server's current listening round.
        await waitFor(
          () => s.connback.connected && server.connections.length === restart + 1,
          `connection ${restart + 1}`,
        );
        const upFirst = next;
        const half = UP_LINES / 2;
        write(half);
        await waitFor(() => received(next - 1), `the first up lines on connection ${restart + 1}`);
        if (restart === RESTARTS) {
          lastUp = upFirst;
          write(TOTAL - (next - 1));
          break;
        }
        // Lines written while connected, right before the drop: they go to the socket (or wait in
        // the stream behind earlier writes). TCP cannot tell which of those reached the server
        // before it closed, so they may be lost (at most once): nothing is asserted about them
        // except that whatever arrives keeps the order and never arrives twice.
        write(UP_LINES - half);
        const failedBefore = s.connback.stats.failedAttempts;
        await server.close();
        // On every other restart: the server is gone, but the client may not know yet. These lines
        // too may be lost (and one of them may be what waits for the next connection).
        if (restart % 2 === 0 && s.connback.connected) write(10);
        // Down: only once the stream's Connback reported the drop.
        await waitFor(() => isDown(s.connback), `the drop of connection ${restart + 1}`);
        const first = next;
        write(DOWN_LINES / 2);
        // ...and more after at least one attempt was refused.
        await waitFor(
          () => s.connback.stats.failedAttempts > failedBefore,
          'a refused attempt while the server is down',
        );
        expect(isDown(s.connback)).toBe(true);
        write(DOWN_LINES / 2);
        down.push([first, next - 1]);
        await server.listen();
        await waitFor(() => received(next - 1), `the lines written during outage ${restart + 1}`);
      }
      expect(next - 1).toBe(TOTAL);

      // end() while connected sends everything written, then the FIN.
      s.end();
      await waitFor(() => server.last().gotEnd, 'the FIN after the last lines');
      expect(s.connback.state).toBe('ended');

      const { numbers, malformed } = receivedNumbers(server);
      expect(malformed).toEqual([]);
      // Strictly increasing overall: in order, and no line twice.
      const outOfOrder = numbers.filter((n, i) => i > 0 && n <= (numbers[i - 1] as number));
      expect(outOfOrder).toEqual([]);
      // Every line written while down arrived (so exactly once, in order, given the above).
      const got = new Set(numbers);
      for (const [first, last] of down) {
        const missing: number[] = [];
        for (let n = first; n <= last; n += 1) if (!got.has(n)) missing.push(n);
        expect(missing, `lines ${first}..${last}, written while down`).toEqual([]);
      }
      // The lines written on the last connection, ended gracefully, all arrived too.
      expect(numbers.filter((n) => n >= lastUp)).toEqual(
        Array.from({ length: TOTAL - lastUp + 1 }, (_, i) => lastUp + i),
      );
      expect(server.accepted).toHaveLength(RESTARTS + 1);
      expect(events).toEqual(['connect', ...Array<string>(RESTARTS).fill('reconnect')]);
      // One client socket at a time, replacements included.
      expect(maxOpenAtOnce()).toBeLessThanOrEqual(1);
    } finally {
      stream?.destroy();
      await server.close();
    }
  });
});

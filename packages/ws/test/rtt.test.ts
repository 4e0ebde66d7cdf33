import { describe, expect, it } from 'vitest';
import { recordFigure } from '../../../test-support/figures.js';
import { createWsConnback } from '../src/index.js';
import { startWsServer, waitFor } from './support/servers.js';

/** The server's delay before it answers a ping frame, ms. */
const DELAY = 150;
/** Timers fire late and loopback reads wait their turn on 2 noisy cores: a generous upper bound. */
const UPPER = DELAY + 100;
/**
 * The target, ±10 ms, held by the median (5 runs here: every sample 151-155 ms); a single
 * late timer on a loaded machine moves one sample, not the median.
 */
const TARGET = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe('round trips over a loopback WebSocket', () => {
  it(`onpong, stats.rtt and probe() measure (median within ±10 ms) a server that answers each ping frame ${DELAY} ms late`, async () => {
    const server = await startWsServer({
      autoPong: false,
      onConnection: ({ socket }) => {
        socket.on('ping', (data) => {
          const timer = setTimeout(() => {
            if (socket.readyState === socket.OPEN) socket.pong(data);
          }, DELAY);
          socket.once('close', () => clearTimeout(timer));
        });
      },
    });
    const wsc = createWsConnback(server.url, { keepalive: 0.4 });
    const cb = wsc.connback;
    const rtts: number[] = [];
    let pings = 0;
    cb.onping(() => (pings += 1));
    cb.onpong(({ rtt }) => rtts.push(rtt));
    try {
      await waitFor(() => rtts.length >= 3, 'three pongs', 10_000);
      expect(pings).toBeGreaterThanOrEqual(3);
      const probed = await cb.probe();
      const all = [...rtts, probed === false ? Number.NaN : probed];
      recordFigure('rtt-ws', `WebSocket round trips, server delay ${DELAY} ms`, all, 'ms');
      for (const rtt of all) {
        expect(rtt).toBeGreaterThanOrEqual(DELAY - 2);
        expect(rtt).toBeLessThanOrEqual(UPPER);
      }
      expect(Math.abs(median(all) - DELAY)).toBeLessThanOrEqual(TARGET);
      const stats = cb.stats.rtt;
      expect(stats?.min).toBeGreaterThanOrEqual(DELAY - 2);
      expect(stats?.smoothed).toBeLessThanOrEqual(UPPER);
      expect(stats?.last).toBe(probed);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});

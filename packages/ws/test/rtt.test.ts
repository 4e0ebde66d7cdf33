import { describe, expect, it } from 'vitest';
import { PONG_DELAY as DELAY, expectRoundTrips } from '../../../test-support/round-trips.js';
import { createWsConnback } from '../src/index.js';
import { startWsServer, waitFor } from './support/servers.js';

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
      await expectRoundTrips(cb, rtts, 'rtt-ws', 'WebSocket');
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { PONG_DELAY as DELAY, expectRoundTrips } from '../../../test-support/round-trips.js';
import { createTcpConnback } from '../src/index.js';
import { startServer, waitFor } from './support/servers.js';

describe('round trips over loopback TCP', () => {
  it(`onpong, stats.rtt and probe() measure (median within ±10 ms) a server that answers each ping ${DELAY} ms late`, async () => {
    // The echo of each ping comes DELAY ms after it arrived.
    const server = await startServer((socket) => {
      socket.on('data', (chunk) => {
        const timer = setTimeout(() => {
          if (!socket.destroyed) socket.write(chunk);
        }, DELAY);
        socket.once('close', () => clearTimeout(timer));
      });
    });
    const cb = createTcpConnback({
      host: '127.0.0.1',
      port: server.port,
      keepalive: 0.4,
      ping: 'ping\n',
    });
    const pings: number[] = [];
    const rtts: number[] = [];
    cb.onping(() => pings.push(performance.now()));
    cb.onpong(({ rtt }) => rtts.push(rtt));
    try {
      await waitFor(() => rtts.length >= 3, 'three pongs', 10_000);
      expect(pings.length).toBeGreaterThanOrEqual(3);
      await expectRoundTrips(cb, rtts, 'rtt-tcp', 'TCP');
    } finally {
      cb.end(true);
      await server.close();
    }
  });
});

// The longer reconnect example that packages/chaos/README.md and docs/testing-with-chaos.md link
// to: a blackhole, a reset and a server that is down, in one test against @connback/tcp.
import net from 'node:net';
import { ErrorCode, isConnbackError } from '@connback/core';
import { createTcpConnback } from '@connback/tcp';
import { expect, it, vi } from 'vitest';
import { ChaosProxy } from '../src/index.js';

it('detects a blackhole, reconnects after a reset, backs off while the server is down', async () => {
  // A server that echoes, so that it answers the pings.
  const server = net.createServer((socket) => socket.on('error', () => {}).pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = await ChaosProxy.start({ upstream: (server.address() as net.AddressInfo).port });

  const connback = createTcpConnback({
    host: '127.0.0.1',
    port: proxy.port, // through the proxy
    ping: 'ping\n',
    keepalive: 0.2, // seconds: a silent peer is detected within 0.4 s
    initialDelay: 50,
    maxDelay: 200,
    jitter: 'none',
    minUptime: 100,
  });
  const errors: string[] = [];
  connback.onerror((error) => {
    errors.push(isConnbackError(error) ? error.code : ((error as { code?: string }).code ?? ''));
  });
  const until = (check: () => void) => vi.waitFor(check, { timeout: 3000, interval: 10 });

  try {
    await connback.ready();

    // Blackhole: the pings go unanswered, and the keepalive must notice.
    const hole = proxy.blackhole();
    await until(() => expect(errors).toContain(ErrorCode.KeepaliveTimeout));
    hole.remove();
    await until(() => expect(connback.connected).toBe(true));

    // Reset: the connection drops with ECONNRESET, and connback reconnects.
    const reconnects = connback.stats.reconnects;
    const reset = proxy.resetPeer(); // resets live connections now (and new ones, until removed)
    await until(() => expect(errors).toContain('ECONNRESET'));
    reset.remove();
    await until(() => expect(connback.stats.reconnects).toBeGreaterThan(reconnects));
    await until(() => expect(connback.connected).toBe(true));

    // Down: the attempts are refused and back off; once up again, connback recovers.
    proxy.dropAll();
    await proxy.down();
    await until(() => expect(errors.filter((e) => e === 'ECONNREFUSED').length).toBeGreaterThan(2));
    expect(connback.connected).toBe(false);
    expect(connback.stats.nextDelay).toBeGreaterThan(0);
    await proxy.up();
    await until(() => expect(connback.connected).toBe(true));
  } finally {
    connback.end(true);
    await proxy.close();
    await new Promise((resolve) => server.close(resolve));
  }
});

import { describe, expect, it } from 'vitest';
import { ChaosProxy } from '../src/index.js';
import { harness, SLACK, timeToReceive } from './support/harness.js';
import {
  connect,
  connectOutcome,
  refusedPort,
  settlesWithin,
  silent,
  startServer,
  trackTimers,
  type Watched,
  waitFor,
} from './support/net.js';

describe('start() options and getters', () => {
  it('listens on 127.0.0.1 (any free port by default), forwards to { host, port }, lists its toxics', async () => {
    const server = await startServer();
    const proxy = await ChaosProxy.start({ upstream: { host: '127.0.0.1', port: server.port } });
    try {
      expect(proxy.port).toBeGreaterThan(0);
      expect(proxy.connections).toBe(0);
      const client = await connect(proxy.port);
      try {
        expect(client.socket.remoteAddress).toBe('127.0.0.1');
        expect(await timeToReceive(client, client, 'hi')).toBeLessThan(SLACK);
        expect(proxy.connections).toBe(1);
      } finally {
        client.socket.destroy();
      }
      const a = proxy.latency(10);
      const b = proxy.blackhole({ direction: 'downstream', probability: 0.25 });
      expect(proxy.toxics).toEqual([a, b]);
      expect(b).toMatchObject({ directions: ['downstream'], probability: 0.25 });
      expect(a.id).not.toBe(b.id);
      a.remove();
      a.remove();
      expect(proxy.toxics).toEqual([b]);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('listens on the port given', async () => {
    const port = await refusedPort();
    const server = await startServer();
    const proxy = await ChaosProxy.start({ upstream: server.port, port });
    try {
      expect(proxy.port).toBe(port);
      expect(await connectOutcome(port)).toBe('connected');
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

describe('close()', () => {
  it('closes the listener and every connection; close() again does nothing; up() stays closed', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const pairs = [await h.pair(), await h.pair()];
      const port = h.proxy.port;
      await h.proxy.close();
      expect(h.proxy.connections).toBe(0);
      expect(h.proxy.toxics).toEqual([]);
      for (const { client, peer } of pairs) {
        await waitFor(() => client.closedAt !== undefined && peer.closedAt !== undefined, 'close');
      }
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');
      await h.proxy.close();
      await h.proxy.up();
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    } finally {
      await h.close();
    }
  });

  it('clears pending latency, slowClose and resetPeer timers', async () => {
    const h = await harness({ onConnection: silent });
    const tracker = trackTimers();
    try {
      const delayed = await h.pair();
      const closing = await h.pair();
      h.proxy.latency(5000, 0, { direction: 'upstream' });
      h.proxy.slowClose(5000, { direction: 'downstream' });
      h.proxy.resetPeer(5000);
      delayed.client.socket.write('held for 5 s');
      closing.peer.socket.end();
      // Two resetPeer timers (one per connection), the latency and the slowClose ones.
      await waitFor(() => tracker.pending() === 4, 'the four 5 s timers to be armed');
      const start = performance.now();
      expect(await settlesWithin(h.proxy.close(), 1000)).toBe(true);
      expect(performance.now() - start).toBeLessThan(SLACK);
      await waitFor(() => tracker.pending() === 0, 'the timers to be cleared', 1000);
      expect(delayed.peer.bytes).toBe(0);
      for (const { client } of [delayed, closing]) {
        await waitFor(() => client.closedAt !== undefined, 'the client to close');
      }
    } finally {
      tracker.stop();
      await h.close();
    }
  });

  it('await using closes the proxy, its connections and timers at the end of the block (Symbol.asyncDispose)', async () => {
    const server = await startServer();
    const tracker = trackTimers();
    let port = 0;
    let client: Watched | undefined;
    try {
      {
        await using proxy = await ChaosProxy.start({ upstream: server.port });
        port = proxy.port;
        proxy.latency(5000);
        client = await connect(port);
        client.socket.write('never delivered');
        await waitFor(() => tracker.pending() === 1, 'the latency timer to be armed');
      }
      const closed = client;
      await waitFor(() => closed.closedAt !== undefined, 'the client to close');
      await waitFor(() => tracker.pending() === 0, 'the timer to be cleared', 1000);
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');
      expect(server.peers[0]?.bytes).toBe(0);
    } finally {
      tracker.stop();
      client?.socket.destroy();
      await server.close();
    }
  });

  it('[Symbol.asyncDispose]() is close()', async () => {
    const server = await startServer();
    const proxy = await ChaosProxy.start({ upstream: server.port });
    try {
      await proxy[Symbol.asyncDispose]();
      expect(await connectOutcome(proxy.port)).toBe('ECONNREFUSED');
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

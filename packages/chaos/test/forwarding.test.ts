import { describe, expect, it } from 'vitest';
import { ChaosProxy } from '../src/index.js';
import { harness } from './support/harness.js';
import { bytes, connect, refusedPort, silent, type Watched, waitFor } from './support/net.js';

const MB = 1024 * 1024;

describe('ChaosProxy without toxics: plain forwarding on 127.0.0.1', () => {
  it('forwards 1 MB to an echo server and back, byte-exact', async () => {
    const h = await harness();
    try {
      const client = await h.client();
      const data = bytes(MB, 7);
      client.socket.write(data);
      await waitFor(() => client.bytes >= MB, '1 MB echoed back', 10_000);
      expect(client.bytes).toBe(MB);
      expect(client.received().equals(data)).toBe(true);
      expect(h.server.peers[0]?.bytes).toBe(MB);
    } finally {
      await h.close();
    }
  });

  it('forwards 1 MB each way at the same time, byte-exact in both directions', async () => {
    const down = bytes(MB, 11);
    const h = await harness({ onConnection: (socket) => socket.write(down) });
    try {
      const client = await h.client();
      const up = bytes(MB, 13);
      client.socket.write(up);
      const peer = () => h.server.peers[0] as Watched;
      await waitFor(
        () => client.bytes >= MB && h.server.peers.length === 1 && peer().bytes >= MB,
        '1 MB each way',
        10_000,
      );
      expect(client.received().equals(down)).toBe(true);
      expect(peer().received().equals(up)).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('passes a half-close (client end()) on as a FIN; the server can still answer, then both close', async () => {
    const h = await harness({
      allowHalfOpen: true,
      onConnection: (socket) => socket.once('end', () => socket.end('bye after your FIN')),
    });
    try {
      const { client, peer } = await h.pair({ allowHalfOpen: true });
      client.socket.end('hello, then FIN');
      await waitFor(() => peer.endedAt !== undefined, 'the server to see the FIN');
      expect(peer.text()).toBe('hello, then FIN');
      expect(peer.error).toBeUndefined();
      await waitFor(() => client.endedAt !== undefined, "the server's FIN to reach the client");
      expect(client.text()).toBe('bye after your FIN');
      await waitFor(() => client.closedAt !== undefined && peer.closedAt !== undefined, 'closes');
      expect(client.hadError).toBe(false);
      expect(peer.hadError).toBe(false);
      await waitFor(() => h.proxy.connections === 0, 'the proxy to let the connection go');
    } finally {
      await h.close();
    }
  });

  it('passes a reset by the client on to the server (ECONNRESET)', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      client.socket.resetAndDestroy();
      await waitFor(() => peer.closedAt !== undefined, 'the server side to close');
      expect(peer.error?.code).toBe('ECONNRESET');
      expect(peer.hadError).toBe(true);
    } finally {
      await h.close();
    }
  });

  // Regression: any upstream 'error' once destroyed the link, so the client got a clean FIN at once
  // instead of the reset that the link passes on.
  it('passes a reset by the server on to the client (ECONNRESET, not a clean close)', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      peer.socket.resetAndDestroy();
      await waitFor(() => client.closedAt !== undefined, 'the client to close');
      expect({ error: client.error?.code, hadError: client.hadError }).toEqual({
        error: 'ECONNRESET',
        hadError: true,
      });
    } finally {
      await h.close();
    }
  });

  it('closes the client connection when the upstream refuses', async () => {
    const proxy = await ChaosProxy.start({ upstream: await refusedPort() });
    let client: Watched | undefined;
    try {
      client = await connect(proxy.port);
      const closed = client;
      await waitFor(() => closed.closedAt !== undefined, 'the client connection to close');
      expect(client.bytes).toBe(0);
      await waitFor(() => proxy.connections === 0, 'no connection left in the proxy');
    } finally {
      client?.socket.destroy();
      await proxy.close();
    }
  });
});

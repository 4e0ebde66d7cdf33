import { describe, expect, it } from 'vitest';
import { EARLY, harness, SLACK, timeToReceive } from './support/harness.js';
import { bytes, silent, sleep, waitFor } from './support/net.js';

describe('slowClose(ms)', () => {
  it('when the server closes, the client sees the close about ms later, not before (data first)', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      const toxic = h.proxy.slowClose(250);
      expect(toxic.spec).toEqual({ kind: 'slowClose', ms: 250 });
      const closedAt = performance.now();
      peer.socket.end('last words');
      await waitFor(() => client.bytes === 10, 'the data before the FIN');
      expect(client.arrivals[0]?.at ?? Number.NaN).toBeLessThan(closedAt + SLACK);
      await waitFor(() => client.endedAt !== undefined, "the server's FIN", 2000);
      const after = (client.endedAt as number) - closedAt;
      expect(after).toBeGreaterThanOrEqual(250 - EARLY);
      expect(after).toBeLessThanOrEqual(250 + SLACK);
      expect(client.text()).toBe('last words');
      await waitFor(() => client.closedAt !== undefined, 'the client to close');
      expect(client.hadError).toBe(false);
    } finally {
      await h.close();
    }
  });

  it('when the client closes, the server sees the FIN about ms later', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      h.proxy.slowClose(200, { direction: 'upstream' });
      const closedAt = performance.now();
      client.socket.end();
      await waitFor(() => peer.endedAt !== undefined, "the client's FIN", 2000);
      const after = (peer.endedAt as number) - closedAt;
      expect(after).toBeGreaterThanOrEqual(200 - EARLY);
      expect(after).toBeLessThanOrEqual(200 + SLACK);
    } finally {
      await h.close();
    }
  });

  // Regression: a server's reset once reached the client as a clean close at once, so slowClose
  // did not delay it either.
  it("delays a server's reset by ms too: the client gets ECONNRESET about ms later", async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      h.proxy.slowClose(200);
      const resetAt = performance.now();
      peer.socket.resetAndDestroy();
      await waitFor(() => client.closedAt !== undefined, 'the client to close', 2000);
      const after = (client.closedAt as number) - resetAt;
      expect({ error: client.error?.code, late: after >= 200 - EARLY }).toEqual({
        error: 'ECONNRESET',
        late: true,
      });
      expect(after).toBeLessThanOrEqual(200 + SLACK);
    } finally {
      await h.close();
    }
  });
});

describe('limitData(bytes)', () => {
  it('upstream: exactly `bytes` bytes reach the server, then the connection closes (both sides)', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      const toxic = h.proxy.limitData(100, { direction: 'upstream' });
      expect(toxic.spec).toEqual({ kind: 'limitData', bytes: 100 });
      const data = bytes(1000, 3);
      client.socket.write(data);
      await waitFor(() => peer.closedAt !== undefined, 'the server side to close');
      expect(peer.bytes).toBe(100);
      expect(peer.received().equals(data.subarray(0, 100))).toBe(true);
      await waitFor(() => client.closedAt !== undefined, 'the client to close');
      expect(h.proxy.connections).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('downstream, across several chunks: exactly `bytes` bytes reach the client, then it closes', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      h.proxy.limitData(250, { direction: 'downstream' });
      const data = bytes(400, 5);
      for (let offset = 0; offset < 400; offset += 100) {
        peer.socket.write(data.subarray(offset, offset + 100));
        await sleep(20);
      }
      await waitFor(() => client.closedAt !== undefined, 'the client to close');
      expect(client.bytes).toBe(250);
      expect(client.received().equals(data.subarray(0, 250))).toBe(true);
    } finally {
      await h.close();
    }
  });

  // Regression: the link was once destroyed right after the last piece was handed to
  // `socket.write()`; with that write still queued (the upstream socket still connecting),
  // destroy() discarded it and the server got 0 bytes.
  it('counts exactly `bytes` even when the client writes the moment it connects', async () => {
    const h = await harness({ onConnection: silent });
    try {
      h.proxy.limitData(100, { direction: 'upstream' });
      const client = await h.client();
      client.socket.write(bytes(1000, 3));
      await waitFor(() => client.closedAt !== undefined, 'the client to close');
      await waitFor(() => h.server.peers[0]?.closedAt !== undefined, 'the server side to close');
      expect(h.server.peers[0]?.bytes).toBe(100);
    } finally {
      await h.close();
    }
  });
});

describe('slicer(size, delayMs)', () => {
  it('a 1000-byte write arrives in pieces of at most size, the last one about (pieces - 1) × delayMs later', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      const toxic = h.proxy.slicer(100, 25, { direction: 'upstream' });
      expect(toxic.spec).toEqual({ kind: 'slicer', size: 100, delayMs: 25 });
      const data = bytes(1000, 9);
      const elapsed = await timeToReceive(client, peer, data);
      expect(peer.received().equals(data)).toBe(true);
      expect(Math.max(...peer.arrivals.map((a) => a.size))).toBeLessThanOrEqual(100);
      // 10 pieces, 9 gaps of 25 ms (pieces that arrive together would only be read as one).
      expect(peer.arrivals.length).toBeGreaterThanOrEqual(5);
      expect(elapsed).toBeGreaterThanOrEqual(9 * 25 - EARLY);
      expect(elapsed).toBeLessThanOrEqual(9 * 25 + SLACK);
    } finally {
      await h.close();
    }
  });

  it('a size that does not divide the write: the last piece is the rest', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      h.proxy.slicer(300, 30, { direction: 'upstream' });
      const data = bytes(1000, 4);
      const elapsed = await timeToReceive(client, peer, data);
      expect(peer.received().equals(data)).toBe(true);
      expect(peer.arrivals.map((a) => a.size)).toEqual([300, 300, 300, 100]);
      expect(elapsed).toBeGreaterThanOrEqual(3 * 30 - EARLY);
      expect(elapsed).toBeLessThanOrEqual(3 * 30 + SLACK);
    } finally {
      await h.close();
    }
  });
});

describe('bandwidth(bytesPerSecond)', () => {
  it('20 KB at 100 KB/s takes about 200 ms', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      const toxic = h.proxy.bandwidth(100_000, { direction: 'upstream' });
      expect(toxic.spec).toEqual({ kind: 'bandwidth', bytesPerSecond: 100_000 });
      const data = bytes(20_000, 2);
      const elapsed = await timeToReceive(client, peer, data);
      expect(peer.received().equals(data)).toBe(true);
      expect(elapsed).toBeGreaterThanOrEqual(200 - EARLY);
      expect(elapsed).toBeLessThanOrEqual(200 + SLACK);
    } finally {
      await h.close();
    }
  });

  it('with slicer: each piece waits its own share (4 × 5000 bytes at 50 000 B/s ≈ 400 ms)', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      h.proxy.slicer(5000, 0, { direction: 'downstream' });
      h.proxy.bandwidth(50_000, { direction: 'downstream' });
      const data = bytes(20_000, 6);
      const elapsed = await timeToReceive(peer, client, data);
      expect(client.received().equals(data)).toBe(true);
      expect(client.arrivals.length).toBeGreaterThanOrEqual(2);
      expect(elapsed).toBeGreaterThanOrEqual(400 - EARLY);
      expect(elapsed).toBeLessThanOrEqual(400 + SLACK);
    } finally {
      await h.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { ChaosProxy, seededRandom } from '../src/index.js';
import { EARLY, harness, SLACK, timeToReceive } from './support/harness.js';
import { connect, silent, sleep, startServer, type Watched, waitFor } from './support/net.js';

describe('direction', () => {
  it("a toxic on 'upstream' does not touch downstream data, and one on 'downstream' not upstream data", async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();

      const up = h.proxy.latency(200, 0, { direction: 'upstream' });
      expect(up.directions).toEqual(['upstream']);
      expect(await timeToReceive(peer, client, 'fast down')).toBeLessThan(100);
      const slowUp = await timeToReceive(client, peer, 'slow up');
      expect(slowUp).toBeGreaterThanOrEqual(200 - EARLY);
      expect(slowUp).toBeLessThanOrEqual(200 + SLACK);
      up.remove();

      const down = h.proxy.latency(200, 0, { direction: 'downstream' });
      expect(down.directions).toEqual(['downstream']);
      expect(await timeToReceive(client, peer, 'fast up')).toBeLessThan(100);
      const slowDown = await timeToReceive(peer, client, 'slow down');
      expect(slowDown).toBeGreaterThanOrEqual(200 - EARLY);
      expect(slowDown).toBeLessThanOrEqual(200 + SLACK);
      down.remove();
    } finally {
      await h.close();
    }
  });

  it("a blackhole on 'upstream' drops only what the client sends; on 'downstream' only what the server sends", async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();

      const up = h.proxy.blackhole({ direction: 'upstream' });
      client.socket.write('dropped');
      expect(await timeToReceive(peer, client, 'kept down')).toBeLessThan(SLACK);
      up.remove();

      const down = h.proxy.blackhole({ direction: 'downstream' });
      peer.socket.write('dropped');
      expect(await timeToReceive(client, peer, 'kept up')).toBeLessThan(SLACK);
      await sleep(100);
      down.remove();

      expect(peer.text()).toBe('kept up');
      expect(client.text()).toBe('kept down');
    } finally {
      await h.close();
    }
  });
});

/**
 * Which of `count` connections, made one after the other through a proxy with a
 * `limitData(0, { probability })` toxic, it affects: an affected connection is closed at its first
 * byte, the others echo it.
 */
async function affectedConnections(
  random: (() => number) | undefined,
  probability: number,
  count = 40,
): Promise<number[]> {
  const server = await startServer();
  const proxy = await ChaosProxy.start({
    upstream: server.port,
    ...(random === undefined ? {} : { random }),
  });
  const affected: number[] = [];
  let client: Watched | undefined;
  try {
    const toxic = proxy.limitData(0, { probability });
    expect(toxic.probability).toBe(probability);
    for (let i = 0; i < count; i++) {
      const current = await connect(proxy.port);
      client = current;
      current.socket.write('x');
      await waitFor(() => current.bytes === 1 || current.closedAt !== undefined, `connection ${i}`);
      if (current.bytes === 0) affected.push(i);
      current.socket.destroy();
    }
  } finally {
    client?.socket.destroy();
    await proxy.close();
    await server.close();
  }
  return affected;
}

describe('probability (drawn once per connection and toxic)', () => {
  it('0.5 with seededRandom(42) over 40 connections affects about half, the same set on a replay', async () => {
    const first = await affectedConnections(seededRandom(42), 0.5);
    expect(first.length).toBeGreaterThanOrEqual(10);
    expect(first.length).toBeLessThanOrEqual(30);
    const replay = await affectedConnections(seededRandom(42), 0.5);
    expect(replay).toEqual(first);
    const other = await affectedConnections(seededRandom(7), 0.5);
    expect(other).not.toEqual(first);
  });

  it('0 never affects a connection, 1 always does', async () => {
    expect(await affectedConnections(seededRandom(1), 0, 20)).toEqual([]);
    expect(await affectedConnections(undefined, 1, 20)).toEqual([...Array(20).keys()]);
  });

  it('the draw holds for the whole connection: an affected connection stays affected', async () => {
    const h = await harness({ random: seededRandom(42) });
    try {
      h.proxy.latency(150, 0, { probability: 0.5 });
      const slow: boolean[] = [];
      for (let i = 0; i < 4; i++) {
        const client = await h.client();
        const times = [
          await timeToReceive(client, client, 'a'),
          await timeToReceive(client, client, 'b'),
        ];
        // One draw per connection, for both directions: every round trip of a connection is
        // clean (< 100 ms) or delayed both ways (>= 300 ms), never a mix.
        expect(times.every((t) => t < 100) || times.every((t) => t >= 300 - EARLY)).toBe(true);
        slow.push((times[0] as number) >= 300 - EARLY);
        client.socket.destroy();
      }
      // With this seed some connections are affected and some are not.
      expect(slow).toContain(true);
      expect(slow).toContain(false);
    } finally {
      await h.close();
    }
  });
});

describe('toxics added and removed while connections are live', () => {
  it('latency added to an open connection delays the next chunk; removed, the next one is fast again', async () => {
    const h = await harness();
    try {
      const client = await h.client();
      expect(await timeToReceive(client, client, 'before')).toBeLessThan(100);
      const toxic = h.proxy.latency(150);
      const delayed = await timeToReceive(client, client, 'during');
      expect(delayed).toBeGreaterThanOrEqual(300 - EARLY);
      expect(delayed).toBeLessThanOrEqual(300 + SLACK);
      toxic.remove();
      expect(await timeToReceive(client, client, 'after')).toBeLessThan(100);
      expect(client.text()).toBe('beforeduringafter');
    } finally {
      await h.close();
    }
  });

  it('a blackhole added to an open connection drops the next chunk; removed, the next one flows', async () => {
    const h = await harness();
    try {
      const client = await h.client();
      expect(await timeToReceive(client, client, 'before;')).toBeLessThan(100);
      const toxic = h.proxy.blackhole();
      client.socket.write('dropped;');
      await sleep(250);
      expect(client.text()).toBe('before;');
      toxic.remove();
      expect(await timeToReceive(client, client, 'after;')).toBeLessThan(100);
      expect(client.text()).toBe('before;after;');
    } finally {
      await h.close();
    }
  });

  it('clear() removes every toxic, at once for live connections', async () => {
    const h = await harness();
    try {
      const client = await h.client();
      h.proxy.latency(500);
      h.proxy.slicer(1, 50);
      h.proxy.bandwidth(10);
      expect(h.proxy.toxics.map((t) => t.spec.kind)).toEqual(['latency', 'slicer', 'bandwidth']);
      h.proxy.clear();
      expect(h.proxy.toxics).toEqual([]);
      expect(await timeToReceive(client, client, 'clear')).toBeLessThan(100);
    } finally {
      await h.close();
    }
  });
});

describe('bad parameters throw a TypeError naming them (and add nothing)', () => {
  it.each([
    ['latency ms', (p: ChaosProxy) => p.latency(-1), /\bms\b.*-1/],
    ['latency jitter', (p: ChaosProxy) => p.latency(10, -5), /jitter.*-5/],
    ['latency NaN', (p: ChaosProxy) => p.latency(Number.NaN), /\bms\b.*NaN/],
    ['resetPeer afterMs', (p: ChaosProxy) => p.resetPeer(-10), /afterMs.*-10/],
    ['slowClose ms', (p: ChaosProxy) => p.slowClose(-1), /\bms\b/],
    ['limitData bytes', (p: ChaosProxy) => p.limitData(-1), /bytes/],
    ['slicer size 0', (p: ChaosProxy) => p.slicer(0, 10), /size.*0/],
    ['slicer delayMs', (p: ChaosProxy) => p.slicer(10, -1), /delayMs/],
    ['bandwidth 0', (p: ChaosProxy) => p.bandwidth(0), /bytesPerSecond/],
    [
      'probability 2',
      (p: ChaosProxy) => p.blackhole({ probability: 2 }),
      /probability.*from 0 to 1.*2/,
    ],
    ['probability -0.1', (p: ChaosProxy) => p.latency(5, 0, { probability: -0.1 }), /probability/],
    [
      "direction 'sideways'",
      (p: ChaosProxy) => p.blackhole({ direction: 'sideways' as never }),
      /direction.*sideways/,
    ],
  ])('%s', async (_name, add, message) => {
    const server = await startServer();
    const proxy = await ChaosProxy.start({ upstream: server.port });
    try {
      expect(() => add(proxy)).toThrow(TypeError);
      expect(() => add(proxy)).toThrow(message);
      expect(proxy.toxics).toEqual([]);
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

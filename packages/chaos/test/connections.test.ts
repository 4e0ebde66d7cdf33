import { describe, expect, it } from 'vitest';
import { EARLY, harness, SLACK, timeToReceive } from './support/harness.js';
import { connectOutcome, settlesWithin, silent, sleep, waitFor } from './support/net.js';

describe('down() and up()', () => {
  it('down(): new connections are refused (ECONNREFUSED); up() accepts again on the same port', async () => {
    const h = await harness();
    try {
      const port = h.proxy.port;
      expect(await connectOutcome(port)).toBe('connected');
      await waitFor(() => h.proxy.connections === 0, 'the first connection to be gone');
      await h.proxy.down();
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');
      await h.proxy.up();
      expect(h.proxy.port).toBe(port);
      const client = await h.client();
      expect(await timeToReceive(client, client, 'back')).toBeLessThan(SLACK);
      expect(client.socket.remotePort).toBe(port);
    } finally {
      await h.close();
    }
  });

  it('down() while a connection is live: the live one keeps working, new ones are refused, up() accepts again', async () => {
    const h = await harness();
    try {
      const port = h.proxy.port;
      const live = await h.client();
      expect(await timeToReceive(live, live, 'before')).toBeLessThan(SLACK);
      const downed = h.proxy.down();
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');
      expect(await timeToReceive(live, live, 'while down')).toBeLessThan(SLACK);
      expect(live.closedAt).toBeUndefined();
      // Regression: down() once awaited net.Server.close(), whose callback waits for every live
      // connection to end, so it did not settle while `live` was open.
      expect(await settlesWithin(downed, 1000), 'down() settles while a connection is live').toBe(
        true,
      );
      await h.proxy.up();
      const again = await h.client();
      expect(await timeToReceive(again, again, 'after up')).toBeLessThan(SLACK);
      expect(await timeToReceive(live, live, 'still')).toBeLessThan(SLACK);
    } finally {
      await h.close();
    }
  });

  it('down() and up() do nothing when already down or up', async () => {
    const h = await harness();
    try {
      await h.proxy.up();
      await h.proxy.down();
      await h.proxy.down();
      expect(await connectOutcome(h.proxy.port)).toBe('ECONNREFUSED');
      await h.proxy.up();
      await h.proxy.up();
      expect(await connectOutcome(h.proxy.port)).toBe('connected');
    } finally {
      await h.close();
    }
  });
});

describe('blackhole()', () => {
  it('nothing arrives either way and the connection stays open; after remove(), new data flows', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      const hole = h.proxy.blackhole();
      expect(hole.spec).toEqual({ kind: 'blackhole' });
      client.socket.write('lost upstream');
      peer.socket.write('lost downstream');
      await sleep(350);
      expect(peer.bytes).toBe(0);
      expect(client.bytes).toBe(0);
      for (const side of [client, peer]) {
        expect(side.endedAt).toBeUndefined();
        expect(side.closedAt).toBeUndefined();
        expect(side.error).toBeUndefined();
      }
      expect(h.proxy.connections).toBe(1);

      hole.remove();
      expect(h.proxy.toxics).toEqual([]);
      expect(await timeToReceive(client, peer, 'up again')).toBeLessThan(SLACK);
      expect(await timeToReceive(peer, client, 'down again')).toBeLessThan(SLACK);
      expect(peer.text()).toBe('up again');
      expect(client.text()).toBe('down again');
    } finally {
      await h.close();
    }
  });
});

describe('resetPeer(afterMs)', () => {
  it('resets a live connection afterMs after the toxic is added, and a new one afterMs after it connects (both sides see it)', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const live = await h.pair();
      const addedAt = performance.now();
      const toxic = h.proxy.resetPeer(200);
      expect(toxic.spec).toEqual({ kind: 'resetPeer', afterMs: 200 });
      const connectingAt = performance.now();
      const fresh = await h.pair();
      for (const [pair, since] of [
        [live, addedAt],
        [fresh, connectingAt],
      ] as const) {
        await waitFor(() => pair.client.closedAt !== undefined, 'the client to be reset', 2000);
        expect(pair.client.error?.code).toBe('ECONNRESET');
        expect(pair.client.hadError).toBe(true);
        const after = (pair.client.errorAt as number) - since;
        expect(after).toBeGreaterThanOrEqual(200 - EARLY);
        expect(after).toBeLessThanOrEqual(200 + SLACK);
        await waitFor(() => pair.peer.closedAt !== undefined, 'the server side to close');
        expect(pair.peer.error?.code).toBe('ECONNRESET');
      }
      await waitFor(() => h.proxy.connections === 0, 'no connection left');
    } finally {
      await h.close();
    }
  });

  it('does not reset a connection once removed before afterMs', async () => {
    const h = await harness();
    try {
      const client = await h.client();
      const toxic = h.proxy.resetPeer(400);
      await sleep(20);
      toxic.remove();
      await sleep(500);
      expect(client.closedAt).toBeUndefined();
      expect(await timeToReceive(client, client, 'alive')).toBeLessThan(SLACK);
    } finally {
      await h.close();
    }
  });
});

describe('dropAll() and resetAll()', () => {
  it('dropAll() closes every live connection cleanly (a FIN each way); new connections are accepted', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const pairs = [await h.pair(), await h.pair()];
      expect(h.proxy.connections).toBe(2);
      h.proxy.dropAll();
      for (const { client, peer } of pairs) {
        await waitFor(() => client.closedAt !== undefined && peer.closedAt !== undefined, 'close');
        expect(client.endedAt).toBeDefined();
        expect(client.error).toBeUndefined();
        expect(client.hadError).toBe(false);
        expect(peer.endedAt).toBeDefined();
        expect(peer.error).toBeUndefined();
      }
      expect(h.proxy.connections).toBe(0);
      const { client, peer } = await h.pair();
      expect(await timeToReceive(client, peer, 'next')).toBeLessThan(SLACK);
    } finally {
      await h.close();
    }
  });

  it('resetAll() resets every live connection (ECONNRESET on both sides)', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const pairs = [await h.pair(), await h.pair()];
      h.proxy.resetAll();
      for (const { client, peer } of pairs) {
        await waitFor(() => client.closedAt !== undefined && peer.closedAt !== undefined, 'close');
        expect(client.error?.code).toBe('ECONNRESET');
        expect(client.hadError).toBe(true);
        expect(peer.error?.code).toBe('ECONNRESET');
      }
      expect(h.proxy.connections).toBe(0);
    } finally {
      await h.close();
    }
  });
});

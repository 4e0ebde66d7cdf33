import { describe, expect, it, vi } from 'vitest';
import type { PongInfo } from '../src/index.js';
import { type FakeClient, FakeConnector } from './support/fake-connector.js';
import { advance, connected, exact, flush, type Harness, harness } from './support/harness.js';

/** Answers each ping after the next delay of `delays` (ms), the last one repeated. */
function answerAfter(h: Harness, ...delays: number[]): void {
  let n = 0;
  h.connector.onPing = (client: FakeClient) => {
    const delay = delays[Math.min(n, delays.length - 1)] ?? 0;
    n += 1;
    setTimeout(() => h.cb.feedHeartbeat(client), delay);
  };
}

/** Records onping and onpong in the harness log. */
function recordHeartbeats(h: Harness): PongInfo[] {
  const pongs: PongInfo[] = [];
  h.cb.onping(() => h.log.push('ping'));
  h.cb.onpong((info) => {
    h.log.push(`pong(${info.rtt})`);
    pongs.push(info);
  });
  return pongs;
}

describe('heartbeat events and round trips', () => {
  it('onping for each keepalive ping, onpong({ rtt }) for its answer, in that order', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    recordHeartbeats(h);
    answerAfter(h, 40, 80, 20);
    await advance(1000 + 40);
    await advance(1000 + 80 - 40);
    await advance(1000 + 20 - 80);
    expect(h.events()).toEqual([
      'connect#1',
      'ping',
      'pong(40)',
      'ping',
      'pong(80)',
      'ping',
      'pong(20)',
    ]);
    h.cb.end();
  });

  it('stats.rtt: last, min and the smoothed value of RFC 6298 (alpha 1/8)', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    answerAfter(h, 40, 80, 20);
    expect(h.cb.stats.rtt).toBeUndefined();
    await advance(1040);
    expect(h.cb.stats.rtt).toEqual({ last: 40, min: 40, smoothed: 40 });
    await advance(1040);
    // 7/8 × 40 + 1/8 × 80
    expect(h.cb.stats.rtt).toEqual({ last: 80, min: 40, smoothed: 45 });
    await advance(940);
    // 7/8 × 45 + 1/8 × 20
    expect(h.cb.stats.rtt).toEqual({ last: 20, min: 20, smoothed: 41.875 });
    h.cb.end();
  });

  it('only the first heartbeat after a ping answers it: data between pings is no pong', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    const pongs = recordHeartbeats(h);
    answerAfter(h, 30);
    await advance(500);
    h.cb.feedHeartbeat(h.cb.client);
    await advance(500 + 30);
    h.cb.feedHeartbeat(h.cb.client);
    await advance(10);
    h.cb.feedHeartbeat(h.cb.client);
    expect(pongs).toEqual([{ rtt: 30 }]);
    expect(h.cb.stats.rtt?.last).toBe(30);
    h.cb.end();
  });

  it('stats.rtt belongs to the live connection: undefined once it closed, and a new one starts afresh', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    answerAfter(h, 50);
    await advance(1050);
    expect(h.cb.stats.rtt?.last).toBe(50);
    h.connector.script({ kind: 'resolve' });
    h.cb.feedClose(false);
    expect(h.cb.stats.rtt).toBeUndefined();
    await flush();
    expect(h.cb.connected).toBe(true);
    expect(h.cb.stats.rtt).toBeUndefined();
    answerAfter(h, 70);
    await advance(1070);
    expect(h.cb.stats.rtt).toEqual({ last: 70, min: 70, smoothed: 70 });
    h.cb.end();
  });

  it('a connector that answers inside ping: onping, then onpong with rtt 0', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    recordHeartbeats(h);
    h.connector.onPing = (client) => h.cb.feedHeartbeat(client);
    await advance(1000);
    expect(h.events()).toEqual(['connect#1', 'ping', 'pong(0)']);
    h.cb.end();
  });

  it('no onping, no onpong and no stats.rtt when the connector has no ping method', async () => {
    const connector = new FakeConnector().script({ kind: 'resolve' });
    Object.assign(connector, { ping: undefined });
    const h = harness({ ...exact, keepalive: 1 }, connector);
    recordHeartbeats(h);
    await flush();
    // Without ping the peer's own data is the heartbeat: a tick finds one each time.
    for (let t = 0; t < 3500; t += 500) {
      h.cb.feedHeartbeat(h.cb.client);
      await advance(500);
    }
    expect(h.events()).toEqual(['connect#1']);
    expect(h.cb.stats.rtt).toBeUndefined();
    h.cb.end();
  });

  it('a ping that throws: onping, then its error and close', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    recordHeartbeats(h);
    h.connector.pingScript = 'throw';
    h.connector.script({ kind: 'pending' });
    await advance(1000);
    expect(h.events()).toEqual([
      'connect#1',
      'ping',
      'error:CONNBACK_PING_FAILED',
      'close(true)',
      'offline',
      'reconnect',
    ]);
    h.cb.end();
  });

  it('probe() resolves with the round trip of its ping; a ping already out counts from when it went out', async () => {
    const h = await connected({ ...exact, keepalive: 30, probeTimeout: 5000 });
    answerAfter(h, 60, 200);
    expect(await settleProbe(h, 60)).toBe(60);
    expect(h.cb.stats.rtt?.last).toBe(60);
    // The second ping is answered after 200 ms; a probe 50 ms after it went out rides on it.
    await advance(30_000 - 60);
    expect(h.connector.pings).toHaveLength(2);
    await advance(50);
    const answer = h.cb.probe();
    await advance(150);
    expect(await answer).toBe(200);
    expect(h.connector.pings).toHaveLength(2);
    h.cb.end();
  });
});

async function settleProbe(h: Harness, ms: number): Promise<number | false> {
  const answer = h.cb.probe();
  await advance(ms);
  return answer;
}

describe('semantic 15: listeners of onping and onpong call back in', () => {
  it('end() from onping: onend once, no pong, no timer left', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    recordHeartbeats(h);
    answerAfter(h, 10);
    h.cb.onping(() => h.cb.end());
    await advance(1000);
    expect(h.cb.ended).toBe(true);
    await advance(3000);
    expect(h.events()).toEqual(['connect#1', 'ping', 'close(false)', 'end']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reconnect() from onpong: the old client closes, a new one connects, its pings go on', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    recordHeartbeats(h);
    answerAfter(h, 10);
    const first = h.cb.client;
    let reconnects = 0;
    h.cb.onpong(() => {
      if (reconnects++ === 0) {
        h.connector.script({ kind: 'resolve' });
        void h.cb.reconnect();
      }
    });
    await advance(1010);
    await flush();
    expect(first?.open).toBe(false);
    expect(h.cb.connected).toBe(true);
    await advance(1010);
    expect(h.events()).toEqual([
      'connect#1',
      'ping',
      'pong(10)',
      'close(false)',
      'offline',
      'reconnect',
      'connect#2 (reconnect)',
      'ping',
      'pong(10)',
    ]);
    h.cb.end();
  });

  it('end() from onpong, and a heartbeat fed from another listener: no event after onend', async () => {
    const h = await connected({ ...exact, keepalive: 1 });
    recordHeartbeats(h);
    answerAfter(h, 10);
    h.cb.onpong(() => h.cb.end());
    h.cb.onclose(() => h.cb.feedHeartbeat());
    await advance(1010);
    await advance(2000);
    expect(h.events()).toEqual(['connect#1', 'ping', 'pong(10)', 'close(false)', 'end']);
    expect(vi.getTimerCount()).toBe(0);
  });
});

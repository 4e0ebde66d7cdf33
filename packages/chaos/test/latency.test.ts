import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/index.js';
import { EARLY, harness, SLACK, timeToReceive } from './support/harness.js';
import { silent, sleep, type Watched, waitFor } from './support/net.js';

/** When each `;`-terminated message was complete at `to`, in order. */
function messageTimes(to: Watched): number[] {
  const times: number[] = [];
  const text = to.text();
  let offset = 0;
  for (const arrival of to.arrivals) {
    offset += arrival.size;
    const complete = text.slice(0, offset).split(';').length - 1;
    while (times.length < complete) times.push(arrival.at);
  }
  return times;
}

describe('latency(ms, jitter)', () => {
  it('both ways (the default): a round trip through an echo server takes about 2 × ms, ± 2 × jitter', async () => {
    const h = await harness({ random: seededRandom(3) });
    try {
      const client = await h.client();
      const toxic = h.proxy.latency(100, 20);
      expect(toxic.spec).toEqual({ kind: 'latency', ms: 100, jitter: 20 });
      expect(toxic.directions).toEqual(['upstream', 'downstream']);
      for (const message of ['one', 'two', 'three']) {
        const rtt = await timeToReceive(client, client, message);
        expect(rtt).toBeGreaterThanOrEqual(2 * (100 - 20) - EARLY);
        expect(rtt).toBeLessThanOrEqual(2 * (100 + 20) + SLACK);
      }
      expect(client.text()).toBe('onetwothree');
    } finally {
      await h.close();
    }
  });

  it("on 'downstream' only: a round trip takes about 1 × ms", async () => {
    const h = await harness();
    try {
      const client = await h.client();
      h.proxy.latency(200, 0, { direction: 'downstream' });
      const rtt = await timeToReceive(client, client, 'ping');
      expect(rtt).toBeGreaterThanOrEqual(200 - EARLY);
      // Both ways would be 400 ms.
      expect(rtt).toBeLessThanOrEqual(200 + SLACK);
    } finally {
      await h.close();
    }
  });

  it('keeps the order of the data, whatever the jitter', async () => {
    const h = await harness({ random: seededRandom(9) });
    try {
      const client = await h.client();
      h.proxy.latency(60, 50);
      const sent: string[] = [];
      for (let i = 0; i < 10; i++) {
        sent.push(`m${i};`);
        client.socket.write(`m${i};`);
        await sleep(5);
      }
      const all = sent.join('');
      await waitFor(() => client.bytes >= all.length, 'every message echoed', 10_000);
      expect(client.text()).toBe(all);
    } finally {
      await h.close();
    }
  });

  // Regression: the delay was once slept per chunk after the previous one went out, so 8 messages
  // 30 ms apart arrived +100, +170, +240... ms after they were sent. Like toxiproxy, each chunk is
  // delayed by `ms` from when it arrived.
  it('delays every chunk of a stream by about ms from when it was sent (delays do not add up)', async () => {
    const h = await harness({ onConnection: silent });
    try {
      const { client, peer } = await h.pair();
      h.proxy.latency(100, 0, { direction: 'upstream' });
      const sentAt: number[] = [];
      for (let i = 0; i < 8; i++) {
        sentAt.push(performance.now());
        client.socket.write(`m${i};`);
        await sleep(30);
      }
      await waitFor(() => messageTimes(peer).length === 8, 'all 8 messages', 5000);
      const delays = messageTimes(peer).map((at, i) => Math.round(at - (sentAt[i] as number)));
      for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(100 - EARLY);
      expect(Math.max(...delays), `delays ${delays.join(', ')} ms`).toBeLessThanOrEqual(
        100 + SLACK,
      );
    } finally {
      await h.close();
    }
  });
});

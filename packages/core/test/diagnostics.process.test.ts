import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from '../../../test-support/run-node.js';

const child = fileURLToPath(new URL('./fixtures/diagnostics-child.mjs', import.meta.url));

/** Runs the child (the built package) in `mode` and parses its JSON line; killed after 15 s. */
async function runChild(mode: string): Promise<Record<string, unknown>> {
  const { code, out, err } = await runNode([child, mode], 15_000);
  expect(err).toBe('');
  expect(code).toBe(0);
  return JSON.parse(out) as Record<string, unknown>;
}

const ENDPOINT = 'ws://***:***@host-a.example:1/feed?token=***';

/** The attempt's five TracingChannel events; `outcome` is what asyncStart and asyncEnd carry. */
function attempt(n: number, outcome: Record<string, unknown>, error = false) {
  const at = { same: true, attempt: n, endpoint: ENDPOINT };
  return [
    { channel: 'attempt:start', same: true, attempt: n },
    { channel: 'attempt:end', ...at },
    ...(error ? [{ channel: 'attempt:error', ...at, ...outcome }] : []),
    { channel: 'attempt:asyncStart', ...at, ...outcome },
    { channel: 'attempt:asyncEnd', ...at, ...outcome },
  ];
}

const state = (from: string, to: string) => ({ channel: 'connback:state', same: true, from, to });

describe('diagnostics_channel, subscribed in a child process', () => {
  it('every channel gets its messages, in lifecycle order, each with the connback; the endpoint redacted', async () => {
    const { seen, rtt } = (await runChild('subscribed')) as {
      seen: { channel: string; rtt?: number }[];
      rtt: number;
    };
    // The child answers 30 ms after each ping on the event loop's clock, which was read when the
    // loop woke, before the ping's own timestamp: a round trip may read up to ~2 ms short (as the
    // tcp and ws round-trip tests allow).
    expect(rtt).toBeGreaterThanOrEqual(28);
    const pongs = seen.filter((m) => m.channel === 'connback:pong');
    expect(pongs).toHaveLength(2);
    for (const pong of pongs) {
      expect(pong.rtt).toBeGreaterThanOrEqual(28);
      expect(pong.rtt).toBeLessThan(1000);
      pong.rtt = 30;
    }
    expect(seen).toEqual([
      state('idle', 'connecting'),
      ...attempt(1, { error: 'refused' }, true),
      state('connecting', 'offline'),
      { channel: 'connback:error', same: true, error: 'refused' },
      state('offline', 'connecting'),
      ...attempt(2, { result: 1 }),
      state('connecting', 'connected'),
      { channel: 'connback:connect', same: true, client: 1, reconnect: false, attempt: 2 },
      { channel: 'connback:ping', same: true },
      { channel: 'connback:pong', same: true, rtt: 30 },
      state('connected', 'offline'),
      { channel: 'connback:error', same: true, error: 'boom' },
      { channel: 'connback:close', same: true, hasError: true },
      state('offline', 'connecting'),
      ...attempt(3, { result: 2 }),
      state('connecting', 'connected'),
      { channel: 'connback:connect', same: true, client: 2, reconnect: true, attempt: 3 },
      { channel: 'connback:ping', same: true },
      { channel: 'connback:pong', same: true, rtt: 30 },
      state('connected', 'ending'),
      { channel: 'connback:close', same: true, hasError: false },
      state('ending', 'ended'),
    ]);
  });

  it('a subscriber that throws breaks nothing: each throw is an uncaughtException of the process, the lifecycle goes on', async () => {
    const {
      uncaught,
      states,
      state: last,
    } = (await runChild('throwing')) as {
      uncaught: string[];
      states: string[];
      state: string;
    };
    const expected = [
      'idle>connecting',
      'connecting>offline',
      'offline>connecting',
      'connecting>connected',
      'connected>offline',
      'offline>connecting',
      'connecting>connected',
      'connected>ending',
      'ending>ended',
    ];
    expect(states).toEqual(expected);
    expect(last).toBe('ended');
    expect(uncaught).toEqual(expected.map((s) => `subscriber threw at ${s.split('>')[1]}`));
  });

  it('with no subscriber nothing is published (the guards ask hasSubscribers); one subscriber gets only its channel', async () => {
    const { published, asked, before } = (await runChild('none')) as {
      published: Record<string, number>;
      asked: number;
      before: Record<string, number>;
    };
    // Before the subscription: no publish and no runStores on any connback channel.
    expect(before).toEqual({ asked: expect.any(Number) });
    expect(before['asked']).toBeGreaterThan(10);
    // After it: the second connection's one pong, nothing else.
    expect(published).toEqual({ 'connback:pong': 1 });
    expect(asked).toBeGreaterThan(before['asked'] ?? 0);
  });
});

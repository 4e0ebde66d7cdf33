import { expect } from 'vitest';
import { recordFigure } from './figures.js';

/** The server's delay before it answers a ping, ms (the tcp and ws round-trip tests). */
export const PONG_DELAY = 150;
/** Timers fire late and loopback reads wait their turn on 2 noisy cores: a generous upper bound. */
const UPPER = PONG_DELAY + 100;
/**
 * The target, ±10 ms, held by the median (5 runs: every sample 151-155 ms); a single
 * late timer on a loaded machine moves one sample, not the median.
 */
const TARGET = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** What the round-trip checks read of a Connback. */
interface Measured {
  readonly stats: { readonly rtt?: { last: number; min: number; smoothed: number } | undefined };
  probe(): Promise<number | false>;
}

/**
 * Probes `connback` once more, then checks the round trips `onpong` gave and the probe's against
 * a server that answers {@link PONG_DELAY} ms late: each within [delay - 2, delay + 100], the
 * median within ±10 ms, and `stats.rtt` agreeing. Records the samples as figure `id`.
 */
export async function expectRoundTrips(
  connback: Measured,
  rtts: readonly number[],
  id: string,
  what: string,
): Promise<void> {
  const probed = await connback.probe();
  const all = [...rtts, probed === false ? Number.NaN : probed];
  recordFigure(id, `${what} round trips, server delay ${PONG_DELAY} ms`, all, 'ms');
  for (const rtt of all) {
    expect(rtt).toBeGreaterThanOrEqual(PONG_DELAY - 2);
    expect(rtt).toBeLessThanOrEqual(UPPER);
  }
  expect(Math.abs(median(all) - PONG_DELAY)).toBeLessThanOrEqual(TARGET);
  const stats = connback.stats.rtt;
  expect(stats?.min).toBeGreaterThanOrEqual(PONG_DELAY - 2);
  expect(stats?.smoothed).toBeGreaterThanOrEqual(PONG_DELAY - 2);
  expect(stats?.smoothed).toBeLessThanOrEqual(UPPER);
  expect(stats?.last).toBe(probed);
}

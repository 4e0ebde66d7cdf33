// The arithmetic behind BENCHMARKS.md: medians, ratios paired run by run, the raw client's
// backoff, and the verdicts of the table. A wrong ratio here would be a wrong claim there.
import { describe, expect, it, vi } from 'vitest';
import { equalJitter, RawBackoff } from '../src/policy.mjs';
import { renderTable } from '../src/report.mjs';
import { median, pairedRatio, summarize } from '../src/stats.mjs';

describe('stats', () => {
  it('median of odd and even counts, ignoring runs without a figure', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5, 1])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it('summarize gives median, min, max and the number of runs', () => {
    expect(summarize([2, 9, 4])).toEqual({ median: 4, min: 2, max: 9, runs: 3 });
  });

  it('pairedRatio is the median of the ratios of runs made side by side, not a ratio of medians', () => {
    // Run 2 was slow for both (a drifting machine): pairing cancels it.
    const raw = [10, 20, 10];
    const ours = [11, 22, 11];
    expect(pairedRatio(ours, raw)).toBeCloseTo(1.1);
    expect(pairedRatio([1, 2], [0, 1])).toBe(2);
  });
});

describe('the raw client backoff', () => {
  it('first retry at once, then the fibonacci sequence capped at maxDelay (jitter none)', () => {
    const backoff = new RawBackoff({
      strategy: 'fibonacci',
      jitter: 'none',
      initialDelay: 100,
      maxDelay: 450,
      delayFirstAttempt: false,
    });
    expect(Array.from({ length: 7 }, () => backoff.next())).toEqual([
      0, 100, 100, 200, 300, 450, 450,
    ]);
    backoff.reset();
    expect(backoff.next()).toBe(0);
  });

  it('exponential with delayFirstAttempt starts at initialDelay', () => {
    const backoff = new RawBackoff({
      strategy: 'exponential',
      jitter: 'none',
      initialDelay: 100,
      maxDelay: 1000,
      delayFirstAttempt: true,
    });
    expect(Array.from({ length: 5 }, () => backoff.next())).toEqual([100, 200, 400, 800, 1000]);
  });

  it('equal jitter draws from [delay / 2, delay]', () => {
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValueOnce(0).mockReturnValueOnce(0.999999);
    expect(equalJitter(1000)).toBe(500);
    expect(equalJitter(1000)).toBeCloseTo(1000, 2);
    random.mockRestore();
  });
});

describe('the table', () => {
  const size = { idleConns: 10, echoBytes: 2 ** 20, herdClients: 20, herdGiveUpMs: 1000 };
  const idle = (heap, cpu) => ({ heapPerConn: heap * 1024, rssPerConn: 1024, cpuPerMinute: cpu });
  const row = (table, start) => table.split('\n').find((line) => line.startsWith(`| ${start}`));

  it('judges a ratio target against raw measured in the same suite run', () => {
    const table = renderTable({
      size,
      experiments: {
        idle: {
          raw: [idle(2, 10), idle(2, 10), idle(2, 10)],
          '0.1.7': [idle(7, 12), idle(7, 12), idle(7, 12)],
          connback: [idle(2.8, 11.5), idle(3.2, 11.5), idle(2.9, 11.5)],
        },
      },
    });
    const heap = row(table, 'client heap');
    expect(heap).toContain('| 1.450 × |');
    expect(heap).toMatch(/\| yes \|$/);
    const cpu = row(table, 'client CPU');
    expect(cpu).toContain('| 1.150 × |');
    expect(cpu).toMatch(/\| \*\*no\*\* \|$/);
  });

  it('a run that never got every client back counts as a miss, and says so', () => {
    const herd = (back) => ({ peakAttemptsPer100ms: 100, allBackSeconds: back });
    const table = renderTable({
      size,
      experiments: {
        herd: {
          raw: [herd(1), herd(1), herd(1)],
          '0.1.7': [herd(Number.NaN), herd(Number.NaN), herd(Number.NaN)],
          connback: [herd(1.2), herd(Number.NaN), herd(1.1)],
        },
      },
    });
    const back = row(table, 'herd: time until');
    expect(back).toContain('not all back in 1 s');
    expect(back).toContain('(1 of 3 runs: not all back in 1 s)');
    expect(back).toMatch(/\| \*\*no\*\* \|$/);
  });

  it('"every trial" bounds the worst trial, not the median', () => {
    const trial = (seconds) => ({ detectSeconds: seconds, healthyAfter: true });
    const table = renderTable({
      size,
      experiments: {
        halfOpen: {
          raw: [trial(1.5)],
          '0.1.7': [trial(1.5)],
          connback: [trial(1.2), trial(1.3), trial(2.1)],
        },
      },
    });
    expect(row(table, 'half-open')).toMatch(/\| \*\*no\*\* \|$/);
    expect(row(table, 'healthy again')).toContain('| 3/3 |');
  });

  it('the ws table: columns raw ws loop, connback ws and ReconnectingWebSocket, each judged against the raw ws loop of its own run', () => {
    const results = {
      size,
      experiments: {
        idle: { raw: [idle(2, 10)], '0.1.7': [idle(7, 12)], connback: [idle(3, 11)] },
        wsIdle: {
          'ws-raw': [idle(5, 10), idle(6, 10), idle(5, 10)],
          'ws-connback': [idle(6, 11), idle(7.5, 11), idle(6.4, 11)],
          'ws-socket': [idle(7, 12), idle(8.4, 12), idle(6.8, 12)],
        },
      },
    };
    const ws = renderTable(results, 'ws');
    expect(ws.split('\n')[0]).toBe(
      '| figure | raw `ws` loop (floor) | connback ws | ReconnectingWebSocket | connback ws / raw | ReconnectingWebSocket / raw | target | met (connback ws) | met (ReconnectingWebSocket) |',
    );
    const heap = row(ws, 'ws client heap');
    // Ratios 1.2, 1.25, 1.28 (median 1.25) and 1.4, 1.4, 1.36 (median 1.4).
    expect(heap).toContain('| 1.250 × | 1.400 × | ≤ 1.3 × raw | yes | **no** |');
    expect(heap).toContain('| 5.00 KB [5.00–6.00] |');
    // The ws rows stay out of the TCP table, and the TCP rows out of the ws table.
    expect(renderTable(results)).not.toContain('ws client');
    expect(ws).not.toContain('| client heap');
  });

  it('no ws rows measured: no ws table', () => {
    expect(renderTable({ size, experiments: { idle: { raw: [idle(2, 10)] } } }, 'ws')).toBe('');
  });

  it('an allocation that could not be measured (null in the results) is a failed run, not 0 KB', () => {
    const cycle = (bytes) => ({ microseconds: 2, bytes });
    const table = renderTable({
      size,
      experiments: {
        create: {
          raw: [cycle(1024), cycle(1024)],
          '0.1.7': [cycle(8192), cycle(8192)],
          connback: [cycle(null), cycle(2048)],
        },
      },
    });
    const allocation = row(table, 'framework allocation to create');
    expect(allocation).not.toContain('0.00 KB');
    expect(allocation).toContain('(1 of 2 runs: failed)');
    expect(allocation).toMatch(/\| \*\*no\*\* \|$/);
    expect(row(table, 'framework time to create')).toContain('| 1.000 × |');
  });
});

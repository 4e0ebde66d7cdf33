import { afterEach, describe, expect, it } from 'vitest';
import { killStrays, runCli } from './run-cli.js';

afterEach(() => killStrays());

describe('connback demo', () => {
  it('goes through every fault, prints the summary and exits 0 by itself within 30 s', async () => {
    const started = performance.now();
    const run = runCli(['demo']);
    const code = await run.exitWithin(40_000);
    const seconds = (performance.now() - started) / 1000;
    expect(code).toBe(0);
    expect(seconds).toBeLessThan(30);
    const out = run.stdout();
    for (const fault of ['drops the connection', 'goes down', 'hangs', 'refuses connections']) {
      expect(out).toContain(fault);
    }
    const figure = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(out)?.[1]);
    expect(figure('drops survived')).toBeGreaterThanOrEqual(3);
    expect(figure('reconnects')).toBeGreaterThanOrEqual(3);
    expect(figure('half-open detections')).toBeGreaterThanOrEqual(1);
    expect(figure('messages sent')).toBeGreaterThan(150);
    expect(figure('sent while down')).toBeGreaterThan(0);
    // What was written while the connection was down was held, then delivered after a reconnect.
    const down = /sent while down:\s+(\d+), delivered after the reconnect: (\d+)/.exec(out);
    expect(Number(down?.[2])).toBe(Number(down?.[1]));
    // The lifecycle went to standard error, as with connback <url>.
    expect(run.stderr()).toContain('heartbeat missed');
    expect(run.stderr()).toContain('reconnected to tcp://127.0.0.1:');
  });
});

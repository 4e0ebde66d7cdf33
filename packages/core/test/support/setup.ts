import { afterEach, beforeEach, expect, vi } from 'vitest';
import { takeHarnesses } from './harness.js';

/**
 * The after-each check shared by every core test: it fails a test that leaves a timer, an open
 * fake client, a broken event rule or an unhandled rejection behind. Tests that spawn processes
 * (`*.process.test.ts`) run on real time and only get the rejection check.
 */
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
process.on('unhandledRejection', onRejection);

function usesRealTime(): boolean {
  return /\.process\.test\.ts$/.test(expect.getState().testPath ?? '');
}

beforeEach(() => {
  rejections.length = 0;
  if (!usesRealTime()) vi.useFakeTimers();
});

afterEach(async () => {
  const problems: string[] = [];
  if (!usesRealTime()) {
    // Let pending promise callbacks settle before counting what is left.
    await vi.advanceTimersByTimeAsync(0);
    const timers = vi.getTimerCount();
    if (timers > 0) problems.push(`${timers} timer(s) left behind`);
    for (const h of takeHarnesses()) {
      const open = h.connector.openClients.length;
      if (open > 1) problems.push(`${open} fake clients open at once`);
      if (open > 0 && !h.cb.connected)
        problems.push(`${open} fake client(s) open while ${h.cb.state}`);
      if (h.connector.inFlight.length > 1) problems.push('two connect attempts in flight');
      for (const v of h.violations) problems.push(`rule broken: ${v}`);
      if (h.cb.state !== 'ended' && h.cb.state !== 'failed' && h.cb.state !== 'idle') {
        problems.push(`Connback left ${h.cb.state}: end() it`);
      }
    }
    vi.clearAllTimers();
    vi.useRealTimers();
  }
  // Rejections are reported after the microtask queue drains: give them one macrotask.
  await new Promise((resolve) => setImmediate(resolve));
  for (const reason of rejections) problems.push(`unhandled rejection: ${String(reason)}`);
  rejections.length = 0;
  expect(problems, 'after-each check').toEqual([]);
});

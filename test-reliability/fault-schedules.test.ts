import { afterAll, describe, it } from 'vitest';
import {
  describeFault,
  generateSchedule,
  RECOVERY_BOUND_MS,
  runSchedule,
  type Schedule,
  type ScheduleResult,
} from './schedules.js';
import { figure, round } from './support.js';

/**
 * R2: random fault schedules on loopback through the chaos proxy. SCHEDULES (default 200)
 * schedules per run; schedule i uses the seed SEED + i, and each test's name shows its seed:
 * `SEED=<seed> SCHEDULES=1 npm run test:reliability -- fault-schedules` replays that schedule.
 */
const SCHEDULES = Number(process.env['SCHEDULES'] ?? 200);
const seed =
  process.env['SEED'] === undefined
    ? Math.floor(Math.random() * 2 ** 32)
    : Number(process.env['SEED']);
console.log('fault schedules: seed', seed);

/**
 * Seeds of schedules that once failed, replayed first on every run. A failing seed goes here as
 * a named entry (what broke, and the fix), e.g. `{ seed: 123, why: 'stale close cleared the timer' }`.
 */
const regressions: readonly { seed: number; why: string }[] = [];

const results: ScheduleResult[] = [];

function title(schedule: Schedule, label: string): string {
  const faults = schedule.faults.map(describeFault).join(' → ');
  return `${label} seed ${schedule.seed}: [${faults}] then heal: connected and echoing within ${RECOVERY_BOUND_MS} ms, never two client sockets open, no leak after end()`;
}

describe('random fault schedules (R2)', () => {
  for (const { seed: regressionSeed, why } of regressions) {
    const schedule = generateSchedule(regressionSeed);
    it(title(schedule, `regression (${why})`), async () => {
      await runSchedule(schedule);
    });
  }

  for (let i = 0; i < SCHEDULES; i += 1) {
    const schedule = generateSchedule((seed + i) >>> 0);
    it(title(schedule, `schedule ${i + 1}/${SCHEDULES}`), async () => {
      results.push(await runSchedule(schedule));
    });
  }

  afterAll(() => {
    if (results.length === 0) return;
    const recoveries = results.map((r) => r.recovery).sort((a, b) => a - b);
    const at = (q: number) =>
      recoveries[Math.min(recoveries.length - 1, Math.floor(q * recoveries.length))] as number;
    figure('R2', `schedules run (base seed ${seed})`, results.length, 'schedules');
    figure(
      'R2',
      `recovery after the heal (bound ${RECOVERY_BOUND_MS} ms): median, p95, max`,
      round([at(0.5), at(0.95), recoveries.at(-1) as number]),
      'ms',
    );
    figure(
      'R2',
      'connect attempts over all schedules',
      results.reduce((sum, r) => sum + r.attempts, 0),
      'attempts',
    );
  });
});

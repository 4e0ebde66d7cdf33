import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { recordFigure } from '../../../test-support/figures.js';
import { escaped, verify } from './model/checks.js';
import {
  Advance,
  Arm,
  Beat,
  Close,
  Drop,
  End,
  NextTimer,
  Ping,
  Reconnect,
  Script,
  Settle,
  Stale,
  UserCall,
} from './model/commands.js';
import {
  CALLS,
  coverage,
  createReal,
  type Model,
  type ModelOptions,
  PLACES,
  type Real,
} from './model/system.js';
import type { CloseScript, PingScript } from './support/fake-connector.js';
import { flush } from './support/harness.js';

/**
 * Model-based tests: random sequences of user calls, transport signals, connector outcomes and
 * fake time over the fake connector, with the invariants checked after every command.
 *
 * R1: semantics 1, 2, 6 (attempt accounting), 7 (dead-peer window), 8, 9, 10 and 13. The model
 * only holds what the commands imply (where end() and reconnect() happened, the last sign of life
 * of the live client); everything else is checked against the event log, the fake connector's
 * ledger and the fake clock. Full jitter draws from a generated list, so every counterexample
 * replays exactly.
 *
 * R10: the same, re-entered. Its commands also arm hooks: one-shot actions that run at the next
 * place connback calls out to — any listener, onstatechange, the connector's connect, close,
 * ping, canPing and retryable, the attempt token's listeners, retry, the strategy, the jitter, a
 * thenable's then — and there call end(), end(true), reconnect(), start(), ready() or a feed,
 * or throw. Connect also returns hostile thenables. After every command, semantics 1, 2, 9, 10,
 * 13 and 15 are checked, the last over the whole log: every state change continues from the last
 * one and is followed by its own event, nothing of an episode follows its onend, an end() is never
 * undone, and no promise is left waiting once connected, ended or failed.
 */

// ---------------------------------------------------------------- arbitraries

const optionsArb: fc.Arbitrary<ModelOptions> = fc
  .record({
    keepalive: fc.constantFrom(0, 0.5, 1),
    connectTimeout: fc.constantFrom(0, 300, 1000),
    initialDelay: fc.integer({ min: 100, max: 500 }),
    extraDelay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2500 })),
    maxNumOfAttempts: fc.oneof(
      fc.constant(Number.POSITIVE_INFINITY),
      fc.integer({ min: 1, max: 5 }),
    ),
    minUptime: fc.constantFrom(0, 200, 1000),
    jitter: fc.constantFrom('none' as const, 'full' as const),
  })
  .map(({ extraDelay, ...o }) => ({
    ...o,
    maxDelay: o.initialDelay + extraDelay,
    strategy: 'fibonacci' as const,
    lazyConnect: false as const,
  }));

/** What Math.random returns, in turn (full jitter): extremes included, and replayable. */
const randomsArb = fc.array(
  fc.oneof(
    fc.constantFrom(0, 0.5, 0.999_999),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  ),
  { minLength: 1, maxLength: 6 },
);

/** Exact option values (keepalive, 2 × keepalive, connectTimeout, minUptime) and their neighbours. */
const boundaries = [
  0, 1, 99, 100, 199, 200, 201, 299, 300, 301, 499, 500, 501, 999, 1000, 1001, 1999, 2000, 2001,
];

type CommandArb = fc.Arbitrary<fc.AsyncCommand<Model, Real>>;

/** The command mix: each arbitrary repeated `weight` times (fc.commands picks uniformly). */
function weighted(...entries: [weight: number, arb: CommandArb][]): CommandArb[] {
  return entries.flatMap(([weight, arb]) => Array.from({ length: weight }, () => arb));
}

/** The commands of R1: users, transports, connectors and time; nobody re-enters. */
const commandArbs = weighted(
  [1, fc.boolean().map((force) => new End(force))],
  [1, fc.constant(new Reconnect())],
  [
    3,
    fc
      .tuple(
        fc.constantFrom('error' as const, 'close' as const),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.boolean(), { nil: undefined }),
      )
      .map(([kind, hasError, scoped, echo]) => new Drop(kind, hasError, scoped, echo)),
  ],
  [
    2,
    fc
      .tuple(
        fc.constantFrom<'error' | 'close' | 'heartbeat'>(
          'error',
          'close',
          'heartbeat',
          'heartbeat',
        ),
        fc.nat(20),
        fc.boolean(),
      )
      .map(([kind, pick, hasError]) => new Stale(kind, pick, hasError)),
  ],
  [2, fc.boolean().map((scoped) => new Beat(scoped))],
  [3, fc.integer({ min: 0, max: 3000 }).map((ms) => new Advance(ms))],
  [2, fc.constantFrom(...boundaries).map((ms) => new Advance(ms))],
  [2, fc.constant(new NextTimer())],
  [
    3,
    fc
      .constantFrom('resolve' as const, 'resolve' as const, 'reject' as const)
      .map((outcome) => new Settle('newest', outcome, 0)),
  ],
  [
    1,
    fc
      .tuple(fc.constantFrom('resolve' as const, 'reject' as const), fc.nat(20))
      .map(([o, pick]) => new Settle('older', o, pick)),
  ],
  [1, fc.constantFrom<PingScript>('ok', 'throw', 'reject').map((script) => new Ping(script))],
  [
    1,
    fc
      .constantFrom<CloseScript>('ok', 'throw', 'reject', 'hang')
      .map((script) => new Close(script)),
  ],
  [
    2,
    fc
      .constantFrom('throw' as const, 'reject' as const, 'resolve' as const, 'resolve' as const)
      .map((kind) => new Script(kind)),
  ],
);

const hostileKinds = [
  'then-throws',
  'then-getter-throws',
  'then-resolves-at-once',
  'then-resolves-then-throws',
  'then-rejects-at-once',
  'foreign-pending',
] as const;

/** R10: the R1 options, with a strategy and a jitter that call out to the hooks too. */
const reentrantOptionsArb: fc.Arbitrary<ModelOptions> = fc
  .tuple(
    optionsArb,
    fc.constantFrom('none' as const, 'full' as const, 'hooked' as const),
    fc.constantFrom('fibonacci' as const, 'hooked' as const),
  )
  .map(([o, jitter, strategy]) => ({ ...o, jitter, strategy }));

/** R10: the R1 mix, plus hooks, hostile thenables, ready() and start(). */
const reentrantCommandArbs = [
  ...commandArbs,
  ...weighted(
    [
      6,
      fc
        .tuple(
          fc.constantFrom(...PLACES),
          fc.array(fc.constantFrom(...CALLS), { minLength: 1, maxLength: 2 }),
        )
        .map(([place, calls]) => new Arm(place, calls)),
    ],
    [2, fc.constantFrom(...hostileKinds).map((kind) => new Script(kind))],
    [1, fc.constantFrom('ready' as const, 'start' as const).map((call) => new UserCall(call))],
  ),
];

const MAX_COMMANDS = 40;
const sequencesArb = fc.commands(commandArbs, { maxCommands: MAX_COMMANDS, size: 'max' });
const reentrantSequencesArb = fc.commands(reentrantCommandArbs, {
  maxCommands: MAX_COMMANDS,
  size: 'max',
});

// ---------------------------------------------------------------- the properties

const onEscaped = (reason: unknown) => escaped.push(reason);
const seedText = process.env['CONNBACK_MODEL_SEED'];
const seed = seedText === undefined || seedText === '' ? undefined : Number(seedText);

async function runSequence(
  reentrant: boolean,
  options: ModelOptions,
  randoms: readonly number[],
  commands: Iterable<fc.AsyncCommand<Model, Real>>,
): Promise<void> {
  // A clean clock even after a failing run (shrinking replays many).
  vi.clearAllTimers();
  escaped.length = 0;
  let turn = 0;
  const random = vi
    .spyOn(Math, 'random')
    .mockImplementation(() => randoms[turn++ % randoms.length] ?? 0);
  const model: Model = {
    options,
    reentrant,
    endMark: undefined,
    replaced: new Set(),
    life: undefined,
  };
  const real = createReal(model);
  try {
    await flush(); // the eager first attempt
    verify(model, real);
    await fc.asyncModelRun(() => ({ model, real }), commands);
    // Every run finishes with end(): 10 and 13 once more, and nothing for the after-each check.
    await new End(false).run(model, real);
  } catch (error) {
    // Reported by this property (with the shrunk sequence); the after-each check would repeat it.
    real.h.violations.length = 0;
    throw error;
  } finally {
    real.hooks.length = 0;
    for (let tries = 0; real.h.cb.state !== 'ended' && tries < 5; tries++) real.h.cb.end(true);
    await flush();
    random.mockRestore();
  }
}

/** Runs a property with escaped rejections and exceptions counted as violations. */
async function property(
  reentrant: boolean,
  numRuns: number,
  options: fc.Arbitrary<ModelOptions>,
  sequences: fc.Arbitrary<Iterable<fc.AsyncCommand<Model, Real>>>,
): Promise<void> {
  process.on('unhandledRejection', onEscaped);
  process.on('uncaughtException', onEscaped);
  try {
    await fc.assert(
      fc.asyncProperty(options, randomsArb, sequences, (o, randoms, commands) =>
        runSequence(reentrant, o, randoms, commands),
      ),
      // A fixed seed replays a run exactly (scripts/mutants.mjs measures with seeds 1, 2, 3...).
      seed === undefined ? { numRuns } : { numRuns, seed },
    );
  } finally {
    process.off('unhandledRejection', onEscaped);
    process.off('uncaughtException', onEscaped);
  }
}

const R1_RUNS = 3000;
const R10_RUNS = 2000;

describe('model-based: random command sequences over the fake connector and fake time', () => {
  it('model (R1): semantics 1, 2, 6, 7, 8, 9, 10, 13 hold over 3,000 random command sequences', async () => {
    await property(false, R1_RUNS, optionsArb, sequencesArb);
    recordFigure(
      'R1',
      'model-based command sequences run with 0 invariant violations',
      R1_RUNS,
      'sequences',
    );
  }, 120_000);

  it('re-entrant model (R10): semantics 1, 2, 9, 10, 13, 15 hold over 2,000 sequences whose hooks call back in at every place connback calls out', async () => {
    const started = performance.now();
    coverage.places.clear();
    coverage.calls.clear();
    await property(true, R10_RUNS, reentrantOptionsArb, reentrantSequencesArb);
    const seconds = (performance.now() - started) / 1000;
    // The hooks did re-enter, at every place and with every call (counted over all sequences).
    const rare = (counts: Map<string, number>, names: readonly string[]) =>
      names.filter((name) => (counts.get(name) ?? 0) < 20);
    expect(rare(coverage.places, PLACES), 'places where fewer than 20 hooks fired').toEqual([]);
    expect(rare(coverage.calls, CALLS), 'calls made by fewer than 20 hooks').toEqual([]);
    recordFigure(
      'R10',
      're-entrant model sequences run with 0 violations of semantic 15',
      R10_RUNS,
      'sequences',
    );
    recordFigure('R10', 'time for those sequences', seconds, 's');
  }, 120_000);
});

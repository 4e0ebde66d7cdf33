// R8 and R10, the mutation check: re-introduces each bug class of RELIABILITY.md into a copy of
// @connback/core, runs the core test suite against the copy, and reports which tests caught it.
// The R10 group puts back the re-entrancy and hostile-thenable defects of issue 12; for those
// the re-entrant model (R10) must catch each one, and the script records how many sequences it
// needed (seed 1 in the suite run, then seeds 2..N in runs of the model alone, `--seeds N`,
// default 3). Every mutant must be caught; the exit code is 1 otherwise.
// `npm run mutants [-- --json FILE] [-- --seeds N] [-- --only=R10]`.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const core = path.join(root, 'packages/core');
const work = path.join(root, '.mutants');

/** Each mutant: its group, the file, an exact piece of it, and what replaces it. */
const mutants = [
  {
    group: 'R8',
    id: 'late-client-not-closed',
    what: 'a client that arrives after its attempt was cancelled is left open',
    file: 'src/transitions.ts',
    find: `      if (client !== undefined && client !== null) closeClient(this.connector, client, true, this);`,
    replace: `      if (client !== undefined && client !== null) void 0;`,
  },
  {
    group: 'R8',
    id: 'ping-timer-not-cleared-on-close',
    what: "the heartbeat timer of a connection survives the connection's close",
    file: 'src/connection.ts',
    find: `    this.#heartbeat?.stop();
    closeClient(connector, this.client, force, this.#host);`,
    replace: `    closeClient(connector, this.client, force, this.#host);`,
  },
  {
    group: 'R8',
    id: 'reconnect-on-both-error-and-close',
    what: 'the close that follows an error schedules a second reconnection',
    file: 'src/machine.ts',
    find: `  feedClose(hasError: boolean, client: T | undefined): void {
    const live = this.#liveFor(client);`,
    replace: `  feedClose(hasError: boolean, client: T | undefined): void {
    const s = this.current;
    if (s.name === 'offline' || s.name === 'connecting') {
      this.reconnect(undefined);
      return;
    }
    const live = this.#liveFor(client);`,
  },
  {
    group: 'R8',
    id: 'stale-close-clears-the-timer',
    what: 'a close from a replaced client stops the live connection’s heartbeat',
    file: 'src/machine.ts',
    find: `  feedClose(hasError: boolean, client: T | undefined): void {
    const live = this.#liveFor(client);`,
    replace: `  feedClose(hasError: boolean, client: T | undefined): void {
    const s = this.current;
    if (s.name === 'connected' && client !== undefined && client !== s.client) {
      s.release({ close() {} } as never, true);
      return;
    }
    const live = this.#liveFor(client);`,
  },
  // R10: the defects of issue 12, each the undoing of one rule of semantics 15 and 16.
  {
    group: 'R10',
    id: 'token-fires-before-the-state-is-stored',
    what: 'reconnect() cancels the replaced attempt before it stores the new one: an end() from a token listener is undone',
    file: 'src/transitions.ts',
    find: `    const all = ++this.counters.attempts;
    this.#state = attempt;`,
    replace: `    const all = ++this.counters.attempts;
    this.#release(prev, ErrorCode.Cancelled, true);
    this.#state = attempt;`,
  },
  {
    group: 'R10',
    id: 'end-releases-before-ending',
    what: 'end() cancels the attempt before it stores ending: a reconnect() from a token listener is orphaned',
    file: 'src/transitions.ts',
    find: `    this.#outage = false;
    this.#state = ENDING;`,
    replace: `    this.#outage = false;
    this.#release(prev, ErrorCode.Ended, force);
    this.#state = ENDING;`,
  },
  {
    group: 'R10',
    id: 'drop-announces-after-close',
    what: 'a drop posts onerror and onclose after connector.close: an end() from close comes first',
    file: 'src/transitions.ts',
    find: `    this.announceState('connected', 'offline');
    if (error !== undefined) this.announceError(error);
    this.announceClose(hasError);
    this.#release(prev, ErrorCode.Cancelled, true);`,
    replace: `    this.#release(prev, ErrorCode.Cancelled, true);
    this.announceState('connected', 'offline');
    if (error !== undefined) this.announceError(error);
    this.announceClose(hasError);`,
  },
  {
    group: 'R10',
    id: 'feed-does-not-deliver-first',
    what: 'a feed from a listener takes effect before the events owed: onstatechange drops a connection before its onconnect',
    file: 'src/machine.ts',
    find: `    this.pay();
    step.call(this, live, a);`,
    replace: `    step.call(this, live, a);`,
  },
  {
    group: 'R10',
    id: 'calls-during-a-delivery-do-not-wait',
    what: 'a call made while another call delivers what is owed takes effect first: an end() is undone',
    file: 'src/announcer.ts',
    find: `      (this.#outbox !== undefined && this.#outbox.paying > 0) ||
`,
    replace: ``,
  },
  {
    group: 'R10',
    id: 'calls-during-end-do-not-wait',
    what: 'a reconnect() from a listener of end() takes effect inside it: ended with an attempt in flight',
    file: 'src/announcer.ts',
    find: `      (this.#waiting !== undefined && this.#waiting.length > 0) ||
      this.ending`,
    replace: `      (this.#waiting !== undefined && this.#waiting.length > 0)`,
  },
  {
    group: 'R10',
    id: 'thenable-then-called-unguarded',
    what: 'a thenable from connect is followed by calling its then directly: a then that throws escapes',
    file: 'src/attempt.ts',
    find: `    const promise = promiseOf(value);
    if (promise === undefined) {
      this.#host.settled(this, value as T, undefined);`,
    replace: `    const then = (value as { then?: unknown } | null | undefined)?.then;
    if (typeof then === 'function') {
      then.call(
        value,
        (client: T) => this.#host.settled(this, client, undefined),
        (thrown: unknown) => this.#host.settled(this, undefined, toError(thrown)),
      );
      return;
    }
    const promise = promiseOf(value);
    if (promise === undefined) {
      this.#host.settled(this, value as T, undefined);`,
  },
  {
    group: 'R10',
    id: 'then-getter-read-unguarded',
    what: 'the then of a connector result is read outside the try: a throwing getter throws from reconnect()',
    file: 'src/results.ts',
    find: `  try {
    if (typeof (value as { then?: unknown }).then !== 'function') return undefined;
    return Promise.resolve(value);`,
    replace: `  if (typeof (value as { then?: unknown }).then !== 'function') return undefined;
  try {
    return Promise.resolve(value);`,
  },
  {
    group: 'R10',
    id: 'jitter-throw-escapes',
    what: 'a jitter function that throws is not caught: the throw escapes and no attempt follows',
    file: 'src/backoff.ts',
    find: `    let jittered: number;
    try {
      jittered = jitterOf(o.jitter)(capped);
    } catch (thrown) {
      if (sink === undefined) throw thrown;
      sink.reportThrown(thrown, 'the jitter function');
      jittered = capped;
    }`,
    replace: `    const jittered: number = jitterOf(o.jitter)(capped);`,
  },
  {
    group: 'R10',
    id: 'strategy-throw-escapes',
    what: 'a strategy whose next() throws is not caught: the throw escapes and no attempt follows',
    file: 'src/backoff.ts',
    find: `    } catch (thrown) {
      if (sink === undefined) throw thrown;
      sink.reportThrown(thrown, 'the backoff strategy');
      capped = o.maxDelay;
    }`,
    replace: `    } catch (thrown) {
      throw thrown;
    }`,
  },
];

const seedsAt = process.argv.indexOf('--seeds');
const SEEDS = seedsAt > 0 ? Number(process.argv[seedsAt + 1]) : 3;
const onlyGroup = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const R10_TITLE = 're-entrant model (R10)';
const R1_TITLE = 'model (R1)';

function copyCore() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const copy = path.join(work, 'core');
  for (const part of ['src', 'test', 'package.json']) {
    cpSync(path.join(core, part), path.join(copy, part), { recursive: true });
  }
  // The copy resolves core's own dependencies (@jil/*) through the real package's node_modules.
  symlinkSync(path.join(core, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  // The *.process tests run the built package in a child process, not this copy: left out.
  writeFileSync(
    path.join(copy, 'vitest.config.mjs'),
    `export default { test: { include: ['test/**/*.test.ts'], exclude: ['test/**/*.process.test.ts'], setupFiles: ['test/support/setup.ts'], testTimeout: 20000 } };\n`,
  );
  return copy;
}

/**
 * Runs the core suite on `copy` (or only the tests matching `filter`) with the model's seed;
 * returns the titles of the failing tests and, for a failing model, how many sequences it ran.
 */
function runSuite(copy, { seed = 1, files = [], filter } = {}) {
  const report = path.join(work, 'report.json');
  rmSync(report, { force: true });
  spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--root',
      copy,
      '--config',
      path.join(copy, 'vitest.config.mjs'),
      '--reporter=json',
      `--outputFile=${report}`,
      ...files,
      ...(filter === undefined ? [] : ['-t', filter]),
    ],
    {
      cwd: root,
      stdio: 'ignore',
      timeout: 600_000,
      env: { ...process.env, CONNBACK_MODEL_SEED: String(seed), CONNBACK_FIGURES: '' },
    },
  );
  if (!existsSync(report)) throw new Error('the suite produced no report');
  const results = JSON.parse(readFileSync(report, 'utf8'));
  const failed = [];
  const sequences = {};
  for (const file of results.testResults) {
    for (const test of file.assertionResults) {
      for (const title of [R10_TITLE, R1_TITLE]) {
        // A model that ran and passed found nothing (null); one that never ran stays undefined.
        if (test.fullName.includes(title) && test.status === 'passed') sequences[title] = null;
      }
      if (test.status !== 'failed') continue;
      failed.push(`${path.basename(file.name)} › ${test.fullName}`);
      // fast-check: "Property failed after N tests" (N sequences, the failing one included).
      const found = /Property failed after (\d+) tests/.exec(test.failureMessages.join('\n'));
      for (const title of [R10_TITLE, R1_TITLE]) {
        if (test.fullName.includes(title)) sequences[title] = found ? Number(found[1]) : null;
      }
    }
  }
  return { failed, total: results.numTotalTests, sequences };
}

const jsonAt = process.argv.indexOf('--json');
const outcome = [];
try {
  const baseline = runSuite(copyCore());
  if (baseline.failed.length > 0) {
    console.error(`the unmutated copy already fails: ${baseline.failed.join('; ')}`);
    process.exit(2);
  }
  console.log(`core suite: ${baseline.total} tests, all passing on the unmutated copy\n`);
  for (const mutant of mutants) {
    if (onlyGroup !== undefined && mutant.group !== onlyGroup) continue;
    const copy = copyCore();
    const file = path.join(copy, mutant.file);
    const source = readFileSync(file, 'utf8');
    if (!source.includes(mutant.find)) {
      throw new Error(
        `mutant ${mutant.id}: its anchor is no longer in ${mutant.file}; update the script`,
      );
    }
    writeFileSync(file, source.replace(mutant.find, mutant.replace));
    const { failed, sequences } = runSuite(copy);
    const result = { group: mutant.group, id: mutant.id, what: mutant.what, caughtBy: failed };
    if (mutant.group === 'R10') {
      // The model alone, with more seeds: how many sequences it needs to find the defect.
      const needed = [sequences[R10_TITLE] ?? null];
      for (let seed = 2; seed <= SEEDS; seed++) {
        // -t takes a pattern: 'R10' picks the re-entrant model alone.
        const run = runSuite(copy, { seed, files: ['test/model.test.ts'], filter: 'R10' });
        if (run.sequences[R10_TITLE] === undefined) throw new Error('the R10 model did not run');
        needed.push(run.sequences[R10_TITLE]);
      }
      result.r10Sequences = needed;
      result.caughtByR1 = typeof sequences[R1_TITLE] === 'number';
    }
    outcome.push(result);
    console.log(`${failed.length > 0 ? 'caught  ' : 'SURVIVED'} ${mutant.id}: ${mutant.what}`);
    for (const title of failed.slice(0, 5)) console.log(`           by ${title}`);
    if (failed.length > 5) console.log(`           and ${failed.length - 5} more tests`);
    if (result.r10Sequences) {
      const shown = result.r10Sequences.map((n) => (n === null ? 'not found' : n)).join(', ');
      console.log(`           R10 model: found after ${shown} sequences (seeds 1..${SEEDS})`);
      console.log(`           R1 model: ${result.caughtByR1 ? 'found it too' : 'did not find it'}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1], JSON.stringify(outcome, null, 2));
// An R10 mutant the re-entrant model misses with any seed counts as surviving it.
const survivors = outcome.filter(
  (m) => m.caughtBy.length === 0 || m.r10Sequences?.some((n) => n === null),
);
console.log(`\n${outcome.length - survivors.length} of ${outcome.length} mutants caught`);
process.exitCode = survivors.length === 0 ? 0 : 1;

// R8, the mutation check: re-introduces each bug class of RELIABILITY.md into a copy of
// @connback/core, runs the core test suite against the copy, and reports which tests caught it.
// Every mutant must be caught; the exit code is 1 otherwise. `npm run mutants [-- --json FILE]`.
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

/** Each mutant: the file, an exact piece of it, and what replaces it. */
const mutants = [
  {
    id: 'late-client-not-closed',
    what: 'a client that arrives after its attempt was cancelled is left open',
    file: 'src/connback.ts',
    find: `      if (error === undefined && client !== undefined && client !== null) {
        this.#closeClient(client, true);
      }`,
    replace: `      if (error === undefined && client !== undefined && client !== null) {
      }`,
  },
  {
    id: 'ping-timer-not-cleared-on-close',
    what: "the heartbeat timer of a connection survives the connection's close",
    file: 'src/connback.ts',
    find: `      case 'connected':
        state.heartbeat?.stop();
        break;`,
    replace: `      case 'connected':
        break;`,
  },
  {
    id: 'reconnect-on-both-error-and-close',
    what: 'the close that follows an error schedules a second reconnection',
    file: 'src/connback.ts',
    find: `  feedClose(hasError = false, client?: T): void {
    const s = this.#state;`,
    replace: `  feedClose(hasError = false, client?: T): void {
    const s = this.#state;
    if (s.name === 'offline' || s.name === 'connecting') {
      this.#attempt(true);
      return;
    }`,
  },
  {
    id: 'stale-close-clears-the-timer',
    what: 'a close from a replaced client stops the live connection’s heartbeat',
    file: 'src/connback.ts',
    find: `  feedClose(hasError = false, client?: T): void {
    const s = this.#state;
    if (s.name !== 'connected' || (client !== undefined && client !== s.client)) return;`,
    replace: `  feedClose(hasError = false, client?: T): void {
    const s = this.#state;
    if (s.name !== 'connected') return;
    if (client !== undefined && client !== s.client) {
      s.heartbeat?.stop();
      return;
    }`,
  },
];

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

/** Runs the core suite on `copy`; returns the titles of the failing tests. */
function runSuite(copy) {
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
    ],
    { cwd: root, stdio: 'ignore', timeout: 600_000 },
  );
  if (!existsSync(report)) throw new Error('the suite produced no report');
  const results = JSON.parse(readFileSync(report, 'utf8'));
  const failed = [];
  for (const file of results.testResults) {
    for (const test of file.assertionResults) {
      if (test.status === 'failed') failed.push(`${path.basename(file.name)} › ${test.fullName}`);
    }
  }
  return { failed, total: results.numTotalTests };
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
    const copy = copyCore();
    const file = path.join(copy, mutant.file);
    const source = readFileSync(file, 'utf8');
    if (!source.includes(mutant.find)) {
      throw new Error(
        `mutant ${mutant.id}: its anchor is no longer in ${mutant.file}; update the script`,
      );
    }
    writeFileSync(file, source.replace(mutant.find, mutant.replace));
    const { failed } = runSuite(copy);
    outcome.push({ id: mutant.id, what: mutant.what, caughtBy: failed });
    console.log(`${failed.length > 0 ? 'caught  ' : 'SURVIVED'} ${mutant.id}: ${mutant.what}`);
    for (const title of failed.slice(0, 5)) console.log(`           by ${title}`);
    if (failed.length > 5) console.log(`           and ${failed.length - 5} more tests`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1], JSON.stringify(outcome, null, 2));
const survivors = outcome.filter((m) => m.caughtBy.length === 0);
console.log(`\n${outcome.length - survivors.length} of ${outcome.length} mutants caught`);
process.exitCode = survivors.length === 0 ? 0 : 1;

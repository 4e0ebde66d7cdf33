// BENCHMARKS.md: the table (median with min–max of each variant, the ratio to raw, the target and
// whether it is met), the machine, the date and the command, then what the figures mean.
import os from 'node:os';
import { pairedRatio, summarize } from './stats.mjs';

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
  };
}

const KB = 1024;

/** The connect timeout of the blackholed failover row (failover.mjs uses the same). */
export const FAILOVER_CT_MS = 1000;

/**
 * The tables of the report. Each one's first variant is the floor every ratio divides by; the
 * ratio columns and the verdicts are for `ratios` and `judged`, in that order.
 */
export const TABLES = {
  tcp: {
    variants: ['raw', '0.1.7', 'connback'],
    heads: ['raw (floor)', '0.1.7', 'connback'],
    ratios: [
      ['connback', 'connback / raw'],
      ['0.1.7', '0.1.7 / raw'],
    ],
    judged: [['connback', 'met']],
  },
  ws: {
    variants: ['ws-raw', 'ws-connback', 'ws-socket'],
    heads: ['raw `ws` loop (floor)', 'connback ws', 'ReconnectingWebSocket'],
    ratios: [
      ['ws-connback', 'connback ws / raw'],
      ['ws-socket', 'ReconnectingWebSocket / raw'],
    ],
    judged: [
      ['ws-connback', 'met (connback ws)'],
      ['ws-socket', 'met (ReconnectingWebSocket)'],
    ],
  },
};

/** The ws rows' ratio target for heap per idle connection (issue 16). */
export const WS_HEAP_RATIO = 1.3;

/**
 * The figures of the tables (`table` 'ws' for the WebSocket rows, else the TCP table).
 * `target`: `ratio` compares a variant with the floor measured in the same suite run;
 * `max`/`min` are absolute bounds; `every` bounds the worst run instead of the median.
 */
const FIGURES = [
  {
    experiment: 'idle',
    label: (s) =>
      `client heap per idle conn, ${s.idleConns.toLocaleString('en')} conns, keepalive 1 s`,
    value: (r) => r.heapPerConn / KB,
    unit: 'KB',
    target: { ratio: 1.5, below: true },
  },
  {
    experiment: 'idle',
    label: (s) => `client RSS per idle conn, ${s.idleConns.toLocaleString('en')} conns`,
    value: (r) => r.rssPerConn / KB,
    unit: 'KB',
    target: { ratio: 1.5, below: true },
  },
  {
    experiment: 'idle',
    label: (s) =>
      `client CPU s per idle minute, ${s.idleConns.toLocaleString('en')} conns, keepalive 1 s`,
    value: (r) => r.cpuPerMinute,
    unit: 's',
    target: { ratio: 1.1, below: true },
  },
  {
    experiment: 'idle',
    label: () => 'for reference, of which user CPU (Node and JavaScript)',
    value: (r) => r.userPerMinute,
    unit: 's',
  },
  {
    experiment: 'idle',
    label: () => 'for reference, of which system CPU (the kernel: sending pings, reading pongs)',
    value: (r) => r.systemPerMinute,
    unit: 's',
  },
  {
    experiment: 'ticks',
    label: (s) =>
      `for reference, keepalive CPU s per minute without sockets, ${s.idleConns.toLocaleString('en')} in-memory conns`,
    value: (r) => r.cpuPerMinute,
    unit: 's',
  },
  {
    experiment: 'cycle',
    label: () => 'framework time per connect/close cycle (in-memory connector)',
    value: (r) => r.microseconds,
    unit: 'µs',
    target: { max: 3 },
  },
  {
    experiment: 'cycle',
    label: () => 'framework allocation per connect/close cycle (in-memory connector)',
    value: (r) => (r.bytes === null ? Number.NaN : r.bytes / KB),
    unit: 'KB',
    target: { max: 4 },
  },
  {
    experiment: 'create',
    label: () => 'framework time to create, connect and end (new instance, in-memory connector)',
    value: (r) => r.microseconds,
    unit: 'µs',
    target: { ratio: 4, below: true },
  },
  {
    experiment: 'create',
    label: () => 'framework allocation to create, connect and end (new instance, in-memory)',
    value: (r) => (r.bytes === null ? Number.NaN : r.bytes / KB),
    unit: 'KB',
    target: { ratio: 2, below: true },
  },
  {
    experiment: 'echo',
    label: (s) => `echo throughput through a connection (${s.echoBytes / 2 ** 20} MiB)`,
    value: (r) => r.mibPerSecond,
    unit: 'MiB/s',
    target: { ratio: 0.98, below: false },
  },
  {
    experiment: 'herd',
    label: (s) =>
      `herd: ${s.herdClients.toLocaleString('en')} clients, server down 1 s: peak attempts per 100 ms`,
    value: (r) => r.peakAttemptsPer100ms,
    unit: '',
    target: { max: 500 },
  },
  {
    experiment: 'herd',
    label: (s) =>
      `herd: time until all ${s.herdClients.toLocaleString('en')} are back after the server is up`,
    value: (r) => r.allBackSeconds,
    unit: 's',
    missing: (s) => `not all back in ${s.herdGiveUpMs / 1000} s`,
    target: { max: 1.5 },
  },
  {
    experiment: 'halfOpen',
    label: () => 'half-open detection, keepalive 1 s (frozen server), worst trial',
    value: (r) => r.detectSeconds,
    unit: 's',
    target: { max: 2, every: true },
  },
  {
    experiment: 'halfOpen',
    label: () => 'healthy again after the server resumes (trials)',
    value: (r) => (r.healthyAfter ? 1 : 0),
    unit: 'count',
    target: { all: true },
  },
  {
    experiment: 'flap',
    label: () => 'flapping server (accepts, drops at once): connects/s after the first second',
    value: (r) => r.connectsPerSecond,
    unit: '/s',
    target: { max: 2 },
  },
  {
    experiment: 'failoverRefused',
    label: () =>
      'failover, 3 loopback endpoints, the current one refused: from the drop to connected on another',
    value: (r) => r.failoverMs,
    unit: 'ms',
    target: { max: 100, every: true },
  },
  {
    experiment: 'failoverBlackhole',
    label: () =>
      `failover, the current one blackholed (connect hangs), connectTimeout ${FAILOVER_CT_MS} ms: from the drop to connected on another`,
    value: (r) => r.failoverMs,
    unit: 'ms',
    target: { max: FAILOVER_CT_MS + 100, every: true },
  },
  {
    experiment: 'failoverRefused',
    label: () =>
      'failover: attempts on the dead endpoint before its own delay ended (3 more drops)',
    value: (r) => r.earlyRetries,
    unit: '',
    target: { max: 0, every: true },
  },
  {
    experiment: 'failoverBlackhole',
    label: () => 'failover (blackholed): attempts on the dead endpoint before its own delay ended',
    value: (r) => r.earlyRetries,
    unit: '',
    target: { max: 0, every: true },
  },
  {
    experiment: 'herdFleet',
    label: (s) =>
      `herd, default options (raw: a full-jitter loop), ${s.herdClients.toLocaleString('en')} clients, server down 1 s: peak attempts per 100 ms`,
    value: (r) => r.peakAttemptsPer100ms,
    unit: '',
    target: { ratio: 1.2, below: true },
  },
  {
    experiment: 'herdFleet',
    label: () => 'herd, default options: time until all are back after the server is up',
    value: (r) => r.allBackSeconds,
    unit: 's',
    missing: (s) => `not all back in ${s.herdGiveUpMs / 1000} s`,
    target: { ratio: 1.5, below: true },
  },
  {
    experiment: 'herdBudget',
    label: (s) =>
      `herd, one shared RetryBudget of 500 attempts/s (burst 50), ${s.herdClients.toLocaleString('en')} clients: peak attempts per 100 ms`,
    value: (r) => r.peakAttemptsPer100ms,
    unit: '',
    target: { max: 100, every: true },
  },
  {
    experiment: 'herdBudget',
    label: () => 'herd, shared budget: time until all are back after the server is up',
    value: (r) => r.allBackSeconds,
    unit: 's',
    missing: (s) => `not all back in ${s.herdGiveUpMs / 1000} s`,
    target: { max: 5, every: true },
  },
  {
    experiment: 'herdBudget',
    label: () => 'herd, shared budget: longest wait to be back / mean wait (no one starved)',
    value: (r) => r.waitMaxOverMean,
    unit: '',
    target: { max: 2, every: true },
  },
  {
    experiment: 'herdDefaults',
    label: (s) =>
      `for reference, herd with each one's default policy: peak attempts per 100 ms (${s.herdClients.toLocaleString('en')} clients)`,
    value: (r) => r.peakAttemptsPer100ms,
    unit: '',
  },
  {
    experiment: 'herdDefaults',
    label: () => 'for reference, herd with default policies: time until all are back',
    value: (r) => r.allBackSeconds,
    unit: 's',
    missing: (s) => `not all back in ${s.herdGiveUpMs / 1000} s`,
  },
  {
    experiment: 'flap',
    label: () => 'for reference, flapping server: client CPU',
    value: (r) => r.cpuPercent,
    unit: '%',
  },
  {
    experiment: 'wsIdle',
    table: 'ws',
    label: (s) =>
      `ws client heap per idle conn, ${s.idleConns.toLocaleString('en')} conns, keepalive 1 s`,
    value: (r) => r.heapPerConn / KB,
    unit: 'KB',
    target: { ratio: WS_HEAP_RATIO, below: true },
  },
  {
    experiment: 'wsIdle',
    table: 'ws',
    label: (s) =>
      `for reference, ws client RSS per idle conn, ${s.idleConns.toLocaleString('en')} conns`,
    value: (r) => r.rssPerConn / KB,
    unit: 'KB',
  },
  {
    experiment: 'wsIdle',
    table: 'ws',
    label: (s) =>
      `for reference, ws client CPU s per idle minute, ${s.idleConns.toLocaleString('en')} conns, keepalive 1 s`,
    value: (r) => r.cpuPerMinute,
    unit: 's',
  },
  {
    experiment: 'wsIdle',
    table: 'ws',
    label: () => 'for reference, of which user CPU (Node and JavaScript)',
    value: (r) => r.userPerMinute,
    unit: 's',
  },
];

function format(value, unit) {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const number = value.toFixed(digits);
  return unit === '' || unit === 'count' ? number : `${number} ${unit}`;
}

function cell(values, figure, size) {
  // A row this variant does not run (no endpoint pool, no shared budget).
  if (values.length === 0) return '—';
  if (figure.unit === 'count') return `${values.filter((v) => v === 1).length}/${values.length}`;
  const s = summarize(values);
  const missing = figure.missing?.(size) ?? 'failed';
  if (!Number.isFinite(s.median)) return missing;
  const lost = values.length - values.filter(Number.isFinite).length;
  const note = lost > 0 ? ` (${lost} of ${values.length} runs: ${missing})` : '';
  if (s.runs === 1) return `${format(s.median, figure.unit)}${note}`;
  const worst = figure.target?.every ? ` (worst ${format(s.max, figure.unit)})` : '';
  return `${format(s.median, figure.unit)} [${format(s.min, '')}–${format(s.max, '')}]${worst}${note}`;
}

function targetText(target) {
  if (!target) return '—';
  if (target.all) return 'every trial';
  if (target.ratio !== undefined) return `${target.below ? '≤' : '≥'} ${target.ratio} × raw`;
  return `≤ ${target.max}${target.every ? ' every trial' : ''}`;
}

function met(target, values, rawValues) {
  if (!target) return '';
  // A run without a figure (not all back, a failure) misses the target, whatever the others did.
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) return '**no**';
  if (target.all) return values.every((v) => v === 1) ? 'yes' : '**no**';
  if (target.ratio !== undefined) {
    const ratio = pairedRatio(values, rawValues);
    const ok = target.below ? ratio <= target.ratio : ratio >= target.ratio;
    return ok ? 'yes' : '**no**';
  }
  const s = summarize(values);
  const judged = target.every ? s.max : s.median;
  return judged <= target.max ? 'yes' : '**no**';
}

function valuesOf(results, figure, variant) {
  const runs = results.experiments[figure.experiment]?.[variant] ?? [];
  // A figure that could not be measured is NaN (stored as null in results/full.json).
  // A figure that could not be measured is NaN (stored as null in results/full.json): a null
  // field must not turn into 0 through the arithmetic of `value`.
  return runs.map((r) => {
    if (r.error) return Number.NaN;
    const value = figure.value(r);
    return value === null || value === undefined || Number.isNaN(value) ? Number.NaN : value;
  });
}

function ratioText(values, rawValues, figure) {
  if (figure.unit === 'count') return '';
  const ratio = pairedRatio(values, rawValues);
  // Three decimals where a ratio is judged: 1.101 must not read as a 1.10 that missed.
  const digits = figure.target?.ratio === undefined ? 2 : 3;
  return Number.isFinite(ratio) ? `${ratio.toFixed(digits)} ×` : '';
}

/** The table `name` of {@link TABLES} (the TCP one by default), or '' when no figure of it was run. */
export function renderTable(results, name = 'tcp') {
  const table = TABLES[name];
  const [floor] = table.variants;
  const lines = [
    `| figure | ${table.heads.join(' | ')} | ${table.ratios.map(([, head]) => head).join(' | ')} | target | ${table.judged.map(([, head]) => head).join(' | ')} |`,
    `|---|${table.variants.map(() => '---|').join('')}${table.ratios.map(() => '---|').join('')}---|${table.judged.map(() => '---|').join('')}`,
  ];
  for (const figure of FIGURES) {
    if ((figure.table ?? 'tcp') !== name || !results.experiments[figure.experiment]) continue;
    const values = Object.fromEntries(table.variants.map((v) => [v, valuesOf(results, figure, v)]));
    // A figure this run did not record at all (an older results file) is left out.
    if (!Object.values(values).some((runs) => runs.some((v) => !Number.isNaN(v)))) continue;
    const floorValues = values[floor];
    const cells = table.variants.map((v) => cell(values[v], figure, results.size));
    const ratios = table.ratios.map(([v]) => ratioText(values[v], floorValues, figure));
    const verdicts = table.judged.map(([v]) => met(figure.target, values[v], floorValues));
    lines.push(
      `| ${figure.label(results.size)} | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${targetText(figure.target)} | ${verdicts.join(' | ')} |`,
    );
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

function errorsOf(results) {
  const errors = [];
  for (const [experiment, byVariant] of Object.entries(results.experiments)) {
    for (const [variant, runs] of Object.entries(byVariant)) {
      runs.forEach((r, i) => {
        if (r.error) errors.push(`- ${experiment}, ${variant}, run ${i + 1}: ${r.error}`);
      });
    }
  }
  return errors;
}

/** The rows measured again after the full run (`--only=…`), with when. */
function remeasuredText(results) {
  const rows = Object.entries(results.remeasured ?? {});
  if (rows.length === 0) return '';
  const list = rows.map(([id, date]) => `${id} (${date.slice(0, 16).replace('T', ' ')} UTC)`);
  return `\nMeasured again after a library change, with \`npm run bench -- --only=…\`: ${list.join(', ')}.`;
}

export function renderReport(results, command) {
  const m = results.machine;
  const errors = errorsOf(results);
  return `# Benchmarks

Written by \`${command}\` on ${results.date.slice(0, 10)} (${results.mode} mode, ${Math.round(results.seconds)} s).
Machine: ${m.cpu}, ${m.memory}, ${m.os}, Node ${m.node}. Loopback only.${remeasuredText(results)}

Each cell is the median of the runs with [min–max]. The three variants ran in turn, each run with
a fresh server process and a fresh client process, so a ratio to raw is the median of ratios of
runs made side by side in this one suite run (raw, 0.1.7, connback, raw, 0.1.7, …).

${renderTable(results)}
${wsSection(results)}${errors.length ? `\nRuns that failed (counted as n/a):\n${errors.join('\n')}\n` : ''}
${NOTES}`;
}

/** The WebSocket table with its heading, when the suite ran the ws rows. */
function wsSection(results) {
  const table = renderTable(results, 'ws');
  if (table === '') return '';
  return `
## WebSocket rows

The idle row over WebSockets: the same method, sizes and number of runs, against a \`ws\`
WebSocketServer that answers protocol pings; a ratio is to the raw \`ws\` loop of the same run
(ws-raw, ws-connback, ws-socket, ws-raw, …).

${table}
`;
}

const NOTES = `## What is measured, and how

- **raw (floor)**: a hand-written \`net.Socket\` client (\`packages/bench/src/variants/raw.mjs\`): its
  socket idle timeout pings after a quiet second and destroys the socket after a second unanswered
  one; it reconnects with the same backoff as the others, written by hand.
- **0.1.7**: \`@connback/core\` 0.1.7 from npm with the TCP connector of its README.
- **connback**: \`createTcpConnback\` from \`@connback/tcp\`.
- **Idle**: the client process opens the connections in batches of 500 to an echo server (another
  process), waits 2.5 keepalive periods, collects garbage twice and reads \`heapUsed\` and RSS
  against a baseline taken before the first connection; then it reads \`process.cpuUsage()\` over a
  window (60 s in the full mode) while every connection pings once a second and the server echoes the pong. The harness's
  own listeners (one per connection, the same for all three) are included in every column.
- **Keepalive CPU without sockets** (for reference): one process per run holds the same number
  of in-memory connections pinging once a second, each pong fed back a microtask later; raw is one
  refreshed timer and a flag per connection. It shows what a library itself spends per tick, apart
  from the kernel's share of the socket row, which dominates it and varies from run to run.
- **Cycle**: one process per run, no I/O. A cycle is what a long-lived client does on each
  reconnection: close the client, connect again, announce it, arm its keepalive. Time is over
  50,000 cycles with garbage collection included; allocation is the heap growth over batches of
  1,000 cycles that no collection interrupted (checked with \`v8.GCProfiler\`).
- **Create, connect, end**: the same process and method as the cycle, for a short-lived client:
  each cycle makes a new instance on one in-memory connector, waits for its client (connback:
  \`await connback.ready()\`; 0.1.7, which has no \`ready()\`: its \`onconnect\`), and ends it,
  with the defaults (connect timeout 30 s, keepalive 60 s). Raw is the same by hand: a connection
  record, the connect-timeout timer armed and cleared, the keepalive timer armed and cleared.
- **Echo**: one connection writes the payload in 64 KiB chunks with back-pressure to an echo
  server and reads it all back; connback feeds every chunk it reads as a heartbeat.
- **Herd**: 2,000 clients in one process; the server process destroys every connection and stops
  listening for 1 s. Attempts are counted in 100 ms buckets from the drop; "back" is the last
  reconnect after the server listens again. The herd row runs every variant with the same policy,
  the one a fleet should use: \`delayFirstAttempt: true\`, \`initialDelay = maxDelay = 1000\`,
  \`jitter: 'equal'\` (0.1.7 gets the same jitter as a function). The reference row below it runs
  each one's defaults (first retry at once, fibonacci from 1 s with full jitter).
- **Failover** (RELIABILITY.md row 38, \`failover.mjs\`, connback only: the others have no
  endpoint pool): one Connback with three loopback endpoints, \`'in-order'\`, connected to the
  first. Refused: that server stops listening and destroys its connections. Blackholed: that
  server is a child process frozen with SIGSTOP whose accept queue (backlog 1) was filled, so a
  new connect hangs until \`connectTimeout\` (1000 ms); the client's socket is destroyed. The
  figure is the time from the drop to \`onconnect\` on another endpoint; then three more drops
  in a row, counting attempts on the dead endpoint (it waits its own 1 s delay: none expected).
- **Herd, default options** (row 39): the herd above, with connback's defaults (its first retry
  after a stable connection takes the next half-millisecond slot of the process), against raw
  running a hand-written full-jitter loop (every delay, the first included, drawn from [0,
  fibonacci delay], fibonacci from 1 s). 0.1.7 is not run.
- **Herd, shared budget** (row 39): the same with connback's defaults plus one
  \`RetryBudget({ rate: 500, burst: 50 })\` shared by all 2,000. "Longest wait / mean wait": each
  client's time from the drop until it is connected again; the worst over the mean (a FIFO queue
  drained at a steady rate gives at most 2).
- **Half-open**: at a random moment of the keepalive period after a pong, the echo server process
  is frozen with SIGSTOP; "detection" is the time until the
  client gives up on the connection (it closes it or starts a new attempt). After SIGCONT, "healthy"
  means connected with a pong on the current connection within 6 s.
- **Flapping**: a server that accepts and destroys every connection; one client with its defaults.
- **WebSocket rows**: the idle row's method against one \`ws\` WebSocketServer process
  (\`server.mjs ws\`: port 0, no compression, protocol pings answered by ws's autoPong, messages
  echoed). **raw \`ws\` loop** (\`variants/ws-raw.mjs\`): a hand-written client over \`ws\` doing
  what connback does and no more: a protocol ping every keepalive period, the socket terminated
  when the last ping got no pong (nor any message), a 30 s connect timeout, and a reconnect timer
  with the same backoff as the others. **connback ws**: \`createWsConnback\` (the \`ws\` package
  beneath, protocol pings). **ReconnectingWebSocket**: the WebSocket-shaped socket, its listeners
  added once with \`addEventListener\`. The harness listens to attempts, connects and closes of
  each (through the Connback for the first two, the socket's events for the third) and reads no
  data of the sockets.

## What the first run found, and what changed in the library

The first runs of this suite (the library as of commit 226a05b, quick mode, 2,000 connections)
missed two targets: **9.5 KB of heap per idle connection** (3.9 × raw) and **4.7 µs and 4.9 KB
per connect/close cycle**. Heap snapshots of 2,000 connections, diffed object type by object type
against bare sockets (\`heap-probe.mjs\`, \`heap-diff.mjs\`), showed where it went:

- **Socket feeds bound per connection with event-bind: about 1.5 KB.** A \`Binder\`, its table,
  three arrays, three listener closures and three unbind closures with their contexts, plus a
  \`once('close')\` wrapper to remove the error guard. Now the three feed listeners are functions
  shared by every socket (Node calls a listener with the socket as \`this\`, and a \`WeakMap\` leads
  to its Connback), removed with \`off\` on close; the error guard simply stays on the socket.
  event-bind still binds and unbinds an attempt's own listeners, which live a few milliseconds.
- **Events: about 650 bytes per event somebody listens to, and the channels of all eight events
  made up front.** Each \`@jil/common\` Emitter brings a \`Set\`, an \`event\` closure, and per
  listener a guarding wrapper and an unsubscribe closure. Now a channel is made when its event is
  first read, holds a single listener directly, and brings in the \`@jil\` Emitter from the second
  listener on (order and "added during a fire waits for the next" are kept and tested).
- **Closures per Connback and per attempt.** The heartbeat host, the connect-timeout callback and
  the heartbeat's timer callback are now static functions that get their owner as the timer's
  argument; an attempt's \`@jil\` CancellationTokenSource is made only when the connector subscribes
  to the token; the state-change record and the connect info are built only when someone listens.
- **Smaller things.** The backoff strategy is made at the first delay; the waiter set at the
  first \`ready()\`; times are whole monotonic milliseconds (V8 keeps integers unboxed in object
  fields, fractional times each cost a 16-byte box); \`connectedSince\` is computed when read.

After these changes the same quick run gave 3.6 KB per connection and about 2 µs and 3.4 KB per
cycle, with every test of the suite unchanged and passing.

The first full run then had connback at **1.18 × raw CPU** per idle minute. Splitting user and
system time showed the kernel's share equal and about 0.6 s per minute more user time. The
keepalive row without sockets had connback at 1.5 × raw, and a profile of it showed why: a
heartbeat timer runs on the event loop's clock, taken when the loop woke, while the time of the
last ping was taken when its callback ran — later by however long the loop had been busy, up to
~100 ms with 10,000 heartbeats due together. So many timers fired "early" by a few milliseconds,
and each then armed a short timer (a new timer object, a new timer list in Node's priority queue)
and woke a second time before pinging. Now a ping due within an eighth of a period goes at once
(it only tightens the dead-peer bound); the keepalive row without sockets dropped to raw's level.

## The CPU row: missed by 0.1 %, then met, and what is left

With the changes above the idle row went from 1.18 × to 1.101 × raw (runs: 1.101, 1.134, 1.078),
against a target of 1.1. Measured again after issue 12 it is 1.042 × (runs: 1.082, 1.007, 1.042),
with heap per connection at 1.421 × (1.475 × before) and RSS at 1.196 × (1.304 ×). With issues
14 to 16 merged the heap had grown to 1.659 × (an endpoint pool's WeakMap and two functions on
every TCP connector, a redacted copy of the endpoint's name, heartbeat fields); without them it is
1.400 ×, and CPU 0.999 ×, on a VM about 3 times slower than the first run. The analysis
below still holds, and the spread between runs is still larger than the gap to the target. The split shows where the rest is: the kernel's share (system time) is
the same as raw's or lower, and connback spends about 0.7 s more user time per idle minute for
10,000 connections, about 1 µs per ping and pong. In \`--cpu-prof\` profiles of the idle window,
connback's own JavaScript (heartbeat, feeds, ping) adds up to a few tens of milliseconds per minute;
most of the difference shows inside Node's \`writeUtf8String\`, the same call raw makes with the
same five bytes. It did not move with \`noDelay: false\`, with a Buffer payload, or with fewer
garbage collections (they differ by under 0.1 s per minute), and the run-to-run spread of this row
(±8 %) is larger than the gap. What it would take: a profiler that sees below V8 (\`perf\` with
Node's \`--perf-basic-prof\`, not available on these machines) to find why the same write costs
more, or pings that bypass the socket stream (\`socket._handle.writeUtf8String\`), which would
trade a public API for an internal one; connback does neither for now.

## Creating, connecting and ending a Connback (issue 12)

A short-lived client pays for everything a Connback sets up. Before issue 12 this cost 15.7 µs
and 5.8 KB per cycle here (raw: 2.7 µs, 1.7 KB), and 30 % of the time went into two
\`ConnbackError\`s with stack traces that \`end()\` built even when no promise waited and no token
listener would read them. A sampling heap profile of the cycle (including collected objects)
then showed the rest. What changed:

- **Errors nobody sees are not built**: \`end()\` rejects waiting promises with an error made only
  if one waits; an attempt token's reason is a code until someone reads it.
- **Equal options give the same frozen object**: a memo keyed by the option names and primitive
  values (a lookup allocates nothing; at most 256 sets; function values are never kept), instead
  of a copy of the defaults and every check per instance.
- **No closure per instance for the eager start**: every Connback made in one turn starts in one
  microtask, queued with a resolved promise's \`then\` (Node's \`queueMicrotask\` makes an async
  resource and a bound function per call).
- **\`ready()\` costs a promise**: one shared executor instead of a closure, and the single waiter
  without a token is two fields, not a record; an attempt is its own cancellation (one object
  fewer); an event nobody listens to builds no argument list.

On issue 12's branch this row read 6.9 µs and 3.39 KB against raw's 3.0 µs and 1.70 KB, 2.32 ×
and 1.95 × (targets 4 × and 2 ×); 0.1.7 is at 7.8 × and 7.2 ×. Before these changes the same cycle
cost 11.6–16.0 µs and 5.7–6.4 KB on this machine (the core of commit 4c10985 run alternately with
the new one). The reconnect cycle allocates less too: 2.82 KB, 3.40 KB before.

With issues 14 to 16 merged the time was 2.85 × raw but the allocation 3.86 KB, 2.34 ×, over its
2 × target. A sampling heap profile of the cycle (\`HeapProfiler.startSampling\` with the objects
collected by minor and major GCs included, every 16 bytes) found three timers where raw has two
(the connect timeout, the keepalive and the wake watcher's, each a Node \`Timeout\`, its async id
and a timer list for its duration), and arrays giving back their storage. What changed:

- **A keepalive longer than a second arms its timer at the wake watcher's next tick**, not at the
  connect: a connection shorter than a tick makes no keepalive timer. The first ping still goes
  exactly \`keepalive\` seconds after the connect (a tick that came late runs the overdue keepalive
  at once, as its own timer would have), and the watcher's timer keeps the process alive until
  then, as the keepalive timer did (tests in \`keepalive.test.ts\` and
  \`process-exit.process.test.ts\`). The watcher's own timer stays per process (semantic 18 needs
  a check a second).
- **Arrays keep their storage**: the list of Connbacks to start was emptied with \`length = 0\` and
  the outbox pool popped empty; either gives back the array's storage, and the next push
  allocates it again (about 150 and 50 bytes a cycle).
- **\`ready()\`'s promise is marked handled only if it is rejected**, not when it is made.
- **The watcher holds its first listener outside its set**, which rebuilt its table every few
  deletes.

A/B with \`cycle.mjs connback 20000 create\` on this machine, medians of 7 to 9 runs: 3.99 KB
before, 3.52 KB with the deferred keepalive, 3.42 KB with the arrays, 3.38 KB with the promise,
3.25 KB with the watcher's first listener (raw 1.74–1.75 KB). The table above: 3.13 KB against
raw's 1.75 KB, 1.737 ×, met; the reconnect cycle allocates 2.64 KB, 3.20 KB before.


These rows, and idle, were measured on 2026-12-01 on the same VM as the first full run, which
was then 3 to 5 times slower for every variant (raw's reconnect cycle 0.91 µs against 0.19 µs,
0.1.7's 28 µs against 10.6 µs, raw's idle CPU 17 s per minute against 5.35 s), shared with other
test runs. Ratios to raw are paired run by run, but the absolute time bound of the cycle row
cannot be met on that machine by any change to the library: its ratio to raw went from 8.38 × to
7.75 ×, and an A/B of the core before and after, alternating, gave 2.29 and 2.48 µs per reconnect
cycle (medians of 8 runs, best of 15 each) and, in a profiled run, the other way round (2.87 s
against 2.35 s for 300,000 cycles): no difference beyond the noise. Keepalive ticks without
sockets, A/B the same way: 1.43–1.64 s of CPU per minute against 1.75–1.87 s before.

## WebSocket heap per idle connection (issue 16)

Before: 8.7 KB of heap per connection for \`createWsConnback\` against 4.3 KB for the raw \`ws\`
loop (\`heap-probe.mjs\`, 2,000 connections; the issue measured 8.6 against 4.8 KB, 1.78 ×).
Heap snapshots of each, diffed object type by object type (\`heap-probe.mjs ws-raw\` and
\`ws-connback\`, then \`heap-diff.mjs\`), showed where the difference went:

- **The attempt's closures outlived it** (about 0.4 KB): the 'upgrade' listener and a close
  listener that removed the error guard stayed on the socket, holding the whole \`connect()\`
  context (the token, the promise's functions, the URL). Now the upgrade listener is one function
  shared by every socket and removed when the attempt settles; the error guard stays for good.
- **Feeds made per socket** (about 0.6 KB): message, pong, error and close listeners, each a
  closure plus a \`ws\` wrapper made by \`addEventListener\`, although the TCP transport's data
  (already fed as heartbeats) carries every pong and message. Now a \`ws\` socket gets one record
  found by the socket and by its transport, the transport's data listener and the error
  listener are shared functions, and only the close event (which says whether the close was
  clean) keeps a \`ws\` wrapper. Other WebSocket classes keep a closure per listener: a wrapper
  class may call them with any \`this\`.
- **Per-connector maps and strings** (about 0.4 KB): two WeakMaps and their tables and a
  redacted URL per connector, that is per Connback. They are module-wide now.
- **WsConnback's four subscriptions** (about 1 KB): \`onconnect\`, \`onclose\`, \`onend\` and
  \`onfail\` made two channels nobody else read and doubled two others. WsConnback now listens
  (to \`onstatechange\`, announced before every \`onconnect\` listener, so the queue still goes out
  first, and to \`onfail\`) only while messages are queued or \`drained()\` waits; its empty queue
  is one shared array.
- **A closure and a context per event channel** (about 0.15 KB with three events listened to):
  core's channel keeps no subscribe function of its own any more; \`connback.onconnect\` binds one
  when read. This is the one change in core, and the TCP rows gain from it too.

What remains above the raw loop is mostly core's own state per Connback (the machine, the
heartbeat and its timer, the connection, counters, backoff policy, the channels of the events
listened to: about 1 KB, the same as in the TCP rows), then \`WsConnback\` and \`WsConnector\` with
its options (about 0.3 KB) and the feed record with its close wrapper (about 0.2 KB).
\`ReconnectingWebSocket\` adds an \`EventTarget\` with its listeners, the error channel it
subscribes to, and per connection a message and a close listener on the socket.

## Design choices behind the figures

- **One timer per connection, refreshed, never replaced.** A connection's keepalive is one Node
  timer. Heartbeats only record a time; the timer is re-armed when it fires, by \`refresh()\` when
  the period is the same (the steady state), so a period allocates nothing and feeding every data
  chunk as a heartbeat costs no timer work. Node keeps all timers of one duration in one list
  behind one native timer, so 10,000 connections with the same keepalive already share one wheel
  slot; a hand-written wheel would add a layer of buckets without saving a timer (the connect
  timeout and the backoff wait still need theirs), so connback does not have one.
- **Nothing is allocated for an event nobody listens to**, and one listener costs one slot.
- **Herds.** connback keeps DESIGN semantic 5 (the first retry after a stable connection is
  immediate, so one client that lost its connection to a healthy server is back at once). For a
  fleet sharing one server, \`delayFirstAttempt: true\` with the new \`jitter: 'equal'\` spreads the
  retries over [delay/2, delay]: no client retries at once and none waits past the cap, so the
  peak stays near clients × 100 ms / (0.75 × delay) and every client is back one delay after the
  server. Full jitter with the same cap peaks higher (a quarter of the clients retry within a
  quarter of the delay), which is why \`'equal'\` was added.
`;

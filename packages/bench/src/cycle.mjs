// The framework cost of a lifecycle with an in-memory connector (no I/O): in its own process,
// `node --expose-gc cycle.mjs <variant> <cycles> [reconnect|create]` prints { microseconds, bytes }
// per cycle. Two kinds of cycle:
// - reconnect: what a long-lived client does on every reconnection: close the live client,
//   connect again, announce it, arm its keepalive;
// - create: what a short-lived client does: a new instance, connected, then ended (its keepalive
//   armed and cleared, its connect timeout armed and cleared).
import { GCProfiler } from 'node:v8';
import { Connback } from '@connback/core';
import { Connback as Connback017 } from 'connback-0.1.7';

const KEEPALIVE_S = 60;
const CONNECT_TIMEOUT_MS = 30_000;
const BATCH = 1000;

/** A connection that costs nothing: the framework is all that is measured. */
function inMemoryConnector() {
  return {
    connect: () => Promise.resolve({ open: true }),
    close: (client) => {
      client.open = false;
    },
    ping: () => {},
  };
}

/** The same cycle without a library: a hand-written loop over the same connector. */
function rawRunner() {
  const connector = inMemoryConnector();
  let client;
  let connected = false;
  return async () => {
    if (client) connector.close(client);
    connected = false;
    client = await connector.connect();
    connected = true;
    return connected;
  };
}

/** A library's runner: `reconnect()`, then wait for its `onconnect`. */
function libraryRunner(connback) {
  let resolveConnect;
  connback.onconnect(() => resolveConnect());
  return async () => {
    const connected = new Promise((resolve) => {
      resolveConnect = resolve;
    });
    connback.reconnect();
    await connected;
  };
}

const RECONNECT = {
  raw: async () => rawRunner(),
  connback: async () => {
    const connback = new Connback(inMemoryConnector(), { keepalive: KEEPALIVE_S });
    await connback.ready();
    return libraryRunner(connback);
  },
  '0.1.7': async () => {
    const connback = new Connback017(inMemoryConnector(), { keepalive: KEEPALIVE_S });
    await new Promise((resolve) => connback.onconnect(resolve));
    return libraryRunner(connback);
  },
};

/** The hand-written floor of a create cycle: what connback does by default, and nothing else. */
function rawCreateRunner() {
  const connector = inMemoryConnector();
  const onTimeout = (connection) => {
    connection.state = 'timed out';
  };
  const onTick = (connection) => {
    connection.pinged = true;
  };
  return async () => {
    const connection = { state: 'connecting', client: undefined, timer: undefined, pinged: false };
    connection.timer = setTimeout(onTimeout, CONNECT_TIMEOUT_MS, connection);
    const client = await connector.connect();
    clearTimeout(connection.timer);
    connection.client = client;
    connection.state = 'connected';
    connection.timer = setTimeout(onTick, KEEPALIVE_S * 1000, connection);
    clearTimeout(connection.timer);
    connector.close(client);
    connection.client = undefined;
    connection.state = 'ended';
  };
}

const CREATE = {
  raw: async () => rawCreateRunner(),
  // As an application writes it: a new Connback, await its client, end it.
  connback: async () => {
    const connector = inMemoryConnector();
    return async () => {
      const connback = new Connback(connector, { keepalive: KEEPALIVE_S });
      await connback.ready();
      connback.end();
    };
  },
  // 0.1.7 has no ready(): its README waits for onconnect.
  '0.1.7': async () => {
    const connector = inMemoryConnector();
    return async () => {
      const connback = new Connback017(connector, { keepalive: KEEPALIVE_S });
      await new Promise((resolve) => connback.onconnect(resolve));
      connback.end();
    };
  },
};

const [variant = '', cyclesArg = '20000', kind = 'reconnect'] = process.argv.slice(2);
const RUNNERS = { reconnect: RECONNECT, create: CREATE }[kind];
if (RUNNERS === undefined) throw new Error(`bench cycle: unknown kind "${kind}"`);
if (!(variant in RUNNERS)) throw new Error(`bench cycle: unknown variant "${variant}"`);
const cycles = Number(cyclesArg);
const cycle = await RUNNERS[variant]();

for (let i = 0; i < BATCH * 2; i++) await cycle(); // warm up: the JIT, the caches

// Time: many cycles in a row, garbage collection included, as an application would see it.
const start = process.hrtime.bigint();
for (let i = 0; i < cycles; i++) await cycle();
const microseconds = Number(process.hrtime.bigint() - start) / 1000 / cycles;

// Allocation: the heap growth over a batch that no collection interrupted (retried until one is).
// The young generation V8 keeps after a full collection may be smaller than a batch allocates:
// after ten batches in a row that a scavenge interrupted, the batch is halved (not below 100).
const perBatch = [];
let batch = BATCH;
let interrupted = 0;
for (let tries = 0; tries < 80 && perBatch.length < 5; tries++) {
  globalThis.gc();
  const profiler = new GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < batch; i++) await cycle();
  const grown = process.memoryUsage().heapUsed - before;
  if (profiler.stop().statistics.length === 0) {
    perBatch.push(grown / batch);
  } else if (++interrupted % 10 === 0 && batch > 100) {
    batch = Math.max(100, batch / 2);
  }
}
perBatch.sort((a, b) => a - b);
const bytes = perBatch.length ? perBatch[Math.floor(perBatch.length / 2)] : Number.NaN;
console.log(JSON.stringify({ microseconds, bytes }));
process.exit(0);

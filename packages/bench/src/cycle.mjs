// The framework cost of one connect/close cycle, with an in-memory connector (no I/O): in its own
// process, `node --expose-gc cycle.mjs <variant> <cycles>` prints { microseconds, bytes } per cycle.
// A cycle is what a long-lived client does on every reconnection: close the live client, connect
// again, announce it, arm its keepalive.
import { GCProfiler } from 'node:v8';
import { Connback } from '@connback/core';
import { Connback as Connback017 } from 'connback-0.1.7';

const KEEPALIVE_S = 60;
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

const RUNNERS = {
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

const [variant = '', cyclesArg = '20000'] = process.argv.slice(2);
if (!(variant in RUNNERS)) throw new Error(`bench cycle: unknown variant "${variant}"`);
const cycles = Number(cyclesArg);
const cycle = await RUNNERS[variant]();

for (let i = 0; i < BATCH * 2; i++) await cycle(); // warm up: the JIT, the caches

// Time: many cycles in a row, garbage collection included, as an application would see it.
const start = process.hrtime.bigint();
for (let i = 0; i < cycles; i++) await cycle();
const microseconds = Number(process.hrtime.bigint() - start) / 1000 / cycles;

// Allocation: the heap growth over a batch that no collection interrupted (retried until one is).
const perBatch = [];
for (let tries = 0; tries < 50 && perBatch.length < 5; tries++) {
  globalThis.gc();
  const profiler = new GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < BATCH; i++) await cycle();
  const grown = process.memoryUsage().heapUsed - before;
  if (profiler.stop().statistics.length === 0) perBatch.push(grown / BATCH);
}
perBatch.sort((a, b) => a - b);
const bytes = perBatch.length ? perBatch[Math.floor(perBatch.length / 2)] : Number.NaN;
console.log(JSON.stringify({ microseconds, bytes }));
process.exit(0);

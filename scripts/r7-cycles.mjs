// R7: 1,000 connect/drop cycles on loopback through a ReconnectingStream over createTcpConnback.
// Listener counts and active resources must stay flat, and the heap (after a full GC) must grow by
// less than 2 MB from cycle 100 to cycle 1,000. Run with --expose-gc (the npm script does); prints
// one JSON object. Bounded: 1,000 cycles, and a 60 s deadline that fails the run.
import net from 'node:net';
import { createTcpConnback, ReconnectingStream } from '@connback/tcp';

const CYCLES = 1000;
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}

// The server drops every connection as soon as it is established.
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  setImmediate(() => socket.destroy());
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const connback = createTcpConnback({
  host: '127.0.0.1',
  port: server.address().port,
  keepalive: 1,
  minUptime: 0, // every connection counts as stable: reconnect at once, 1,000 times
  initialDelay: 1,
  maxDelay: 10,
  jitter: 'none',
});
const stream = new ReconnectingStream(connback);
stream.resume();

function snapshot(cycle) {
  globalThis.gc();
  globalThis.gc();
  const count = (emitter) =>
    emitter === undefined
      ? 0
      : emitter.eventNames().reduce((sum, name) => sum + emitter.listenerCount(name), 0);
  return {
    cycle,
    heapUsed: process.memoryUsage().heapUsed,
    streamListeners: count(stream),
    socketListeners: count(connback.client),
    activeResources: process.getActiveResourcesInfo().length,
  };
}

const snapshots = [];
const deadline = setTimeout(() => {
  console.error(`R7: not done within 60 s (at ${connback.stats.connects} connects)`);
  process.exit(1);
}, 60_000);

await new Promise((resolve) => {
  connback.onconnect(() => {
    const cycle = connback.stats.connects;
    if (cycle === 100 || cycle === CYCLES) {
      // Measured once this connection's own work is done.
      setImmediate(() => {
        snapshots.push(snapshot(cycle));
        if (cycle === CYCLES) resolve();
      });
    }
  });
});
clearTimeout(deadline);
stream.destroy();
await new Promise((resolve) => server.close(resolve));

const [at100, at1000] = snapshots;
console.log(
  JSON.stringify({
    cycles: CYCLES,
    heapGrowthBytes: at1000.heapUsed - at100.heapUsed,
    streamListeners: [at100.streamListeners, at1000.streamListeners],
    socketListeners: [at100.socketListeners, at1000.socketListeners],
    activeResources: [at100.activeResources, at1000.activeResources],
    drops: connback.stats.drops,
  }),
);

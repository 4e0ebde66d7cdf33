// The keepalive's own CPU, without sockets: `node ticks.mjs <variant> <connections> <windowMs>`
// keeps that many in-memory connections pinging once a second, each pong fed back a microtask
// later, and prints { cpuPerMinute } over the window. It isolates what a library spends per tick
// from the kernel's share of the socket rows, which is large and noisy on loopback.
import { Connback } from '@connback/core';
import { Connback as Connback017 } from 'connback-0.1.7';

const KEEPALIVE_S = 1;

/** An in-memory connector whose pong comes back a microtask after each ping. */
function echoingConnector(feed) {
  return {
    connect: (connback) => ({ connback }),
    close: () => {},
    ping: (client) => queueMicrotask(() => feed(client.connback, client)),
  };
}

const OPENERS = {
  // The floor: one timer per connection, refreshed after each tick, a flag for the pong.
  raw: () => {
    let awaitingPong = false;
    const timer = setTimeout(function tick() {
      if (awaitingPong) return; // dead: a real client would close here
      awaitingPong = true;
      queueMicrotask(() => {
        awaitingPong = false;
      });
      timer.refresh();
    }, KEEPALIVE_S * 1000);
  },
  connback: () =>
    new Connback(
      echoingConnector((connback, client) => connback.feedHeartbeat(client)),
      { keepalive: KEEPALIVE_S },
    ),
  '0.1.7': () =>
    new Connback017(
      echoingConnector((connback) => connback.feedHeartbeat()),
      { keepalive: KEEPALIVE_S },
    ),
};

const [variant = '', connectionsArg = '10000', windowArg = '10000'] = process.argv.slice(2);
if (!(variant in OPENERS)) throw new Error(`bench ticks: unknown variant "${variant}"`);
const held = [];
for (let i = 0; i < Number(connectionsArg); i++) held.push(OPENERS[variant]());
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
await sleep(1500 * KEEPALIVE_S); // every connection connected and ticking
const before = process.cpuUsage();
const start = performance.now();
await sleep(Number(windowArg));
const cpu = process.cpuUsage(before);
const elapsed = performance.now() - start;
console.log(
  JSON.stringify({
    cpuPerMinute: ((cpu.user + cpu.system) / 1e6) * (60_000 / elapsed),
    held: held.length,
  }),
);
process.exit(0);

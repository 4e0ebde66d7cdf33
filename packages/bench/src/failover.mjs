// `node failover.mjs connback refused|blackhole`: one Connback over a pool of three loopback
// endpoints (in-order), connected to the first; then the first dies — refused (it stops
// listening), or blackholed (a frozen process whose accept queue is full: connect hangs) — and
// the row measures the time from the drop to connected on another endpoint. Then three quick
// drops: the dead endpoint must not be tried again before its own delay. Prints one JSON line.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTcpConnback } from '@connback/tcp';
import { now } from './children.mjs';
import { FAILOVER_CT_MS } from './report.mjs';

const [variant, mode] = process.argv.slice(2);
if (variant !== 'connback' || (mode !== 'refused' && mode !== 'blackhole')) {
  throw new Error('usage: node failover.mjs connback refused|blackhole');
}

async function listen(server) {
  await new Promise((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, resolve),
  );
  return server.address().port;
}

function echoServer() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  return { server, sockets };
}

/** A listener in a child process that can be frozen (SIGSTOP): its accept queue then fills. */
async function childListener() {
  const code =
    "const s=require('net').createServer(c=>c.on('error',()=>{}));" +
    "s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => {
    child.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
  });
  return { child, port };
}

/** Opens connections to `port` until one does not connect within 300 ms: the queue is full. */
async function fillAcceptQueue(port) {
  const fillers = [];
  for (let i = 0; i < 16; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    fillers.push(socket);
    const connected = await Promise.race([
      new Promise((resolve) => socket.once('connect', () => resolve(true))),
      sleep(300).then(() => false),
    ]);
    if (!connected) return fillers;
  }
  throw new Error('the accept queue never filled');
}

const b = echoServer();
const c = echoServer();
const bPort = await listen(b.server);
const cPort = await listen(c.server);
let a;
let aPort;
let frozen;
if (mode === 'refused') {
  a = echoServer();
  aPort = await listen(a.server);
} else {
  frozen = await childListener();
  aPort = frozen.port;
}

const cb = createTcpConnback({
  endpoints: [`127.0.0.1:${aPort}`, `127.0.0.1:${bPort}`, `127.0.0.1:${cPort}`],
  connectTimeout: FAILOVER_CT_MS,
  keepalive: 0,
});
const connects = [];
cb.onconnect((_socket, info) => connects.push({ at: now(), endpoint: info.endpoint }));
cb.onerror(() => {});
await cb.ready();
const aName = `tcp://127.0.0.1:${aPort}`;
if (connects[0]?.endpoint !== aName) throw new Error('expected the first endpoint first');

let fillers = [];
let dropAt;
if (mode === 'refused') {
  dropAt = now();
  a.server.close();
  for (const socket of a.sockets) socket.destroy();
} else {
  frozen.child.kill('SIGSTOP');
  fillers = await fillAcceptQueue(aPort);
  dropAt = now();
  cb.client.destroy();
}
while (connects.length < 2) await sleep(1);
const failoverMs = connects[1].at - dropAt;
const elsewhere = connects[1].endpoint !== aName;

// Three more drops at once: the dead endpoint waits its own delay (1 s), so none goes to it.
const aAttempts = () => cb.stats.endpoints.find((e) => e.endpoint === aName).attempts;
const before = aAttempts();
for (let i = 0; i < 3; i++) {
  const n = connects.length;
  cb.client.destroy();
  while (connects.length === n) await sleep(1);
}
const earlyRetries = aAttempts() - before;

cb.end(true);
for (const socket of fillers) socket.destroy();
if (frozen) {
  frozen.child.kill('SIGCONT');
  frozen.child.kill('SIGKILL');
}
for (const s of [b, c]) {
  for (const socket of s.sockets) socket.destroy();
  s.server.close();
}
console.log(JSON.stringify({ failoverMs: elsewhere ? failoverMs : Number.NaN, earlyRetries }));

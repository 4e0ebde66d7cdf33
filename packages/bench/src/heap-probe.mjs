// Where the memory of an idle connection goes: `node --expose-gc heap-probe.mjs <mode> [snapshot]`
// opens 2,000 connections to an echo server process and prints the heap per connection, for
// `socket` (a bare net.Socket), `connector` (TcpConnector.connect alone) or `connback`
// (createTcpConnback); over WebSockets, to a `ws` server process, for `ws` (a bare `ws`
// WebSocket), `ws-connector` (WsConnector.connect alone), `ws-raw`, `ws-connback` and
// `ws-socket` (the variants of the ws rows). With a snapshot path it also writes a heap
// snapshot there, for heap-diff.mjs to compare two modes object type by object type.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';
import { createTcpConnback, TcpConnector } from '@connback/tcp';
import { WsConnector } from '@connback/ws';
import WebSocket from 'ws';
import { startChild } from './children.mjs';
import { DEFAULT_POLICY } from './policy.mjs';
import * as wsConnback from './variants/ws-connback.mjs';
import * as wsRaw from './variants/ws-raw.mjs';
import * as wsSocket from './variants/ws-socket.mjs';

const CONNECTIONS = 2000;
const [mode = 'connback', snapshot] = process.argv.slice(2);
if (typeof globalThis.gc !== 'function') throw new Error('heap-probe: run with node --expose-gc');

/** A connector's connect alone, with a token that never fires and feeds that go nowhere. */
function connectAlone(connector, connected) {
  const token = { isCancellationRequested: false, onCancellationRequested: () => () => {} };
  const connback = { feedHeartbeat() {}, feedError() {}, feedClose() {} };
  const held = [connector];
  connector.connect(connback, token).then((socket) => {
    held.push(socket);
    connected();
  });
  return held;
}

const OPENERS = {
  socket: (port, connected) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.on('connect', connected);
    return socket;
  },
  connector: (port, connected) =>
    connectAlone(new TcpConnector({ host: '127.0.0.1', port }), connected),
  connback: (port, connected) => {
    const connback = createTcpConnback({ host: '127.0.0.1', port, keepalive: 1 });
    connback.onconnect(connected);
    return connback;
  },
  ws: (port, connected) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    socket.on('error', () => {});
    socket.on('open', connected);
    return socket;
  },
  'ws-connector': (port, connected) =>
    connectAlone(new WsConnector({ url: `ws://127.0.0.1:${port}` }), connected),
  // The variants of the ws rows, with the three hooks the row's harness gives them.
  ...Object.fromEntries(
    [wsRaw, wsConnback, wsSocket].map((variant) => [
      variant.name,
      (port, connected) =>
        variant.open(
          port,
          { keepalive: 1, policy: DEFAULT_POLICY },
          { onAttempt: () => {}, onConnect: connected, onClose: () => {} },
        ),
    ]),
  ),
};
if (!(mode in OPENERS)) {
  throw new Error(`heap-probe: unknown mode "${mode}" (${Object.keys(OPENERS).join(', ')})`);
}

const server = startChild('server.mjs', [mode.startsWith('ws') ? 'ws' : 'echo']);
try {
  const { port } = await server.ask({ type: 'listen' }, 'listening');
  const held = [];
  let connected = 0;
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < CONNECTIONS; i++) held.push(OPENERS[mode](port, () => connected++));
  for (let waited = 0; connected < CONNECTIONS; waited += 20) {
    if (waited > 30_000) throw new Error(`heap-probe: only ${connected} connections`);
    await sleep(20);
  }
  await sleep(1500); // a keepalive period or so: every heartbeat armed and fired once
  globalThis.gc();
  const perConnection = (process.memoryUsage().heapUsed - before) / CONNECTIONS;
  if (snapshot) writeHeapSnapshot(snapshot);
  console.log(
    `${mode}: ${perConnection.toFixed(0)} bytes of heap per connection (${held.length} held)`,
  );
} finally {
  await server.stop();
}
process.exit(0);

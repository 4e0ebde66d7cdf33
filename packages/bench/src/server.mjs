// The server of every network row, in its own process: an echo server on 127.0.0.1 (pings come
// back as pongs, payloads as themselves), with `flap` a server that accepts and drops at once,
// or with `ws` a `ws` WebSocketServer whose connections answer protocol pings (ws's autoPong)
// and echo messages.
import net from 'node:net';
import { WebSocketServer } from 'ws';
import { now, serve } from './children.mjs';

const mode = process.argv[2] ?? 'echo';
const sockets = new Set();
let server;
let port = 0;

function onConnection(socket) {
  socket.on('error', () => {});
  if (mode === 'flap') {
    socket.destroy();
    return;
  }
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  socket.pipe(socket);
}

function onWebSocket(socket) {
  socket.on('error', () => {});
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
}

/** A WebSocketServer on 127.0.0.1 (no compression, as the clients offer it and ws then declines). */
function listenWs() {
  return new Promise((resolve, reject) => {
    server = new WebSocketServer({
      host: '127.0.0.1',
      port,
      backlog: 4096,
      perMessageDeflate: false,
    });
    server.once('error', reject);
    server.once('listening', () => {
      port = server.address().port;
      resolve(port);
    });
    server.on('connection', onWebSocket);
  });
}

function listen() {
  if (mode === 'ws') return listenWs();
  server = net.createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => {
      port = server.address().port;
      resolve(port);
    });
  });
}

serve(async (message) => {
  switch (message.type) {
    case 'listen':
      return { type: 'listening', port: await listen() };
    case 'count':
      return { type: 'counted', connections: sockets.size };
    case 'down': {
      // The outage of the herd row: every connection dropped and nobody listening for `ms`.
      const downAt = now();
      server.close();
      for (const socket of sockets) {
        if (mode === 'ws') socket.terminate();
        else socket.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, message.ms - (now() - downAt)));
      await listen();
      return { type: 'up', downAt, upAt: now() };
    }
    default:
      throw new Error(`unknown message ${message.type}`);
  }
});

// The server of every network row, in its own process: an echo server on 127.0.0.1 (pings come
// back as pongs, payloads as themselves), or with `flap` a server that accepts and drops at once.
import net from 'node:net';
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

function listen() {
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
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, message.ms - (now() - downAt)));
      await listen();
      return { type: 'up', downAt, upAt: now() };
    }
    default:
      throw new Error(`unknown message ${message.type}`);
  }
});

// The two loopback servers a ```ts run block talks to: a TCP echo server (every byte comes back)
// and a WebSocket echo server (`ws`; answers pings, any path). Fresh ones per block, so that
// what one example leaves behind cannot change the next one's result.
import { createRequire } from 'node:module';
import net from 'node:net';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
// `ws` is a dependency of packages/ws only (not of the root): load it from there.
const { WebSocketServer } = createRequire(join(root, 'packages', 'ws', 'package.json'))('ws');

/** Starts both servers on 127.0.0.1, port 0. Resolves `{ tcpPort, wsPort, close() }`. */
export async function startEchoServers() {
  const sockets = new Set();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  tcp.on('error', () => {});
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('error', () => {});
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  try {
    await Promise.all([
      new Promise((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(0, '127.0.0.1', resolve);
      }),
      new Promise((resolve, reject) => {
        wss.once('error', reject);
        wss.once('listening', resolve);
      }),
    ]);
  } catch (error) {
    await close();
    throw error;
  }
  async function close() {
    for (const socket of sockets) socket.destroy();
    for (const client of wss.clients) client.terminate();
    await Promise.all([
      new Promise((resolve) => (tcp.listening ? tcp.close(() => resolve()) : resolve())),
      new Promise((resolve) => wss.close(() => resolve())),
    ]);
  }
  return { tcpPort: tcp.address().port, wsPort: wss.address().port, close };
}

/**
 * `code` with the placeholder addresses pointed at the servers: `localhost:7000` → the TCP echo
 * server, `localhost:8080` → the WebSocket echo server.
 */
export function rewritePlaceholders(code, { tcpPort, wsPort }) {
  return code
    .replaceAll('localhost:7000', `127.0.0.1:${tcpPort}`)
    .replaceAll('localhost:8080', `127.0.0.1:${wsPort}`);
}

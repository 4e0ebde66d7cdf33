import type { TestProject } from 'vitest/node';
import { type WebSocket, WebSocketServer } from 'ws';

declare module 'vitest' {
  export interface ProvidedContext {
    wsPort: number;
    refusedPort: number;
  }
}

/**
 * Where the global setup leaves the function that drops every connection, for the
 * `dropWsConnections` command of vitest.browser.config.ts: both run in vitest's Node process,
 * which loads the two files as separate modules.
 */
export const DROP_CONNECTIONS = Symbol.for('connback.test-browser.dropConnections');

/**
 * Runs in Node before the browser tests: a loopback ws server that sends "hello <n>" to its n-th
 * connection as it opens when the path is /hello, echoes every message, answers "who" with the number of its
 * connection, and drops the client (no close frame: 1006) when it receives "drop", or, from the
 * server side, those of one path when a test runs the `dropWsConnections` command.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  let connections = 0;
  /** The path each open connection asked for, so that a test drops only its own. */
  const paths = new Map<WebSocket, string>();
  server.on('connection', (socket, request) => {
    paths.set(socket, request.url ?? '/');
    socket.once('close', () => paths.delete(socket));
    connections += 1;
    const number = connections;
    if (request.url === '/hello') socket.send(`hello ${number}`);
    socket.on('message', (data) => {
      const text = String(data);
      if (text === 'drop') socket.terminate();
      else if (text === 'who') socket.send(`connection ${number}`);
      else socket.send(`echo ${text}`);
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  project.provide('wsPort', address.port);
  // Keyed by port: vitest may run this setup more than once in its process (a server each).
  const registry = globalThis as {
    [DROP_CONNECTIONS]?: Map<number, (path: string) => number>;
  };
  registry[DROP_CONNECTIONS] ??= new Map();
  const drops = registry[DROP_CONNECTIONS];
  drops.set(address.port, (path) => {
    let dropped = 0;
    for (const [client, asked] of paths) {
      if (asked !== path) continue;
      client.terminate();
      dropped += 1;
    }
    return dropped;
  });
  // A port nobody listens on: bound, noted, closed.
  const probe = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => probe.once('listening', () => resolve()));
  const closed = probe.address();
  if (closed === null || typeof closed === 'string') throw new Error('expected a TCP address');
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  project.provide('refusedPort', closed.port);
  return async () => {
    drops.delete(address.port);
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

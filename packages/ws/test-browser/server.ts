import type { TestProject } from 'vitest/node';
import { WebSocketServer } from 'ws';

declare module 'vitest' {
  export interface ProvidedContext {
    wsPort: number;
    refusedPort: number;
  }
}

/**
 * Runs in Node before the browser tests: a loopback ws server that echoes every message, answers
 * "who" with the number of its connection, and drops the client (no close frame: 1006) when it
 * receives "drop".
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  let connections = 0;
  server.on('connection', (socket) => {
    connections += 1;
    const number = connections;
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
  // A port nobody listens on: bound, noted, closed.
  const probe = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => probe.once('listening', () => resolve()));
  const closed = probe.address();
  if (closed === null || typeof closed === 'string') throw new Error('expected a TCP address');
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  project.provide('refusedPort', closed.port);
  return async () => {
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

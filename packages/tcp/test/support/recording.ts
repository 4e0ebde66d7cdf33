import type { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { Connback } from '@connback/core';
import type { ReconnectingStream, TcpStreamOptions } from '../../src/index.js';
import { type LoopbackServer, startServer, waitFor } from './servers.js';

/** What one accepted connection sent the server. */
export interface RecordedConnection {
  readonly socket: net.Socket;
  /** Every chunk received on this connection, in order. */
  readonly chunks: Buffer[];
  /** The client's FIN arrived ('end'). */
  gotEnd: boolean;
  /** The server side of the connection is closed. */
  closed: boolean;
  /** Bytes received so far. */
  bytes(): Buffer;
  text(): string;
}

/** A loopback server that records every byte received, per connection. */
export interface RecordingServer extends LoopbackServer {
  /** One entry per accepted connection, in accept order. */
  readonly connections: RecordedConnection[];
  /** The last connection accepted (throws if none was). */
  last(): RecordedConnection;
}

/**
 * Starts a loopback server (any free port) that records what each connection receives;
 * `greet(index)` may return bytes to send on the connection numbered `index` (0 for the first).
 */
export async function startRecordingServer(
  greet?: (index: number) => string | undefined,
): Promise<RecordingServer> {
  const connections: RecordedConnection[] = [];
  const loopback = await startServer((socket) => {
    const chunks: Buffer[] = [];
    const entry: RecordedConnection = {
      socket,
      chunks,
      gotEnd: false,
      closed: false,
      bytes: () => Buffer.concat(chunks),
      text: () => Buffer.concat(chunks).toString('latin1'),
    };
    const index = connections.length;
    connections.push(entry);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => {
      entry.gotEnd = true;
    });
    socket.once('close', () => {
      entry.closed = true;
    });
    const hello = greet?.(index);
    if (hello !== undefined) socket.write(hello);
  });
  return Object.assign(loopback, {
    connections,
    last: () => {
      const entry = connections.at(-1);
      if (entry === undefined) throw new Error('no connection was accepted');
      return entry;
    },
  });
}

/** The names of `emitter`'s events, in the order they were emitted (from now on). */
export function recordEvents(emitter: EventEmitter, names: readonly string[]): string[] {
  const seen: string[] = [];
  for (const name of names) emitter.on(name, () => seen.push(name));
  return seen;
}

/** The Connback has reported the drop: it is between attempts or making one. */
export function isDown(connback: Connback<unknown>): boolean {
  return connback.state === 'offline' || connback.state === 'connecting';
}

/** Lets the microtasks and I/O callbacks queued so far run (no timer involved). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Loopback, small exact delays, no heartbeat (the servers here do not talk on their own). */
export function streamOptions(
  port: number,
  more: Partial<TcpStreamOptions> = {},
): TcpStreamOptions {
  return {
    host: '127.0.0.1',
    port,
    initialDelay: 20,
    maxDelay: 100,
    jitter: 'none',
    keepalive: 0,
    ...more,
  };
}

/** Closes the server and waits until the stream's Connback has reported the drop. */
export async function takeDown(server: RecordingServer, stream: ReconnectingStream): Promise<void> {
  await server.close();
  await waitFor(() => isDown(stream.connback), 'the drop to be reported');
}

/** Waits for one more refused attempt: the client really is down, and retrying. */
export async function refusedOnce(stream: ReconnectingStream): Promise<void> {
  const failed = stream.connback.stats.failedAttempts;
  await waitFor(() => stream.connback.stats.failedAttempts > failed, 'a refused attempt');
}

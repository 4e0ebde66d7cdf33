import type net from 'node:net';
import { asyncDisposeSymbol } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { createTcpConnback, createTcpStream } from '../src/index.js';
import { streamOptions } from './support/recording.js';
import { startServer, waitFor } from './support/servers.js';

/** A server that never closes its side: the client's graceful close waits for closeTimeout. */
function halfOpen(socket: net.Socket): void {
  socket.allowHalfOpen = true;
  socket.resume();
}

const CLOSE_TIMEOUT = 300;

describe('TCP: await using and using', () => {
  it('await using createTcpConnback(…): at the block exit the socket is closed (the graceful close waited for closeTimeout)', async () => {
    const server = await startServer(halfOpen);
    try {
      let socket: net.Socket | undefined;
      let exitedAfter = 0;
      const started = performance.now();
      {
        await using connback = createTcpConnback({
          host: '127.0.0.1',
          port: server.port,
          keepalive: 0,
          closeTimeout: CLOSE_TIMEOUT,
        });
        socket = await connback.ready();
      }
      exitedAfter = performance.now() - started;
      expect(socket.closed).toBe(true);
      expect(socket.destroyed).toBe(true);
      // Generous slack below: timers run late on a loaded machine, never early.
      expect(exitedAfter).toBeGreaterThanOrEqual(CLOSE_TIMEOUT - 20);
    } finally {
      await server.close();
    }
  });

  it('using createTcpConnback(…): ended at the block exit, the socket still closing', async () => {
    const server = await startServer(halfOpen);
    try {
      let socket: net.Socket | undefined;
      {
        using connback = createTcpConnback({
          host: '127.0.0.1',
          port: server.port,
          keepalive: 0,
          closeTimeout: CLOSE_TIMEOUT,
        });
        socket = await connback.ready();
      }
      expect(socket.closed).toBe(false);
      expect(socket.writableEnded).toBe(true);
      await waitFor(() => socket?.closed === true, 'the socket to close');
    } finally {
      await server.close();
    }
  });

  it('await using createTcpStream(…): destroyed without an error event, its socket closed at the block exit', async () => {
    const server = await startServer(halfOpen);
    try {
      let socket: net.Socket | undefined;
      const errors: Error[] = [];
      {
        await using stream = createTcpStream(streamOptions(server.port));
        stream.on('error', (error: Error) => errors.push(error));
        await waitFor(() => stream.connback.connected, 'the connection');
        socket = stream.connback.client;
        stream.write('bye');
      }
      expect(socket?.closed).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('the stream disposer on a stream destroyed with an error, or disposed twice, resolves', async () => {
    const server = await startServer(halfOpen);
    try {
      const stream = createTcpStream(streamOptions(server.port));
      const failed = new Promise<Error>((resolve) => stream.once('error', resolve));
      await waitFor(() => stream.connback.connected, 'the connection');
      const socket = stream.connback.client;
      stream.destroy(new Error('the application gave up'));
      expect((await failed).message).toBe('the application gave up');
      await stream[asyncDisposeSymbol]();
      await stream[asyncDisposeSymbol]();
      expect(stream.closed).toBe(true);
      expect(socket?.closed).toBe(true);
      expect(stream.connback.state).toBe('ended');
    } finally {
      await server.close();
    }
  });

  it('a stream whose Connback was ended and reconnected by someone else: disposing it leaves that Connback alone', async () => {
    const server = await startServer(halfOpen);
    const stream = createTcpStream(streamOptions(server.port));
    try {
      stream.resume();
      await waitFor(() => stream.connback.connected, 'the connection');
      stream.connback.end(true);
      await waitFor(() => stream.destroyed, 'the stream to finish');
      const again = await stream.connback.reconnect();
      await stream[asyncDisposeSymbol]();
      expect(stream.connback.connected).toBe(true);
      expect(stream.connback.client).toBe(again);
    } finally {
      stream.connback.end(true);
      await server.close();
    }
  });
});

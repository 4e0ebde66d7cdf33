import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { createTcpConnback } from '../src/index.js';
import { received, record } from './support/recorder.js';
import { startServer, waitFor } from './support/servers.js';
import { clientSockets, maxOpenAtOnce } from './support/setup.js';

/** A fresh Unix socket path in the OS temp dir. */
function socketPath(): string {
  return path.join(
    os.tmpdir(),
    `connback-ipc-${process.pid}-${randomBytes(4).toString('hex')}.sock`,
  );
}

describe('IPC over a Unix socket path', () => {
  it('createTcpConnback({ path }) connects, exchanges data, and reconnects after the server drops the client', async () => {
    const at = socketPath();
    const server = await startServer(undefined, at);
    const cb = createTcpConnback({ path: at, jitter: 'none', initialDelay: 50 });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      const first = rec.clients[0] as net.Socket;
      expect(first).toBeInstanceOf(net.Socket);
      expect(first.remoteAddress).toBeUndefined();
      const reply = received(first);
      first.write('over ipc\n');
      await waitFor(() => reply.text() === 'over ipc\n', 'the echo');

      server.accepted[0]?.destroy();
      await waitFor(() => cb.connected && rec.clients.length === 2, 'the reconnect');
      const second = rec.clients[1] as net.Socket;
      const again = received(second);
      second.write('still over ipc\n');
      await waitFor(() => again.text() === 'still over ipc\n', 'the echo after reconnecting');

      expect(rec.events()).toEqual(['connect', 'close(false)', 'offline', 'reconnect', 'connect']);
      expect(server.accepted).toHaveLength(2);
      expect(clientSockets()).toHaveLength(2);
      expect(maxOpenAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('createTcpConnback("unix:/path") and createTcpConnback({ url: "unix:///path" }) connect over IPC, as { path } does', async () => {
    const at = socketPath();
    const server = await startServer(undefined, at);
    try {
      for (const cb of [
        createTcpConnback(`unix:${at}`, { keepalive: 0 }),
        createTcpConnback({ url: `unix://${at}`, keepalive: 0 }),
      ]) {
        try {
          const socket = await cb.ready();
          expect(socket.remoteAddress).toBeUndefined();
          const reply = received(socket);
          socket.write('over unix:\n');
          await waitFor(() => reply.text() === 'over unix:\n', 'the echo');
        } finally {
          cb.end(true);
        }
      }
      expect(server.accepted).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('a path nobody listens on fails each attempt with ENOENT, then fails after maxNumOfAttempts', async () => {
    const cb = createTcpConnback({
      path: socketPath(),
      jitter: 'none',
      initialDelay: 30,
      maxNumOfAttempts: 2,
    });
    const rec = record(cb);
    try {
      await waitFor(() => cb.state === 'failed', 'the Connback to fail');
      expect(rec.codes()).toEqual(['ENOENT', 'ENOENT']);
      expect(rec.count(`fail:${ErrorCode.AttemptsExhausted}`)).toBe(1);
      expect(clientSockets().every((entry) => entry.socket.destroyed)).toBe(true);
    } finally {
      cb.end(true);
    }
  });
});

import net from 'node:net';
import { ErrorCode } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { createTcpConnback } from '../src/index.js';
import { occurrences, received, record } from './support/recorder.js';
import { startServer, waitFor } from './support/servers.js';
import { clientSockets, maxOpenAtOnce } from './support/setup.js';

/** Keepalive of these tests, in seconds and in ms; timers may be late on 2 noisy cores. */
const K = 0.2;
const K_MS = K * 1000;
const SLACK = 150;

/** Every delay exact (no jitter) and short. */
const quick = { host: '127.0.0.1', jitter: 'none', initialDelay: 50, maxDelay: 200 } as const;

describe('TcpConnector over loopback TCP', () => {
  it('connects, hands onconnect a net.Socket, and exchanges data', async () => {
    const server = await startServer();
    const cb = createTcpConnback({ ...quick, port: server.port });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      const socket = rec.clients[0];
      expect(socket).toBeInstanceOf(net.Socket);
      expect(cb.client).toBe(socket);
      expect(cb.stats.reconnects).toBe(0);
      const reply = received(socket as net.Socket);
      socket?.write('hello over loopback\n');
      await waitFor(() => reply.text() === 'hello over loopback\n', 'the echo');
      expect(server.accepted).toHaveLength(1);
      expect(rec.events()).toEqual(['connect']);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('without ping, data the server sends every 50 ms is the heartbeat: the connection stays up past 6 × keepalive', async () => {
    const server = await startServer((socket) => {
      const tick = setInterval(() => socket.write('tick\n'), 50);
      socket.once('close', () => clearInterval(tick));
    });
    const cb = createTcpConnback({ ...quick, port: server.port, keepalive: K });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      const socket = rec.clients[0] as net.Socket;
      const ticks = received(socket);
      const since = performance.now();
      await waitFor(
        () => performance.now() - since >= 6 * K_MS && occurrences(ticks.text(), 'tick\n') >= 15,
        '6 × keepalive of ticks',
      );
      expect(rec.events()).toEqual(['connect']);
      expect(cb.client).toBe(socket);
      expect(server.accepted).toHaveLength(1);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('without ping, a silent server has the connection force-closed with CONNBACK_KEEPALIVE_TIMEOUT at 2 × keepalive, then reconnected (never onend)', async () => {
    const server = await startServer(() => {});
    const cb = createTcpConnback({ ...quick, port: server.port, keepalive: K });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      const first = rec.clients[0] as net.Socket;
      await waitFor(() => rec.errors.length === 1, 'the keepalive timeout');
      const silentFor = rec.lastAt(`error:${ErrorCode.KeepaliveTimeout}`) - rec.lastAt('connect');
      expect(silentFor).toBeGreaterThanOrEqual(2 * K_MS - 5);
      expect(silentFor).toBeLessThanOrEqual(2 * K_MS + SLACK);
      expect(first.destroyed).toBe(true);
      await waitFor(() => cb.connected && rec.clients.length === 2, 'the reconnect');
      expect(rec.events().slice(0, 5)).toEqual([
        'connect',
        `error:${ErrorCode.KeepaliveTimeout}`,
        'close(true)',
        'offline',
        'reconnect',
      ]);
      expect(rec.events()[5]).toBe('connect');
      expect(rec.count('end')).toBe(0);
      expect(server.accepted).toHaveLength(2);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it("with ping 'ping\\n', an echo server keeps the connection alive for more than 10 × keepalive", async () => {
    const server = await startServer();
    const cb = createTcpConnback({ ...quick, port: server.port, keepalive: K, ping: 'ping\n' });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      const socket = rec.clients[0] as net.Socket;
      const echoes = received(socket);
      const since = performance.now();
      await waitFor(
        () => performance.now() - since > 10 * K_MS && occurrences(echoes.text(), 'ping\n') >= 9,
        '10 × keepalive of pings answered',
      );
      expect(echoes.text()).toMatch(/^(ping\n)+$/);
      expect(rec.events()).toEqual(['connect']);
      expect(cb.client).toBe(socket);
      expect(server.accepted).toHaveLength(1);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('ping as a Buffer: its bytes are sent on every keepalive tick', async () => {
    const payload = Buffer.from([0x00, 0xff, 0x0a]);
    const server = await startServer();
    const cb = createTcpConnback({ ...quick, port: server.port, keepalive: K, ping: payload });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      const echoes = received(rec.clients[0] as net.Socket);
      await waitFor(() => echoes.text().length >= 3 * payload.length, 'three pings echoed');
      const unit = payload.toString('latin1');
      expect(echoes.text()).toBe(unit.repeat(Math.floor(echoes.text().length / unit.length)));
      expect(rec.events()).toEqual(['connect']);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('ping as a function: called with the live socket on every tick, what it returns is sent', async () => {
    const server = await startServer();
    const calledWith: net.Socket[] = [];
    const cb = createTcpConnback({
      ...quick,
      port: server.port,
      keepalive: K,
      ping: (socket) => {
        calledWith.push(socket);
        return `ping ${calledWith.length}\n`;
      },
    });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      const socket = rec.clients[0] as net.Socket;
      const echoes = received(socket);
      await waitFor(() => echoes.text().includes('ping 3\n'), 'three pings echoed');
      expect(echoes.text().startsWith('ping 1\nping 2\nping 3\n')).toBe(true);
      expect(calledWith.every((s) => s === socket)).toBe(true);
      expect(rec.events()).toEqual(['connect']);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('ping as a function that writes by itself and returns undefined: nothing else is sent', async () => {
    const server = await startServer();
    const cb = createTcpConnback({
      ...quick,
      port: server.port,
      keepalive: K,
      ping: (socket) => {
        socket.write('own\n');
        return undefined;
      },
    });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      const echoes = received(rec.clients[0] as net.Socket);
      await waitFor(() => occurrences(echoes.text(), 'own\n') >= 3, 'three pings echoed');
      expect(echoes.text()).toMatch(/^(own\n)+$/);
      expect(rec.events()).toEqual(['connect']);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('a ping function that throws counts as a failed heartbeat: CONNBACK_PING_FAILED, then a reconnect, never uncaught', async () => {
    const server = await startServer();
    const cb = createTcpConnback({
      ...quick,
      port: server.port,
      keepalive: K,
      ping: () => {
        throw new Error('no ping today');
      },
    });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      await waitFor(() => cb.connected && rec.clients.length === 2, 'the reconnect');
      expect(rec.events().slice(0, 6)).toEqual([
        'connect',
        `error:${ErrorCode.PingFailed}`,
        'close(true)',
        'offline',
        'reconnect',
        'connect',
      ]);
      const failed = rec.errors[0]?.error as Error & { cause?: unknown };
      expect((failed.cause as Error).message).toBe('no ping today');
      // At the first keepalive tick, when the first ping is due.
      const failedAfter = (rec.errors[0]?.at as number) - (rec.log[0]?.at as number);
      expect(failedAfter).toBeGreaterThanOrEqual(K_MS - 5);
      expect(failedAfter).toBeLessThanOrEqual(K_MS + SLACK);
      expect(rec.clients[0]?.destroyed).toBe(true);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('a remote FIN (server end()) gives onclose(false), then one reconnect to the same server with one client at a time (row 6)', async () => {
    const server = await startServer();
    const cb = createTcpConnback({ ...quick, port: server.port });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      server.accepted[0]?.end();
      await waitFor(() => cb.connected && rec.clients.length === 2, 'the reconnect');
      expect(rec.events()).toEqual(['connect', 'close(false)', 'offline', 'reconnect', 'connect']);
      expect(rec.errors).toEqual([]);
      const second = rec.clients[1] as net.Socket;
      expect(rec.clients[0]?.destroyed).toBe(true);
      const reply = received(second);
      second.write('again\n');
      await waitFor(() => reply.text() === 'again\n', 'the echo on the new connection');
      await waitFor(() => server.open.size === 1, 'the server to see one client');
      expect(server.accepted).toHaveLength(2);
      expect(clientSockets()).toHaveLength(2);
      expect(maxOpenAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('an RST mid-stream gives one ECONNRESET error, exactly one onclose(true) and one reconnect, and no uncaught exception (row 5)', async () => {
    const uncaught: unknown[] = [];
    const monitor = (error: unknown) => uncaught.push(error);
    process.on('uncaughtExceptionMonitor', monitor);
    const server = await startServer();
    // delayFirstAttempt: the replacement socket opens after the reset one has closed.
    const cb = createTcpConnback({ ...quick, port: server.port, delayFirstAttempt: true });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      const first = rec.clients[0] as net.Socket;
      const reply = received(first);
      first.write('before the reset\n');
      await waitFor(() => reply.text() === 'before the reset\n', 'the echo');
      server.accepted[0]?.resetAndDestroy();
      await waitFor(() => cb.connected && rec.clients.length === 2, 'the reconnect');
      // Both the error and the close of the reset socket have been delivered by now.
      await waitFor(() => first.destroyed && clientSockets()[0]?.closedAt !== undefined, 'close');
      const second = rec.clients[1] as net.Socket;
      const again = received(second);
      second.write('after the reset\n');
      await waitFor(() => again.text() === 'after the reset\n', 'the echo on the new connection');
      expect(rec.events()).toEqual([
        'connect',
        'error:ECONNRESET',
        'close(true)',
        'offline',
        'reconnect',
        'connect',
      ]);
      expect(server.accepted).toHaveLength(2);
      expect(maxOpenAtOnce()).toBe(1);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtExceptionMonitor', monitor);
      cb.end(true);
      await server.close();
    }
  });

  it('the idle timeout option destroys a silent connection with ETIMEDOUT and reconnects', async () => {
    const server = await startServer(() => {});
    const cb = createTcpConnback({ ...quick, port: server.port, keepalive: 0, timeout: 150 });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the first connect');
      await waitFor(() => rec.clients.length === 2 && cb.connected, 'the reconnect');
      const idle = rec.lastAt('error:ETIMEDOUT') - (rec.log[0]?.at ?? 0);
      expect(idle).toBeGreaterThanOrEqual(150 - 5);
      expect(idle).toBeLessThanOrEqual(150 + SLACK);
      expect(rec.events().slice(0, 6)).toEqual([
        'connect',
        'error:ETIMEDOUT',
        'close(true)',
        'offline',
        'reconnect',
        'connect',
      ]);
    } finally {
      cb.end(true);
      await server.close();
    }
  });
});

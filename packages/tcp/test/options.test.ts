import net from 'node:net';
import { ErrorCode, isConnbackError } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../test-support/thrown.js';
import { createTcpConnback, type TcpConnbackOptions, TcpConnector } from '../src/index.js';
import { record } from './support/recorder.js';
import { startServer, waitFor } from './support/servers.js';
import { clientSockets } from './support/setup.js';

const SLACK = 150;

const bad: [string, Record<string, unknown>, string][] = [
  ['port 0', { port: 0 }, 'port'],
  ['port 70000', { port: 70000 }, 'port'],
  ['a fractional port', { port: 80.5 }, 'port'],
  ['a port given as a string', { port: '80' }, 'port'],
  ['both port and path', { port: 80, path: '/tmp/x.sock' }, 'path'],
  ['neither port nor path', {}, 'port'],
  ['an empty path', { path: '' }, 'path'],
  ["tls: 'yes'", { port: 80, tls: 'yes' }, 'tls'],
  ['tls: null', { port: 80, tls: null }, 'tls'],
  ['ping: 42', { port: 80, ping: 42 }, 'ping'],
  ['closeTimeout: -1', { port: 80, closeTimeout: -1 }, 'closeTimeout'],
  ['timeout: NaN', { port: 80, timeout: Number.NaN }, 'timeout'],
  ['keepAlive: 30 (a number)', { port: 80, keepAlive: 30 }, 'keepAlive'],
  ['host: 42', { port: 80, host: 42 }, 'host'],
  ["host: ''", { port: 80, host: '' }, 'host'],
  ["lookup: 'dns'", { port: 80, lookup: 'dns' }, 'lookup'],
];

describe('connector options', () => {
  it.each(bad)('%s throws CONNBACK_INVALID_OPTION naming the option', (_title, options, name) => {
    const fromCreate = thrown(() => createTcpConnback(options as TcpConnbackOptions));
    expect(isConnbackError(fromCreate, ErrorCode.InvalidOption)).toBe(true);
    expect(fromCreate.message).toContain(`"${name}"`);
    const fromConnector = thrown(() => new TcpConnector(options as TcpConnbackOptions));
    expect(isConnbackError(fromConnector, ErrorCode.InvalidOption)).toBe(true);
    expect(fromConnector.message).toContain(`"${name}"`);
    expect(clientSockets()).toHaveLength(0);
  });

  it("host: '' says a non-empty host is needed; a bad value holding credentials is echoed without them", () => {
    expect(thrown(() => createTcpConnback({ port: 80, host: '' })).message).toContain(
      'a non-empty host name or address',
    );
    const error = thrown(() =>
      createTcpConnback({ port: 'alice:s3cret@db:5432' as unknown as number }),
    );
    expect(error.message).toContain('"port"');
    expect(error.message).toContain('***:***@db:5432');
    expect(error.message).not.toContain('s3cret');
    expect(error.message).not.toContain('alice');
  });

  it('both port and path: the message names both', () => {
    const error = thrown(() => createTcpConnback({ port: 80, path: '/tmp/x.sock' }));
    expect(error.message).toContain('"path"');
    expect(error.message).toContain('"port"');
  });

  it('keepAlive: 30 points to connback\'s "keepalive" (seconds)', () => {
    const error = thrown(() =>
      createTcpConnback({ port: 80, keepAlive: 30 as unknown as boolean }),
    );
    expect(error.message).toContain('"keepAlive"');
    expect(error.message).toContain('"keepalive"');
  });

  it('an unknown option (keepAlve) is refused by core, naming it and listing the known options', () => {
    const error = thrown(() =>
      createTcpConnback({ port: 80, keepAlve: true } as unknown as TcpConnbackOptions),
    );
    expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
    expect(error.message).toContain('unknown option "keepAlve"');
    expect(error.message).toContain('known:');
    expect(error.message).toContain('keepalive');
    expect(clientSockets()).toHaveLength(0);
  });

  it('a bad connback option given to createTcpConnback is refused by core, naming it', () => {
    const error = thrown(() => createTcpConnback({ port: 80, keepalive: -1 }));
    expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
    expect(error.message).toContain('"keepalive"');
  });

  it('createTcpConnback without an options object throws a TypeError', () => {
    expect(() => createTcpConnback(undefined as unknown as TcpConnbackOptions)).toThrow(TypeError);
  });

  it('defaults: host localhost, noDelay on, closeTimeout 2000, TCP keep-alive off, no ping', () => {
    const connector = new TcpConnector({ port: 80 });
    expect(connector.options).toMatchObject({
      host: 'localhost',
      port: 80,
      path: undefined,
      tls: undefined,
      noDelay: true,
      keepAlive: false,
      timeout: 0,
      ping: undefined,
      closeTimeout: 2000,
    });
    expect(new TcpConnector({ port: 80, tls: true }).options.tls).toEqual({});
  });
});

describe('closing', () => {
  it('end() ends the socket gracefully: the server sees its FIN, and it closes when the server closes its side', async () => {
    let serverSawEnd = false;
    const server = await startServer((socket) => {
      socket.once('end', () => {
        serverSawEnd = true;
      });
      socket.resume();
    });
    const cb = createTcpConnback({ host: '127.0.0.1', port: server.port, closeTimeout: 2000 });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the connect');
      const socket = rec.clients[0] as net.Socket;
      const endedAt = performance.now();
      expect(cb.end()).toBe(cb);
      // end() returns at once; the socket is closing, not destroyed.
      expect(cb.state).toBe('ended');
      expect(rec.events()).toEqual(['connect', 'close(false)', 'end']);
      expect(socket.destroyed).toBe(false);
      expect(socket.writableEnded).toBe(true);
      await waitFor(() => serverSawEnd, "the server's 'end'");
      await waitFor(() => clientSockets()[0]?.closedAt !== undefined, 'the socket to close');
      // The server answered with its own FIN: no need to wait for closeTimeout.
      expect((clientSockets()[0]?.closedAt as number) - endedAt).toBeLessThan(1000);
      expect(rec.events()).toEqual(['connect', 'close(false)', 'end']);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('end() destroys the socket after closeTimeout when the server never closes its side', async () => {
    const CLOSE_TIMEOUT = 300;
    let serverSawEnd = false;
    const held = new Set<net.Socket>();
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      held.add(socket);
      socket.on('error', () => {});
      socket.once('end', () => {
        serverSawEnd = true;
      });
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const cb = createTcpConnback({ host: '127.0.0.1', port, closeTimeout: CLOSE_TIMEOUT });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the connect');
      const endedAt = performance.now();
      cb.end();
      expect(rec.events()).toEqual(['connect', 'close(false)', 'end']);
      await waitFor(() => serverSawEnd, "the server's 'end'");
      expect(rec.clients[0]?.destroyed).toBe(false);
      await waitFor(() => clientSockets()[0]?.closedAt !== undefined, 'the socket to close');
      const closedAfter = (clientSockets()[0]?.closedAt as number) - endedAt;
      expect(closedAfter).toBeGreaterThanOrEqual(CLOSE_TIMEOUT - 5);
      expect(closedAfter).toBeLessThanOrEqual(CLOSE_TIMEOUT + SLACK);
      expect(rec.count('end')).toBe(1);
    } finally {
      cb.end(true);
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('end(true) destroys the socket at once', async () => {
    const server = await startServer();
    const cb = createTcpConnback({ host: '127.0.0.1', port: server.port });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the connect');
      const socket = rec.clients[0] as net.Socket;
      cb.end(true);
      expect(socket.destroyed).toBe(true);
      expect(rec.events()).toEqual(['connect', 'close(false)', 'end']);
      await waitFor(() => server.open.size === 0, 'the server to see the client gone');
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('closeTimeout 0: end() destroys at once', async () => {
    const server = await startServer();
    const cb = createTcpConnback({ host: '127.0.0.1', port: server.port, closeTimeout: 0 });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the connect');
      cb.end();
      expect(rec.clients[0]?.destroyed).toBe(true);
    } finally {
      cb.end(true);
      await server.close();
    }
  });
});

import type net from 'node:net';
import { type AttemptToken, ErrorCode, isConnbackError } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { createTcpConnback, TcpConnector } from '../src/index.js';
import { received } from './support/recorder.js';
import { refusedPort, startServer, waitFor } from './support/servers.js';

const quick = { jitter: 'none', initialDelay: 50, maxDelay: 200, keepalive: 0 } as const;

/**
 * A line-protocol handshake: send `HELLO <name>`, wait for the server's `OK` line. What arrives
 * during it is the handshake's; it stops waiting when the attempt's token fires.
 */
function helloHandshake(name: string) {
  return (socket: net.Socket, token: AttemptToken) =>
    new Promise<void>((resolve, reject) => {
      let text = '';
      const done = (error?: unknown) => {
        socket.off('data', onData);
        stop();
        if (error === undefined) resolve();
        else reject(error);
      };
      const onData = (chunk: Buffer) => {
        text += chunk.toString('utf8');
        const line = text.split('\n')[0] ?? '';
        if (!text.includes('\n')) return;
        if (line === 'OK') done();
        else done(new Error(`handshake refused: ${line}`));
      };
      const stop = token.onCancellationRequested(() => done(token.reason));
      socket.on('data', onData);
      socket.write(`HELLO ${name}\n`);
    });
}

/** A server of the line protocol: answers HELLO with `reply`, then echoes. */
function lineServer(reply: string | undefined) {
  return startServer((socket) => {
    let greeted = false;
    socket.on('data', (chunk) => {
      if (greeted) {
        socket.write(chunk);
        return;
      }
      greeted = true;
      if (reply !== undefined) socket.write(reply);
    });
  });
}

describe('semantic 20: endpoint pools over loopback TCP', () => {
  it("'in-order': a refused primary fails over to the next endpoint, named in onconnect and stats", async () => {
    const dead = await refusedPort();
    const b = await startServer();
    const c = await startServer();
    const cb = createTcpConnback({
      ...quick,
      endpoints: [`127.0.0.1:${dead}`, { host: '127.0.0.1', port: b.port }, `127.0.0.1:${c.port}`],
    });
    const infos: (string | undefined)[] = [];
    cb.onconnect((_socket, info) => infos.push(info.endpoint));
    try {
      await cb.ready();
      expect(infos).toEqual([`tcp://127.0.0.1:${b.port}`]);
      expect(cb.stats.endpoint).toBe(`tcp://127.0.0.1:${b.port}`);
      expect(cb.stats.outageAttempts).toBe(2);
      const stats = cb.stats.endpoints ?? [];
      expect(stats.map((s) => [s.attempts, s.failures, s.connects])).toEqual([
        [1, 1, 0],
        [1, 0, 1],
        [0, 0, 0],
      ]);
      expect(stats[0]?.waitingFor).toBeGreaterThan(0);
      // The primary waits its own delay: a reconnect now goes to b again, not to the dead one.
      await cb.reconnect();
      expect(infos.at(-1)).toBe(`tcp://127.0.0.1:${b.port}`);
      expect(cb.stats.endpoints?.[0]?.attempts).toBe(1);
    } finally {
      cb.end(true);
      await b.close();
      await c.close();
    }
  });

  it("'round-robin' walks the endpoints, one per attempt", async () => {
    const servers = [await startServer(), await startServer(), await startServer()];
    const cb = createTcpConnback({
      ...quick,
      endpointPolicy: 'round-robin',
      endpoints: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    });
    const ports: (string | undefined)[] = [];
    cb.onconnect((_socket, info) => ports.push(info.endpoint?.split(':').at(-1)));
    try {
      await cb.ready();
      await cb.reconnect();
      await cb.reconnect();
      await cb.reconnect();
      expect(ports).toEqual([...servers, servers[0]].map((s) => String(s?.port)));
    } finally {
      cb.end(true);
      for (const s of servers) await s.close();
    }
  });

  it("'random' shuffles once: each endpoint once per round", async () => {
    const servers = [await startServer(), await startServer(), await startServer()];
    const connector = new TcpConnector({
      endpointPolicy: 'random',
      endpoints: servers.map((s) => `127.0.0.1:${s.port}`),
    });
    expect([...(connector.pool?.endpoints ?? [])].sort()).toEqual(
      servers.map((s) => `127.0.0.1:${s.port}`).sort(),
    );
    for (const s of servers) await s.close();
  });

  it('a function of endpoints is called per attempt; one that returns nothing fails with a clear error and stops', async () => {
    const server = await startServer();
    let calls = 0;
    const cb = createTcpConnback({
      ...quick,
      endpoints: () => {
        calls += 1;
        return (calls === 1 ? `127.0.0.1:${server.port}` : undefined) as string;
      },
    });
    const errors: Error[] = [];
    cb.onerror((e) => errors.push(e));
    try {
      await cb.ready();
      const failed = new Promise((resolve) => cb.onfail(resolve));
      cb.client?.destroy();
      await failed;
      expect(cb.state).toBe('failed');
      expect(isConnbackError(errors[0], ErrorCode.InvalidOption)).toBe(true);
      expect(errors[0]?.message).toMatch(/"endpoints" function returned no endpoint/);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('bad endpoints are refused at construction with CONNBACK_INVALID_OPTION naming the option', () => {
    const refused = (options: object, pattern: RegExp) => {
      expect(() => createTcpConnback(options as never)).toThrow(pattern);
    };
    refused({ endpoints: [] }, /"endpoints" must be a non-empty list/);
    refused({ endpoints: ['127.0.0.1:1', { path: '/tmp/x.sock' }] }, /not a mix/);
    refused({ endpoints: ['no-port'] }, /"endpoints"/);
    refused({ endpoints: ['127.0.0.1:1'], port: 2 }, /"port" must be left out/);
    refused({ endpoints: ['127.0.0.1:1'], endpointPolicy: 'nearest' }, /"endpointsPolicy"/);
  });

  it('credentials in a host are redacted in stats', async () => {
    const dead = await refusedPort();
    const cb = createTcpConnback({
      ...quick,
      lazyConnect: true,
      endpoints: [{ host: 'user:hunter2@127.0.0.1', port: dead }],
    });
    expect(JSON.stringify(cb.stats.endpoints)).not.toContain('hunter2');
    cb.end();
  });
});

describe('a handshake inside the attempt', () => {
  it('onconnect comes only after the handshake; the bytes it read reach no later listener', async () => {
    const server = await lineServer('OK\n');
    const cb = createTcpConnback({
      ...quick,
      port: server.port,
      host: '127.0.0.1',
      handshake: helloHandshake('me'),
    });
    try {
      const socket = await cb.ready();
      const reply = received(socket);
      socket.write('after\n');
      await waitFor(() => reply.text() === 'after\n', 'the echo after the handshake');
      expect(reply.text()).not.toContain('OK');
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('a refused handshake is a failed attempt, and retry decides', async () => {
    const server = await lineServer('NO unknown user\n');
    const cb = createTcpConnback({
      ...quick,
      port: server.port,
      host: '127.0.0.1',
      handshake: helloHandshake('me'),
      retry: (error) => !error.message.includes('unknown user'),
    });
    const errors: string[] = [];
    cb.onerror((e) => errors.push(e.message));
    try {
      await expect(cb.ready()).rejects.toMatchObject({ code: ErrorCode.RetryDeclined });
      expect(errors).toEqual(['handshake refused: NO unknown user']);
      await waitFor(() => server.open.size === 0, 'the socket closed');
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('a handshake that hangs fails at connectTimeout, the socket is destroyed, and it retries', async () => {
    const server = await lineServer(undefined);
    const cb = createTcpConnback({
      ...quick,
      port: server.port,
      host: '127.0.0.1',
      connectTimeout: 300,
      handshake: helloHandshake('me'),
    });
    const errors: Error[] = [];
    cb.onerror((e) => errors.push(e));
    try {
      await waitFor(() => errors.length >= 1, 'the connect timeout');
      expect(isConnbackError(errors[0], ErrorCode.ConnectTimeout)).toBe(true);
      expect(cb.connected).toBe(false);
      await waitFor(() => server.accepted.length >= 2, 'the next attempt');
      await waitFor(() => server.accepted[0]?.destroyed === true, 'the first socket closed');
    } finally {
      cb.end(true);
      await server.close();
    }
  });
});

import type net from 'node:net';
import { Connback, ErrorCode, isConnbackError } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../test-support/thrown.js';
import { createTcpConnback, createTcpStream, type TcpConnbackOptions } from '../src/index.js';
import { received } from './support/recorder.js';
import { refusedPort, startServer, waitFor } from './support/servers.js';
import { clientSockets } from './support/setup.js';

const quick = { jitter: 'none', initialDelay: 50, maxDelay: 100, keepalive: 0 } as const;

/** Connects, checks the echo of one line, and ends. */
async function echoes(connback: Connback<net.Socket>): Promise<void> {
  try {
    const socket = await connback.ready();
    const reply = received(socket);
    socket.write('hello\n');
    await waitFor(() => reply.text() === 'hello\n', 'the echo');
  } finally {
    connback.end(true);
  }
}

describe('createTcpConnback: one shape with createWsConnback (a URL, a URL and options, or one object)', () => {
  it('each argument form gives a Connback that connects to the same server: (url), (URL object), (url, options), ({ url, ...options }), ({ host, port, ...options })', async () => {
    const server = await startServer();
    const url = `tcp://127.0.0.1:${server.port}`;
    try {
      const made = [
        createTcpConnback(url),
        createTcpConnback(new URL(url)),
        createTcpConnback(`${url}/`, quick),
        createTcpConnback({ url, ...quick }),
        createTcpConnback({ host: '127.0.0.1', port: server.port, ...quick }),
      ];
      for (const connback of made) {
        expect(connback).toBeInstanceOf(Connback);
        await echoes(connback);
        expect(connback.state).toBe('ended');
      }
      expect(server.accepted).toHaveLength(made.length);
      expect(made[2]?.options.initialDelay).toBe(50);
      expect(made[3]?.options.maxDelay).toBe(100);
    } finally {
      await server.close();
    }
  });

  it('tcp://[::1]:port connects over IPv6 loopback (the brackets are taken off)', async () => {
    const server = await startServer(undefined, 0, '::1');
    try {
      await echoes(createTcpConnback(`tcp://[::1]:${server.port}`, quick));
      expect(server.accepted).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('a list of URLs is an endpoint pool: the first is refused, the second connects', async () => {
    const dead = await refusedPort();
    const server = await startServer();
    try {
      const connback = createTcpConnback(
        [`tcp://127.0.0.1:${dead}`, `tcp://127.0.0.1:${server.port}`],
        { ...quick, endpointDelay: 10_000 },
      );
      const endpoints: (string | undefined)[] = [];
      connback.onconnect((_socket, info) => endpoints.push(info.endpoint));
      await echoes(connback);
      expect(endpoints).toEqual([`tcp://127.0.0.1:${server.port}`]);
      expect(connback.stats.outageAttempts).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('createTcpStream takes the same forms: (url, options) and ({ url, ...options })', async () => {
    const server = await startServer();
    const url = `tcp://127.0.0.1:${server.port}`;
    try {
      for (const stream of [createTcpStream(url, quick), createTcpStream({ url, ...quick })]) {
        const lines: string[] = [];
        stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
        stream.write('through the stream\n');
        await waitFor(() => lines.join('') === 'through the stream\n', 'the echo');
        stream.destroy();
        await waitFor(() => stream.connback.state === 'ended', 'the end');
      }
      expect(server.accepted).toHaveLength(2);
    } finally {
      await server.close();
    }
  });
});

describe('createTcpConnback: a bad URL is refused at once, saying what is wrong, never echoing credentials', () => {
  const cases: [given: unknown, says: string][] = [
    ['tcp://127.0.0.1:70000', 'tcp://127.0.0.1:70000: port 70000 is out of range (1 to 65535)'],
    ['tcp://127.0.0.1:0', 'port 0 is out of range (1 to 65535)'],
    ['tcp://127.0.0.1:http', 'the port must be a number from 1 to 65535'],
    ['tcp://:4321', 'tcp://:4321: a host is required'],
    ['tcp://127.0.0.1', 'tcp://127.0.0.1: a port from 1 to 65535 is required'],
    [
      'gopher://alice:s3cret@example.org/',
      'unsupported scheme "gopher:" in gopher://***:***@example.org/',
    ],
    ['ws://127.0.0.1:80/', 'unsupported scheme "ws:"'],
    ['alice:s3cret@example.org:4321', 'not a URL: ***:***@example.org:4321'],
    ['tcp:example.org:4321', 'not a URL: tcp:example.org:4321 (tcp:// is needed)'],
    [
      'tcp://alice:s3cret@example.org:4321',
      'tcp://***:***@example.org:4321: a tcp: URL has no place for credentials',
    ],
    [
      'tcp://alice:s3/cret@example.org:4321',
      'an "@" after the host leaves unclear where the credentials end',
    ],
    ['tcp://example.org:4321/db?token=s3cret', 'a tcp: URL takes no path or query'],
    ['tls://example.org:4321/#frag', 'a tls: URL takes no fragment'],
    ['unix:', 'unix:: a socket path is required'],
    ['unix:/tmp/%zz.sock', 'the socket path holds a "%" that is not an escape'],
    [[], 'a URL or a non-empty list of URLs (got an empty list)'],
    [['tcp://a:1', 'tls://b:2'], 'a list of URLs of one scheme (tcp:, tls: or unix:, not a mix)'],
    [['tcp://a:1', 'unix:/tmp/x.sock'], 'not a mix'],
    [['tcp://a:1', 42], 'not a URL: got a number'],
  ];
  it.each(cases)('%j → %s', (given, says) => {
    for (const error of [
      thrown(() => createTcpConnback(given as string)),
      thrown(() => createTcpConnback({ url: given as string })),
      thrown(() => createTcpStream(given as string)),
    ]) {
      expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
      expect(error.message).toContain('connback/tcp: option "url": ');
      expect(error.message).toContain(says);
      expect(error.message).not.toContain('s3cret');
      expect(error.message).not.toContain('alice');
    }
    expect(clientSockets()).toHaveLength(0);
  });

  it('a URL next to host, port, path or endpoints, a URL given twice, tls: false with tls://, and TLS options with tcp:// are each refused naming the option', () => {
    const url = 'tcp://127.0.0.1:4321';
    const cases: [() => unknown, string][] = [
      [
        () => createTcpConnback({ url, host: '127.0.0.1' }),
        '"host" must be left out when "url" is given',
      ],
      [() => createTcpConnback(url, { port: 4321 }), '"port" must be left out'],
      [() => createTcpConnback(url, { path: '/tmp/x.sock' }), '"path" must be left out'],
      [() => createTcpConnback({ url, endpoints: ['a:1'] }), '"endpoints" must be left out'],
      [
        () => createTcpConnback(url, { url } as TcpConnbackOptions),
        '"url" given twice: as the first argument and in the options',
      ],
      [() => createTcpConnback('tls://127.0.0.1:4321', { tls: false }), '"tls" must not be false'],
      [() => createTcpConnback(url, { tls: true }), '"tls" is for tls:// URLs'],
      [() => createTcpConnback(url, { tls: { servername: 'x' } }), '"tls" is for tls:// URLs'],
      [
        () => createTcpConnback(url, { keepAlve: 1 } as TcpConnbackOptions),
        'unknown option "keepAlve"',
      ],
    ];
    for (const [make, says] of cases) {
      const error = thrown(make);
      expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
      expect(error.message).toContain(says);
    }
    expect(clientSockets()).toHaveLength(0);
  });

  it('arguments of no form throw a TypeError saying which forms there are', () => {
    const cases: [() => unknown, string][] = [
      [
        () => createTcpConnback(42 as never),
        'takes a URL (tcp://host:port, tls://host:port, unix:/path)',
      ],
      [() => createTcpConnback(null as never), '(got null)'],
      [
        () => createTcpConnback('tcp://a:1', 'fast' as never),
        'the options after the URL must be an object',
      ],
      [
        () => createTcpConnback({ port: 1 } as never, { keepalive: 1 } as never),
        'give the options once',
      ],
      [() => createTcpStream(undefined as never), 'createTcpStream takes a URL'],
    ];
    for (const [make, says] of cases) {
      const error = thrown(make);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain(says);
    }
  });
});

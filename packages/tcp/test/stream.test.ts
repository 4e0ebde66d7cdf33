import { describe, expect, it } from 'vitest';
import {
  createTcpConnback,
  createTcpStream,
  ReconnectingStream,
  ReconnectingStreamError,
  StreamErrorCode,
} from '../src/index.js';
import {
  isDown,
  streamOptions as options,
  recordEvents,
  refusedOnce,
  settle,
  startRecordingServer,
  takeDown,
} from './support/recording.js';
import { refusedPort, waitFor } from './support/servers.js';
import { clientSockets } from './support/setup.js';

describe('ReconnectingStream: buffering while down', () => {
  it('write() returns false past highWaterMark; drain follows the flush; connect, then reconnect', async () => {
    const server = await startRecordingServer();
    const stream = createTcpStream(options(server.port, { highWaterMark: 1024 }));
    try {
      const events = recordEvents(stream, ['connect', 'reconnect', 'drain', 'error']);
      const sockets: unknown[] = [];
      stream.on('connect', (socket) => sockets.push(socket));
      stream.on('reconnect', (socket) => sockets.push(socket));
      let lengthAtDrain: number | undefined;
      stream.on('drain', () => {
        lengthAtDrain ??= stream.writableLength;
      });

      await waitFor(() => events.includes('connect'), "'connect'");
      expect(sockets).toEqual([stream.connback.client]);
      expect(stream.write('hello')).toBe(true);
      await waitFor(() => server.last().text() === 'hello', 'hello on the first connection');

      await takeDown(server, stream);
      expect(stream.write(Buffer.alloc(600, 'a'))).toBe(true);
      // 1200 bytes wait: at or past highWaterMark.
      expect(stream.write(Buffer.alloc(600, 'b'))).toBe(false);
      expect(stream.write(Buffer.alloc(100, 'c'))).toBe(false);
      expect(stream.writableLength).toBe(1300);
      await refusedOnce(stream);
      // Nothing drains while the connection is down.
      expect(events).toEqual(['connect']);
      expect(stream.writableLength).toBe(1300);

      await server.listen();
      await waitFor(() => events.includes('drain'), "'drain' after the reconnect");
      expect(lengthAtDrain).toBe(0);
      await waitFor(() => server.last().bytes().length === 1300, 'the buffered bytes');
      expect(server.connections).toHaveLength(2);
      expect(server.last().text()).toBe(`${'a'.repeat(600)}${'b'.repeat(600)}${'c'.repeat(100)}`);
      // The order of 'drain' and 'reconnect' for the same connection is not specified.
      expect(events.filter((e) => e !== 'drain')).toEqual(['connect', 'reconnect']);
      expect(events.filter((e) => e === 'drain')).toHaveLength(1);
      expect(sockets).toHaveLength(2);
      expect(sockets[1]).toBe(stream.connback.client);
      expect(sockets[1]).not.toBe(sockets[0]);

      expect(stream.write('again')).toBe(true);
      await waitFor(() => server.last().text().endsWith('again'), 'a write after the reconnect');
    } finally {
      stream.destroy();
      await server.close();
    }
  });

  it('a write past maxBufferedBytes destroys the stream with CONNBACK_TCP_BUFFER_OVERFLOW', async () => {
    const server = await startRecordingServer();
    const stream = createTcpStream(
      options(server.port, { highWaterMark: 50, maxBufferedBytes: 100 }),
    );
    try {
      const errors: Error[] = [];
      stream.on('error', (error) => errors.push(error));
      const events = recordEvents(stream, ['close']);
      const callbacks: (Error | null | undefined)[][] = [[], [], [], []];
      const done = (i: number) => (error?: Error | null) => callbacks[i]?.push(error);

      await waitFor(() => stream.connback.connected, 'the first connection');
      await takeDown(server, stream);
      expect(stream.write(Buffer.alloc(40), done(0))).toBe(true);
      // 20 two-byte characters: 40 bytes, counted in bytes.
      expect(stream.write('é'.repeat(20), done(1))).toBe(false);
      expect(stream.write(Buffer.alloc(20), done(2))).toBe(false);
      // Exactly maxBufferedBytes wait: still accepted.
      expect(stream.writableLength).toBe(100);
      expect(stream.destroyed).toBe(false);

      // One byte more does not fit.
      expect(stream.write('!', done(3))).toBe(false);
      expect(stream.destroyed).toBe(true);
      expect(stream.connback.state).toBe('ended');

      await waitFor(() => errors.length > 0 && callbacks[3]?.length === 1, 'the overflow error');
      const [error] = errors;
      expect(error).toBeInstanceOf(ReconnectingStreamError);
      expect(error).toMatchObject({
        name: 'ReconnectingStreamError',
        code: StreamErrorCode.BufferOverflow,
        unsentBytes: 101,
      });
      expect(StreamErrorCode.BufferOverflow).toBe('CONNBACK_TCP_BUFFER_OVERFLOW');
      expect(callbacks[3]).toEqual([error]);
      // The writes that were waiting fail too: none of them reached a socket.
      await waitFor(() => callbacks.every((c) => c.length === 1), 'every write callback');
      for (const [result] of callbacks) expect(result).toBeInstanceOf(Error);
      await waitFor(() => events.includes('close'), "'close'");
      expect(errors).toHaveLength(1);
      expect(clientSockets().every((entry) => entry.socket.destroyed)).toBe(true);
      expect(server.connections).toHaveLength(1);
    } finally {
      stream.destroy();
      await server.close();
    }
  });

  it('fails with CONNBACK_TCP_STREAM_FAILED and the buffered byte count when the Connback fails', async () => {
    const port = await refusedPort();
    const stream = createTcpStream(options(port, { maxNumOfAttempts: 2 }));
    try {
      const errors: Error[] = [];
      stream.on('error', (error) => errors.push(error));
      const callbacks: (Error | null | undefined)[] = [];
      stream.write(Buffer.alloc(100), (error) => callbacks.push(error));
      stream.write('xyz', (error) => callbacks.push(error));

      await waitFor(() => errors.length > 0, 'the stream error');
      const [error] = errors;
      expect(error).toBeInstanceOf(ReconnectingStreamError);
      expect(error).toMatchObject({
        code: 'CONNBACK_TCP_STREAM_FAILED',
        unsentBytes: 103,
        cause: { code: 'ECONNREFUSED' },
      });
      expect(stream.destroyed).toBe(true);
      expect(stream.connback.stats.attempts).toBe(2);
      // The stream owns its Connback: failed, then ended by the destroy.
      expect(stream.connback.state).toBe('ended');
      await waitFor(() => callbacks.length === 2, 'both write callbacks');
      for (const result of callbacks) expect(result).toBeInstanceOf(Error);
      expect(errors).toHaveLength(1);
    } finally {
      stream.destroy();
    }
  });

  it('fails with CONNBACK_TCP_STREAM_FAILED and unsentBytes 0 when nothing was buffered', async () => {
    const port = await refusedPort();
    const stream = createTcpStream(options(port, { maxNumOfAttempts: 1 }));
    try {
      const errors: Error[] = [];
      stream.on('error', (error) => errors.push(error));
      await waitFor(() => errors.length > 0, 'the stream error');
      expect(errors[0]).toMatchObject({ code: StreamErrorCode.Failed, unsentBytes: 0 });
      expect(stream.connback.state).toBe('ended');
    } finally {
      stream.destroy();
    }
  });
});

describe('ReconnectingStream: reads', () => {
  it('reads from whichever socket is current, and does not end when a connection drops', async () => {
    const server = await startRecordingServer((index) => (index === 0 ? 'a' : 'b'));
    const stream = createTcpStream(options(server.port));
    try {
      const events = recordEvents(stream, ['end', 'close', 'error']);
      let read = '';
      stream.on('data', (chunk: Buffer) => {
        read += chunk.toString();
      });
      await waitFor(() => read === 'a', '"a" from the first connection');
      await takeDown(server, stream);
      await refusedOnce(stream);
      expect(events).toEqual([]);
      expect(stream.readableEnded).toBe(false);

      await server.listen();
      await waitFor(() => read === 'ab', '"b" from the second connection');
      expect(events).toEqual([]);

      stream.end();
      await waitFor(() => events.includes('end'), "'end' after stream.end()");
      expect(stream.connback.state).toBe('ended');
      expect(read).toBe('ab');
      await waitFor(() => events.includes('close'), "'close'");
      expect(events).toEqual(['end', 'close']);
    } finally {
      stream.destroy();
      await server.close();
    }
  });

  it('ends the readable side when the Connback ends', async () => {
    const server = await startRecordingServer(() => 'hi');
    const stream = createTcpStream(options(server.port));
    try {
      const events = recordEvents(stream, ['end', 'error']);
      let read = '';
      stream.on('data', (chunk: Buffer) => {
        read += chunk.toString();
      });
      await waitFor(() => read === 'hi', 'the greeting');
      expect(events).toEqual([]);
      stream.connback.end();
      await waitFor(() => events.includes('end'), "'end' after the Connback ended");
      expect(events).toEqual(['end']);
    } finally {
      stream.destroy();
      await server.close();
    }
  });
});

describe('ReconnectingStream: end() and destroy()', () => {
  it('end() while connected sends everything written, then the FIN, and ends the Connback', async () => {
    const server = await startRecordingServer();
    const stream = createTcpStream(options(server.port, { maxBufferedBytes: 8 * 1024 * 1024 }));
    try {
      const events = recordEvents(stream, ['finish', 'error']);
      await waitFor(() => stream.connback.connected, 'the connection');
      const socket = stream.connback.client;
      let socketAtFinish: { destroyed: boolean; writableEnded: boolean } | undefined;
      stream.on('finish', () => {
        socketAtFinish = {
          destroyed: socket?.destroyed ?? true,
          writableEnded: !!socket?.writableEnded,
        };
      });
      // A server that does not read yet: the socket pushes back, and the stream waits.
      server.last().socket.pause();
      const payload = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < payload.length; i += 1) payload[i] = i % 251;
      for (let at = 0; at < payload.length; at += 64 * 1024) {
        stream.write(payload.subarray(at, at + 64 * 1024));
      }
      stream.end();
      server.last().socket.resume();

      await waitFor(() => server.last().gotEnd, "the client's FIN");
      expect(server.last().bytes().equals(payload)).toBe(true);
      await waitFor(() => events.includes('finish'), "'finish'");
      expect(stream.connback.state).toBe('ended');
      // A graceful close: ended, not destroyed, so the kernel still delivers what it holds.
      expect(socketAtFinish).toEqual({ destroyed: false, writableEnded: true });
      await waitFor(() => server.last().closed, 'the connection to close');
      expect(server.accepted).toHaveLength(1);
      expect(events).toEqual(['finish']);
    } finally {
      stream.destroy();
      await server.close();
    }
  });

  it('end() while down waits for the reconnect, then flushes and ends', async () => {
    const server = await startRecordingServer();
    const stream = createTcpStream(options(server.port));
    try {
      const events = recordEvents(stream, ['finish', 'error']);
      await waitFor(() => stream.connback.connected, 'the first connection');
      await takeDown(server, stream);
      stream.write('one,');
      stream.write('two,');
      stream.end('three');
      await refusedOnce(stream);
      expect(isDown(stream.connback)).toBe(true);
      expect(events).toEqual([]);

      await server.listen();
      await waitFor(
        () => server.connections.length === 2 && server.last().gotEnd,
        "the flushed bytes and the client's FIN",
      );
      expect(server.last().text()).toBe('one,two,three');
      await waitFor(() => events.includes('finish'), "'finish'");
      expect(stream.connback.state).toBe('ended');
      expect(events).toEqual(['finish']);
      expect(server.connections[0]?.bytes().length).toBe(0);
    } finally {
      stream.destroy();
      await server.close();
    }
  });

  it('destroy() ends the Connback at once and closes the socket', async () => {
    const server = await startRecordingServer();
    const stream = createTcpStream(options(server.port));
    try {
      const events = recordEvents(stream, ['close', 'error']);
      await waitFor(() => stream.connback.connected, 'the connection');
      const socket = stream.connback.client;
      stream.destroy();
      expect(stream.connback.state).toBe('ended');
      expect(socket?.destroyed).toBe(true);
      await waitFor(() => server.open.size === 0, 'the server side to close');
      await waitFor(() => events.includes('close'), "'close'");
      expect(events).toEqual(['close']);
      expect(server.accepted).toHaveLength(1);
    } finally {
      stream.destroy();
      await server.close();
    }
  });

  it('destroy() while down ends the Connback at once and fails the waiting write', async () => {
    const server = await startRecordingServer();
    const stream = createTcpStream(options(server.port));
    try {
      const errors: Error[] = [];
      stream.on('error', (error) => errors.push(error));
      await waitFor(() => stream.connback.connected, 'the connection');
      await takeDown(server, stream);
      const callbacks: (Error | null | undefined)[] = [];
      stream.write('lost', (error) => callbacks.push(error));
      const attempts = stream.connback.stats.attempts;
      stream.destroy();
      expect(stream.connback.state).toBe('ended');
      await waitFor(() => callbacks.length === 1, 'the write callback');
      expect(callbacks[0]).toBeInstanceOf(Error);
      // No attempt after the destroy: the server coming back gets no connection.
      await server.listen();
      await settle();
      expect(stream.connback.stats.attempts).toBe(attempts);
      expect(server.accepted).toHaveLength(1);
      expect(errors).toEqual([]);
    } finally {
      stream.destroy();
      await server.close();
    }
  });
});

describe('ReconnectingStream: construction', () => {
  it('wraps a Connback that is already connected: its live socket carries reads and writes', async () => {
    const server = await startRecordingServer(() => 'welcome');
    const connback = createTcpConnback(options(server.port));
    let stream: ReconnectingStream | undefined;
    try {
      await connback.ready();
      stream = new ReconnectingStream(connback);
      let read = '';
      stream.on('data', (chunk: Buffer) => {
        read += chunk.toString();
      });
      expect(stream.write('ping')).toBe(true);
      await waitFor(() => server.last().text() === 'ping', 'the write on the live socket');
      // 'welcome' may have arrived before the stream existed; later data is read.
      server.last().socket.write('!');
      await waitFor(() => read.endsWith('!'), 'a read from the live socket');
    } finally {
      stream?.destroy();
      connback.end(true);
      await server.close();
    }
  });

  it('refuses bad stream options with a TypeError naming the option', () => {
    const connback = createTcpConnback(options(1, { lazyConnect: true }));
    try {
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ highWaterMark: 0 }, /"highWaterMark" must be a whole number >= 1 \(got 0\)/],
        [{ highWaterMark: -5 }, /"highWaterMark"/],
        [{ highWaterMark: 1.5 }, /"highWaterMark"/],
        [{ highWaterMark: '1024' }, /"highWaterMark"/],
        [{ maxBufferedBytes: 0 }, /"maxBufferedBytes"/],
        // Below the default highWaterMark (16384).
        [{ maxBufferedBytes: 100 }, /"maxBufferedBytes" must be a whole number >= 16384/],
        [
          { highWaterMark: 1000, maxBufferedBytes: 999 },
          /"maxBufferedBytes" must be a whole number >= 1000 \(got 999\)/,
        ],
      ];
      for (const [given, message] of bad) {
        expect(() => new ReconnectingStream(connback, given)).toThrow(TypeError);
        expect(() => new ReconnectingStream(connback, given)).toThrow(message);
      }
      // Bounds included: maxBufferedBytes may equal highWaterMark.
      new ReconnectingStream(connback, { highWaterMark: 1, maxBufferedBytes: 1 }).destroy();
      expect(connback.state).toBe('ended');
    } finally {
      connback.end(true);
    }
  });

  it('createTcpStream with a bad stream option throws before it opens any socket', async () => {
    const port = await refusedPort();
    // maxNumOfAttempts 1: should a Connback be left behind, it stops after one refused attempt.
    expect(() => createTcpStream(options(port, { highWaterMark: 0, maxNumOfAttempts: 1 }))).toThrow(
      /"highWaterMark"/,
    );
    expect(() =>
      createTcpStream(
        options(port, { highWaterMark: 64, maxBufferedBytes: 32, maxNumOfAttempts: 1 }),
      ),
    ).toThrow(/"maxBufferedBytes"/);
    // The eager first attempt of a Connback starts in a microtask: it would have run by now.
    await settle();
    expect(clientSockets()).toHaveLength(0);
  });
});

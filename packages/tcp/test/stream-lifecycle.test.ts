import { describe, expect, it } from 'vitest';
import {
  createTcpStream,
  type ReconnectingStream,
  ReconnectingStreamError,
  StreamErrorCode,
} from '../src/index.js';
import {
  streamOptions as options,
  recordEvents,
  startRecordingServer,
  takeDown,
} from './support/recording.js';
import { waitFor } from './support/servers.js';

function errorOf(stream: ReconnectingStream): Promise<Error> {
  return new Promise((resolve) => stream.once('error', resolve));
}

describe('ReconnectingStream: lifecycle edges', () => {
  it('end(chunk) is held to maxBufferedBytes like write()', async () => {
    const server = await startRecordingServer();
    const stream = createTcpStream(
      options(server.port, { highWaterMark: 16, maxBufferedBytes: 100 }),
    );
    try {
      await waitFor(() => stream.connback.connected, 'the connection');
      await takeDown(server, stream);
      stream.write('x'.repeat(60));
      const failed = errorOf(stream);
      stream.end('y'.repeat(60));
      const error = await failed;
      expect(error).toBeInstanceOf(ReconnectingStreamError);
      expect(error).toMatchObject({ code: StreamErrorCode.BufferOverflow, unsentBytes: 120 });
      expect(stream.connback.state).toBe('ended');
    } finally {
      stream.destroy();
      await server.close();
    }
  });

  it('connback.end() called directly finishes a stream with nothing waiting', async () => {
    const server = await startRecordingServer();
    const stream = createTcpStream(options(server.port));
    try {
      await waitFor(() => stream.connback.connected, 'the connection');
      stream.resume();
      const finished = new Promise<void>((resolve) => stream.once('finish', () => resolve()));
      stream.connback.end();
      await finished;
      await waitFor(() => stream.destroyed, 'the stream to close');
    } finally {
      stream.destroy();
      await server.close();
    }
  });

  it('connback.end() called directly with bytes waiting fails the stream with their count', async () => {
    const server = await startRecordingServer();
    const stream = createTcpStream(options(server.port));
    try {
      await waitFor(() => stream.connback.connected, 'the connection');
      await takeDown(server, stream);
      stream.write('waiting for a connection');
      const failed = errorOf(stream);
      stream.connback.end();
      expect(await failed).toMatchObject({ code: StreamErrorCode.Ended, unsentBytes: 24 });
    } finally {
      stream.destroy();
      await server.close();
    }
  });

  it.each([
    ['at once', false],
    ['once the stream finished, nobody reading it', true],
  ])(
    'connback.end() then connback.reconnect() %s: the ended stream pushes nothing (no ERR_STREAM_PUSH_AFTER_EOF, no error event) and leaves the new connection to the caller',
    async (_when, waitForFinish) => {
      const server = await startRecordingServer((index) => `hello ${index}\n`);
      const stream = createTcpStream(options(server.port));
      const errors: Error[] = [];
      stream.on('error', (error) => errors.push(error));
      const events = recordEvents(stream, ['connect', 'reconnect', 'finish']);
      try {
        await waitFor(() => stream.connback.connected, 'the first connection');
        await waitFor(() => stream.readableLength > 0, 'the first greeting, waiting to be read');
        stream.connback.end();
        if (waitForFinish) await waitFor(() => events.includes('finish'), 'the stream to finish');
        const socket = await stream.connback.reconnect();
        let direct = '';
        socket.on('data', (chunk: Buffer) => {
          direct += chunk.toString();
        });
        await waitFor(() => direct === 'hello 1\n', 'the second greeting, on the socket itself');
        expect(errors).toEqual([]);
        socket.write('mine\n');
        await waitFor(() => server.last().text() === 'mine\n', 'a write on the new socket');
        expect(stream.connback.connected).toBe(true);
        expect(events).toEqual(['connect', 'finish']);
        expect(stream.read()?.toString()).toBe('hello 0\n');
        expect(stream.read()).toBeNull();
        // Destroying the finished stream leaves the caller's connection alone.
        stream.destroy();
        await waitFor(() => stream.destroyed, 'the stream destroyed');
        expect(stream.connback.connected).toBe(true);
      } finally {
        stream.connback.end(true);
        stream.destroy();
        await server.close();
      }
    },
  );

  it('a reconnect listener can write a handshake that goes ahead of the bytes written while down', async () => {
    const server = await startRecordingServer();
    const stream = createTcpStream(options(server.port));
    try {
      stream.on('reconnect', (socket) => socket.write('HELLO\n'));
      await waitFor(() => stream.connback.connected, 'the connection');
      await takeDown(server, stream);
      stream.write('queued\n');
      await server.listen();
      await waitFor(() => server.last().text() === 'HELLO\nqueued\n', 'handshake, then queued');
    } finally {
      stream.destroy();
      await server.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import {
  createTcpStream,
  type ReconnectingStream,
  ReconnectingStreamError,
  StreamErrorCode,
  type TcpStreamOptions,
} from '../src/index.js';
import { isDown, type RecordingServer, startRecordingServer } from './support/recording.js';
import { waitFor } from './support/servers.js';

function options(port: number, more: Partial<TcpStreamOptions> = {}): TcpStreamOptions {
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

async function takeDown(server: RecordingServer, stream: ReconnectingStream): Promise<void> {
  await server.close();
  await waitFor(() => isDown(stream.connback), 'the drop to be reported');
}

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

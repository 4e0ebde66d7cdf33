import { describe, expect, it } from 'vitest';
import {
  createTcpStream,
  type ReconnectingStream,
  ReconnectingStreamError,
  StreamErrorCode,
} from '../src/index.js';
import { streamOptions as options, startRecordingServer, takeDown } from './support/recording.js';
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

import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { asyncDisposeSymbol, type Connback, disposeSymbol } from '@connback/core';
import eventBind from 'event-bind';
import { createTcpConnback, type TcpConnbackOptions, tcpConnbackOptions } from './create.js';
import { ReconnectingStreamError, StreamErrorCode } from './errors.js';
import type { TcpUrl } from './url.js';

const { Binder } = eventBind;

/** Buffering of a {@link ReconnectingStream}. */
export interface ReconnectingStreamOptions {
  /**
   * Bytes waiting to be sent past which `write()` returns false (`drain` follows once they are
   * sent). Also the readable side's high-water mark. A whole number ≥ 1.
   * @default 16384
   */
  highWaterMark?: number | undefined;
  /**
   * The most bytes `write()` accepts before they reach a socket (while the connection is down, or
   * while the socket is slow). A write past it destroys the stream with
   * `CONNBACK_TCP_BUFFER_OVERFLOW`, which says how many bytes were not sent. A whole number ≥
   * `highWaterMark`.
   * @default 1048576 (or `highWaterMark`, if larger)
   */
  maxBufferedBytes?: number | undefined;
}

/**
 * The callback of `write()` and of Node's `_write`/`_final`: called without an error once the
 * chunk was handed to a socket, or with the error that destroyed the stream first.
 */
export type WriteCallback = (error?: Error | null) => void;

function byteLength(chunk: unknown, encoding: BufferEncoding | undefined): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, encoding);
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

function checkBytes(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(
      `connback/tcp: option "${name}" must be a whole number >= ${min} (got ${String(value)})`,
    );
  }
  return value;
}

/**
 * The stream options with defaults filled in.
 * @throws TypeError naming a bad option.
 */
function resolveStreamOptions(options: ReconnectingStreamOptions): {
  highWaterMark: number;
  maxBufferedBytes: number;
} {
  const highWaterMark = checkBytes('highWaterMark', options.highWaterMark, 1) ?? 16_384;
  const maxBuffered = checkBytes('maxBufferedBytes', options.maxBufferedBytes, highWaterMark);
  return { highWaterMark, maxBufferedBytes: maxBuffered ?? Math.max(1_048_576, highWaterMark) };
}

/**
 * A Duplex over a Connback of sockets that looks like one connection (recon's model):
 * - `write()` goes to the live socket; while the connection is down the bytes wait (up to
 *   `maxBufferedBytes`), `write()` returns false past `highWaterMark`, and `drain` follows once
 *   they were written to the next socket, in order, before anything written later;
 * - reads come from whichever socket is live; the readable side ends only when the Connback ends;
 * - `connect` is emitted for the first connection, `reconnect` for each later one;
 * - `end()` sends what is buffered (waiting for a connection if need be), then ends the Connback;
 *   `destroy()` ends it at once. The stream owns its Connback.
 *
 * Delivery: bytes written while the connection was down are written exactly once, to the next
 * connection. Bytes already handed to a socket that then drops may or may not have arrived (TCP
 * cannot tell), and are never sent again: at most once.
 */
export class ReconnectingStream extends Duplex {
  /**
   * The Connback beneath, for `state`, `stats`, `onerror` and the like. The stream owns it: end
   * the stream, not the Connback (`connback.end()` with bytes waiting destroys the stream with
   * `CONNBACK_TCP_STREAM_ENDED`).
   */
  readonly connback: Connback<Socket>;
  readonly #maxBuffered: number;
  /** The one write waiting for a connection (Writable hands us one write at a time). */
  #held: { chunk: Buffer; callback: WriteCallback } | undefined;
  /** `_final` ran: the Connback is being ended by this stream's own `end()`. */
  #finishing = false;
  /** The Connback ended once: the stream let go of it and never touches it again. */
  #released = false;
  /** The socket reads come from, with its read listeners. */
  #reading: { socket: Socket; unbind: () => void } | undefined;
  readonly #subscriptions: (() => void)[];

  /**
   * Wraps a Connback of sockets; if it is connected already, `connect` is emitted for its live
   * socket on the next tick.
   * @param connback the Connback to read from and write to; the stream owns it from now on.
   * @param options buffering limits, in bytes.
   * @throws TypeError naming a bad option.
   */
  constructor(connback: Connback<Socket>, options: ReconnectingStreamOptions = {}) {
    const { highWaterMark, maxBufferedBytes } = resolveStreamOptions(options);
    super({ highWaterMark, decodeStrings: true });
    this.connback = connback;
    this.#maxBuffered = maxBufferedBytes;
    this.#subscriptions = [
      connback.onconnect((socket, info) => this.#connected(socket, info.reconnect)),
      connback.onclose(() => this.#stopReading()),
      connback.onend(() => this.#connbackEnded()),
      connback.onfail((lastError) => {
        const unsent = this.writableLength;
        this.destroy(
          new ReconnectingStreamError(
            StreamErrorCode.Failed,
            `the connection could not be restored; ${unsent} buffered bytes were not sent`,
            unsent,
            lastError,
          ),
        );
      }),
    ];
    // Already connected: announced on the next tick, once the caller could add listeners.
    const live = connback.client;
    if (live !== undefined) {
      process.nextTick(() => {
        if (connback.client === live && !this.destroyed) this.#connected(live, false);
      });
    }
  }

  /**
   * Accepts the chunk unless that would buffer more than `maxBufferedBytes`; then the stream is
   * destroyed with `CONNBACK_TCP_BUFFER_OVERFLOW` and the write returns false.
   * @param chunk a string, a `Buffer` or a `Uint8Array`.
   * @param encoding the encoding of a string chunk, or the callback.
   * @param callback called once the chunk was handed to a socket, or with the error that
   *   destroyed the stream first.
   * @returns `false` once `highWaterMark` bytes wait (wait for `drain`), or when the write was
   *   refused; `true` otherwise.
   */
  override write(
    chunk: unknown,
    encoding?: BufferEncoding | WriteCallback,
    callback?: WriteCallback,
  ): boolean {
    const enc = typeof encoding === 'string' ? encoding : undefined;
    const size = byteLength(chunk, enc);
    const waiting = this.writableLength;
    if (!this.destroyed && !this.writableEnded && waiting + size > this.#maxBuffered) {
      const error = new ReconnectingStreamError(
        StreamErrorCode.BufferOverflow,
        `write of ${size} bytes refused: ${waiting} bytes already wait to be sent and ` +
          `maxBufferedBytes is ${this.#maxBuffered}; ${waiting + size} bytes were not sent`,
        waiting + size,
      );
      const cb = typeof encoding === 'function' ? encoding : callback;
      if (cb) process.nextTick(cb, error);
      this.destroy(error);
      return false;
    }
    // The overloads of Writable#write all funnel into this one call.
    return super.write(
      chunk,
      enc as BufferEncoding,
      (typeof encoding === 'function' ? encoding : callback) as WriteCallback,
    );
  }

  /**
   * Like `Writable#end`: sends what is buffered (waiting for a connection if need be), then ends
   * the Connback gracefully. A final chunk goes through `write()`, so the bound applies to it too.
   * @param chunk a last chunk to write, or the callback.
   * @param encoding the encoding of a string chunk, or the callback.
   * @param callback called once the stream finished.
   */
  override end(
    chunk?: unknown,
    encoding?: BufferEncoding | (() => void),
    callback?: () => void,
  ): this {
    if (typeof chunk === 'function') return super.end(chunk as () => void);
    if (chunk !== undefined && chunk !== null) {
      if (typeof encoding === 'string') this.write(chunk, encoding);
      else this.write(chunk);
      if (this.destroyed) return this;
    }
    const done = typeof encoding === 'function' ? encoding : callback;
    return done === undefined ? super.end() : super.end(done);
  }

  /**
   * Node's Writable hook (called by `write()`, not by you): hands the chunk to the live socket,
   * or holds it until the next connection.
   * @param chunk the bytes to send.
   * @param _encoding unused: strings arrive decoded into a `Buffer`.
   * @param callback called once the socket took the chunk.
   */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    const socket = this.#writableSocket();
    if (socket === undefined) {
      this.#held = { chunk, callback };
      return;
    }
    this.#send(socket, chunk, callback);
  }

  /** Node's Readable hook (called by the stream, not by you): resumes reading the live socket. */
  override _read(): void {
    this.#reading?.socket.resume();
  }

  /**
   * Node's Writable hook, called once every write reached a socket after `end()`: ends the
   * Connback gracefully.
   * @param callback called once the Connback was told to end.
   */
  override _final(callback: WriteCallback): void {
    // Every write was handed to a socket by now: a graceful end lets the kernel send it.
    this.#finishing = true;
    // Released: the Connback ended already, and whoever reconnects it since owns it.
    if (!this.#released) this.connback.end();
    callback();
  }

  /**
   * Node's hook for `destroy()`: stops listening, ends the Connback at once (`end(true)`), and
   * fails a write still waiting for a connection.
   * @param error the error the stream is destroyed with, or `null`.
   * @param callback called once that is done.
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#detach();
    const held = this.#held;
    this.#held = undefined;
    if (!this.#released) this.connback.end(true);
    held?.callback(error ?? new Error('stream destroyed before the write reached a socket'));
    callback(error);
  }

  #writableSocket(): Socket | undefined {
    const socket = this.connback.client;
    return socket?.writable && !socket.destroyed ? socket : undefined;
  }

  /** Hands a chunk to a socket; the write completes when the socket takes more (or is gone). */
  #send(socket: Socket, chunk: Buffer, callback: WriteCallback): void {
    if (socket.write(chunk)) {
      callback();
      return;
    }
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      callback();
    };
    socket.on('drain', done);
    socket.on('close', done);
  }

  #connected(socket: Socket, reconnect: boolean): void {
    this.#stopReading();
    const reads = Binder.for(socket).bind('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    this.#reading = { socket, unbind: () => reads.unbind() };
    // Announced first, so a listener can write a handshake to the socket ahead of the bytes that
    // waited; those go next, and later writes queue behind them in Writable.
    this.emit(reconnect ? 'reconnect' : 'connect', socket);
    const held = this.#held;
    if (held !== undefined && this.#writableSocket() === socket) {
      this.#held = undefined;
      this.#send(socket, held.chunk, held.callback);
    }
  }

  /**
   * The Connback ended: through our own `end()`, or by someone calling `connback.end()`. In the
   * second case writes could wait forever, so the writable side is finished too, or, with bytes
   * still waiting, the stream is destroyed with an error that counts them.
   *
   * Either way the stream is over, and it lets go of the Connback: a `connback.reconnect()` after
   * this starts a connection the stream neither reads nor writes (pushing its data after the end
   * of the readable side would be `ERR_STREAM_PUSH_AFTER_EOF`, an uncaught error without an
   * 'error' listener), a later `onfail` no longer destroys a stream that already finished, and
   * the stream's own `_final` or `destroy()` never ends the Connback someone reconnected.
   */
  #connbackEnded(): void {
    this.#released = true;
    this.#detach();
    this.push(null);
    if (this.#finishing || this.destroyed) return;
    const unsent = this.writableLength;
    if (unsent === 0) {
      this.end();
      return;
    }
    this.destroy(
      new ReconnectingStreamError(
        StreamErrorCode.Ended,
        `the Connback was ended with ${unsent} bytes not yet sent`,
        unsent,
      ),
    );
  }

  /** Stops listening to the Connback and to its socket, for good. */
  #detach(): void {
    for (const unsubscribe of this.#subscriptions) unsubscribe();
    this.#stopReading();
  }

  #stopReading(): void {
    this.#reading?.unbind();
    this.#reading = undefined;
  }

  /**
   * `await using stream = createTcpStream(…)`: destroys the stream unless it already was (without
   * an error: bytes not yet written to a socket are dropped, as with `destroy()`), then resolves
   * once it emitted `close` and the Connback's sockets are closed (see `Connback`'s). Never
   * rejects. Once the stream let go of its Connback (ended by someone else), it only waits for
   * the sockets of an ended Connback, and never ends one that was reconnected since. Replaces
   * Node's stream disposer, which destroys with an `AbortError` and rejects on an earlier error.
   */
  override async [asyncDisposeSymbol](): Promise<void> {
    const owned = !this.#released;
    if (!this.closed) {
      const closed = new Promise<void>((resolve) => this.once('close', () => resolve()));
      this.destroy();
      await closed;
    }
    if (owned || this.connback.state === 'ended') await this.connback[asyncDisposeSymbol]();
  }

  /** `using stream = createTcpStream(…)`: destroys the stream (and so ends its Connback) now. */
  [disposeSymbol](): void {
    this.destroy();
  }
}

/** Options of {@link createTcpStream}: those of `createTcpConnback` plus the stream's buffering. */
export type TcpStreamOptions = TcpConnbackOptions & ReconnectingStreamOptions;

/**
 * A {@link ReconnectingStream} over a new TCP Connback, in the argument forms of
 * `createTcpConnback`: `createTcpStream('tcp://127.0.0.1:4321', options)`,
 * `createTcpStream({ url, ...options })` or `createTcpStream({ port: 4321 })`.
 * @param url `tcp://host:port`, `tls://host:port`, `unix:/path`, or a list of URLs of one scheme.
 * @param options those of `createTcpConnback` without `url`, plus `highWaterMark` and
 *   `maxBufferedBytes`.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad connector or Connback option, or
 *   saying what is wrong with the URL.
 * @throws TypeError naming a bad `highWaterMark` or `maxBufferedBytes`, or for arguments of none
 *   of these forms.
 */
export function createTcpStream(
  url: TcpUrl,
  options?: Omit<TcpStreamOptions, 'url'>,
): ReconnectingStream;
/**
 * A {@link ReconnectingStream} over a new TCP Connback, from one options object:
 * `createTcpStream({ url, ...options })` or `createTcpStream({ port: 4321 })`.
 * @param options those of `createTcpConnback`, plus `highWaterMark` and `maxBufferedBytes`.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad connector or Connback option.
 * @throws TypeError naming a bad `highWaterMark` or `maxBufferedBytes`, or when `options` is not
 *   an object.
 */
export function createTcpStream(options: TcpStreamOptions): ReconnectingStream;
export function createTcpStream(
  first: TcpUrl | TcpStreamOptions,
  second?: Omit<TcpStreamOptions, 'url'>,
): ReconnectingStream {
  const { highWaterMark, maxBufferedBytes, ...connbackOptions } = tcpConnbackOptions(
    first,
    second,
    'createTcpStream',
  ) as TcpStreamOptions;
  const streamOptions = { highWaterMark, maxBufferedBytes };
  // Checked before the Connback exists: a bad option must not leave one connecting.
  resolveStreamOptions(streamOptions);
  return new ReconnectingStream(createTcpConnback(connbackOptions), streamOptions);
}

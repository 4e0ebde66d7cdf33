/** Codes of the errors a {@link ReconnectingStream} is destroyed with. */
export const StreamErrorCode = {
  /** `write()` would have buffered more than `maxBufferedBytes`. */
  BufferOverflow: 'CONNBACK_TCP_BUFFER_OVERFLOW',
  /** The Connback failed (attempts exhausted, or `retry` said stop); `unsentBytes` may be 0. */
  Failed: 'CONNBACK_TCP_STREAM_FAILED',
  /** `connback.end()` was called directly while bytes still waited to be sent. */
  Ended: 'CONNBACK_TCP_STREAM_ENDED',
} as const;

/** One of the {@link StreamErrorCode} values: the `code` of a {@link ReconnectingStreamError}. */
export type StreamErrorCode = (typeof StreamErrorCode)[keyof typeof StreamErrorCode];

/** The error a {@link ReconnectingStream} is destroyed with: says how many bytes were not sent. */
export class ReconnectingStreamError extends Error {
  /** Always `'ReconnectingStreamError'`. */
  override readonly name = 'ReconnectingStreamError';
  /** Why the stream was destroyed: one of {@link StreamErrorCode}. */
  readonly code: StreamErrorCode;
  /** Bytes accepted by `write()` (or refused by it) that never reached a socket. */
  readonly unsentBytes: number;

  /**
   * @param code why the stream was destroyed.
   * @param message what happened, with the byte count.
   * @param unsentBytes bytes that never reached a socket.
   * @param cause the error behind it (the Connback's last error for `CONNBACK_TCP_STREAM_FAILED`).
   */
  constructor(code: StreamErrorCode, message: string, unsentBytes: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.unsentBytes = unsentBytes;
  }
}

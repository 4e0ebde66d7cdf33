/**
 * Every error connback creates itself. Transport errors (ECONNREFUSED, TLS failures...) are passed
 * through untouched; connback's own errors all share one class and a `code` from this table.
 */
export const ErrorCode = {
  /** An attempt did not produce a client within `connectTimeout`. */
  ConnectTimeout: 'CONNBACK_CONNECT_TIMEOUT',
  /** No heartbeat arrived within the keepalive window: the peer is presumed dead. */
  KeepaliveTimeout: 'CONNBACK_KEEPALIVE_TIMEOUT',
  /** `connector.ping` threw or rejected; counted as a failed heartbeat. */
  PingFailed: 'CONNBACK_PING_FAILED',
  /** `connector.close` threw or rejected. */
  CloseFailed: 'CONNBACK_CLOSE_FAILED',
  /** `connector.connect` resolved with `undefined` or `null` instead of a client. */
  NoClient: 'CONNBACK_NO_CLIENT',
  /** An event listener (or the `retry` predicate) threw; `cause` holds what it threw. */
  ListenerFailed: 'CONNBACK_LISTENER_FAILED',
  /** A token or `AbortSignal` given to `reconnect()`/`ready()` was cancelled. */
  Cancelled: 'CONNBACK_CANCELLED',
  /** `end()` was called while a `reconnect()`/`ready()` promise was waiting. */
  Ended: 'CONNBACK_ENDED',
  /** `maxNumOfAttempts` attempts failed in one outage; `cause` is the last error. */
  AttemptsExhausted: 'CONNBACK_ATTEMPTS_EXHAUSTED',
  /** The `retry(error, attempt)` predicate returned false; `cause` is that error. */
  RetryDeclined: 'CONNBACK_RETRY_DECLINED',
  /** A connection that did not stay up for `minUptime` closed without an error of its own. */
  ConnectionLost: 'CONNBACK_CONNECTION_LOST',
  /** An option or the connector given to the constructor is not valid. */
  InvalidOption: 'CONNBACK_INVALID_OPTION',
} as const;

/** One of the codes in {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const defaultMessages: Record<ErrorCode, string> = {
  CONNBACK_CONNECT_TIMEOUT: 'connect timed out',
  CONNBACK_KEEPALIVE_TIMEOUT: 'no heartbeat within the keepalive window',
  CONNBACK_PING_FAILED: 'ping failed',
  CONNBACK_CLOSE_FAILED: 'closing the client failed',
  CONNBACK_NO_CLIENT: 'connect resolved without a client',
  CONNBACK_LISTENER_FAILED: 'an event listener threw',
  CONNBACK_CANCELLED: 'cancelled',
  CONNBACK_ENDED: 'the connback was ended',
  CONNBACK_ATTEMPTS_EXHAUSTED: 'every connect attempt failed',
  CONNBACK_RETRY_DECLINED: 'the retry predicate stopped reconnection',
  CONNBACK_CONNECTION_LOST: 'the connection was lost before it became stable',
  CONNBACK_INVALID_OPTION: 'invalid option',
};

/** Marks connback errors across realms and duplicate installs, where `instanceof` fails. */
const brand = Symbol.for('connback.error');

/**
 * The error class of everything connback reports itself. Check it with {@link isConnbackError}
 * (a brand check) rather than `instanceof`, which fails across duplicate installs.
 */
export class ConnbackError extends Error {
  /** Always `'ConnbackError'`. */
  override readonly name = 'ConnbackError';
  /** What went wrong: one of {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** The brand {@link isConnbackError} checks (`Symbol.for('connback.error')`). */
  readonly [brand] = true;

  /**
   * Makes an error with `code`.
   * @param code One of {@link ErrorCode}.
   * @param message The message; the code's default message when left out.
   * @param options `cause`: the error behind this one (the last attempt's error, what a
   *   listener threw).
   */
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? defaultMessages[code], options);
    this.code = code;
  }
}

/**
 * True when `error` is a {@link ConnbackError}, and, if `code` is given, carries that code.
 * @param error Anything: what `onerror` got, or a rejection.
 * @param code The code to look for; any code when left out.
 */
export function isConnbackError(error: unknown, code?: ErrorCode): error is ConnbackError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { [brand]?: unknown })[brand] === true &&
    (code === undefined || (error as ConnbackError).code === code)
  );
}

/** Makes an `Error` of anything thrown, so listeners always receive an `Error`. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `non-error thrown: ${String(thrown)}`, {
    cause: thrown,
  });
}

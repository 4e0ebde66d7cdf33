/** How a WebSocket closed: the close frame's code and reason. */
export interface CloseInfo {
  /** The close code (1006 when the connection dropped without a close frame). */
  readonly code: number;
  /** The close frame's reason, at most 123 bytes of UTF-8; `''` without one. */
  readonly reason: string;
  /** True when the closing handshake completed. */
  readonly wasClean: boolean;
}

/**
 * Close codes after which reconnecting is pointless by default: the server said the client is
 * wrong (protocol error, unacceptable or inconsistent data, policy violation, message too big,
 * missing extension) or not allowed (the 44xx application codes of bad request, unauthorized,
 * forbidden, not found, used by graphql-ws and others).
 */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  1002, 1003, 1007, 1008, 1009, 1010, 4400, 4401, 4403, 4404,
]);

/**
 * The default `shouldReconnect`: every close but those in {@link FATAL_CLOSE_CODES}.
 * @param close how the socket closed.
 * @returns `false` for a code in {@link FATAL_CLOSE_CODES}, `true` for any other.
 */
export function defaultShouldReconnect(close: CloseInfo): boolean {
  return !FATAL_CLOSE_CODES.has(close.code);
}

/**
 * Normal closure and "going away" (a server restarting): closes that are not errors.
 * @param code a close code.
 * @returns `true` for 1000 and 1001.
 */
export function isNormalClose(code: number): boolean {
  return code === 1000 || code === 1001;
}

/**
 * A WebSocket closed abnormally (any code but 1000 and 1001), or with a code `shouldReconnect`
 * refuses. `close` holds the code and reason; `cause` the socket's error, if it had one.
 */
export class WsCloseError extends Error {
  /** Always `'WsCloseError'`. */
  override readonly name = 'WsCloseError';
  /** Always `'CONNBACK_WS_CLOSED'`. */
  readonly code = 'CONNBACK_WS_CLOSED';
  /** The close code, reason and `wasClean` of the socket that closed. */
  readonly close: CloseInfo;

  /**
   * @param close how the socket closed; the message says `WebSocket closed with code N: reason`.
   * @param cause the socket's error, if it had one.
   */
  constructor(close: CloseInfo, cause?: unknown) {
    const reason = close.reason === '' ? '' : `: ${close.reason}`;
    super(
      `WebSocket closed with code ${close.code}${reason}`,
      cause === undefined ? undefined : { cause },
    );
    this.close = close;
  }
}

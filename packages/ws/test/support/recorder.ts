import type { Connback, ConnbackError } from '@connback/core';
import { isConnbackError } from '@connback/core';
import { type WebSocketLike, WsCloseError } from '../../src/index.js';

/** One event of a Connback, stamped with `performance.now()`. */
export interface RecordedEvent {
  readonly at: number;
  /** `connect`, `reconnect`, `close(false)`, `error:CODE`, `offline`, `end`, `fail:CODE`. */
  readonly name: string;
}

/** What a Connback reported, in order; subscribe it before anything else of the test. */
export interface Recorder {
  readonly log: RecordedEvent[];
  /** The sockets `onconnect` gave, in order. */
  readonly clients: WebSocketLike[];
  /** The errors `onerror` gave, in order, with the time each arrived. */
  readonly errors: { readonly at: number; readonly error: Error }[];
  /** What `onfail` gave, in order. */
  readonly failures: { readonly last: Error; readonly reason: ConnbackError }[];
  /** The event names, in order. */
  events(): string[];
  /** How many events have this exact name (`connect`, `close(true)`, `error:CONNBACK_WS_CLOSED`...). */
  count(name: string): number;
  /** The code of every error so far (the message for an error without a code). */
  codes(): string[];
  /** When the last event with this name happened (throws if none did). */
  lastAt(name: string): number;
}

/** The `code` of an error (`ECONNREFUSED`, `CONNBACK_...`, `CONNBACK_WS_CLOSED`), else its message. */
export function codeOf(error: unknown): string {
  if (isConnbackError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

/** Records every event of `cb` (connect, reconnect, close, error, offline, end, fail). */
export function record(cb: Connback<WebSocketLike>): Recorder {
  const log: RecordedEvent[] = [];
  const clients: WebSocketLike[] = [];
  const errors: { at: number; error: Error }[] = [];
  const failures: { last: Error; reason: ConnbackError }[] = [];
  const push = (name: string) => {
    const at = performance.now();
    log.push({ at, name });
    return at;
  };
  cb.onconnect((client) => {
    clients.push(client);
    push('connect');
  });
  cb.onreconnect(() => push('reconnect'));
  cb.onclose((hasError) => push(`close(${hasError})`));
  cb.onerror((error) => {
    const at = push(`error:${codeOf(error)}`);
    errors.push({ at, error });
  });
  cb.onoffline(() => push('offline'));
  cb.onend(() => push('end'));
  cb.onfail((last, reason) => {
    failures.push({ last, reason });
    push(`fail:${reason.code}`);
  });
  return {
    log,
    clients,
    errors,
    failures,
    events: () => log.map((entry) => entry.name),
    count: (name) => log.filter((entry) => entry.name === name).length,
    codes: () => errors.map((entry) => codeOf(entry.error)),
    lastAt: (name) => {
      const entry = log.filter((e) => e.name === name).at(-1);
      if (entry === undefined) throw new Error(`no "${name}" event was recorded`);
      return entry.at;
    },
  };
}

/** Every message a client socket receives from now on, as text. */
export function received(socket: WebSocketLike): string[] {
  const messages: string[] = [];
  socket.addEventListener('message', (event: { data: unknown }) => {
    messages.push(String(event.data));
  });
  return messages;
}

/** The error, which must be a {@link WsCloseError} (throws otherwise). */
export function asCloseError(error: unknown): WsCloseError {
  if (!(error instanceof WsCloseError)) throw new Error(`not a WsCloseError: ${String(error)}`);
  return error;
}

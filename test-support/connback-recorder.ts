import { type Connback, type ConnbackError, isConnbackError } from '@connback/core';

/*
 * The event recorder of the real-time tests (tcp, ws): every event of a Connback, in order, with
 * its time. Transport-specific helpers stay in each package's test/support/recorder.ts.
 */

/** One event of a Connback, stamped with `performance.now()`. */
export interface RecordedEvent {
  readonly at: number;
  /** `connect`, `reconnect`, `close(false)`, `error:CODE`, `offline`, `end`, `fail:CODE`. */
  readonly name: string;
}

/** What a Connback reported, in order; subscribe it before anything else of the test. */
export interface Recorder<T> {
  readonly log: RecordedEvent[];
  /** The sockets `onconnect` gave, in order. */
  readonly clients: T[];
  /** The errors `onerror` gave, in order, with the time each arrived. */
  readonly errors: { readonly at: number; readonly error: Error }[];
  /** What `onfail` gave, in order. */
  readonly failures: { readonly last: Error; readonly reason: ConnbackError }[];
  /** The event names, in order. */
  events(): string[];
  /** How many events have this exact name (`connect`, `close(true)`, `error:ECONNRESET`...). */
  count(name: string): number;
  /** The code of every error so far (the message for an error without a code). */
  codes(): string[];
  /** When the last event with this name happened (throws if none did). */
  lastAt(name: string): number;
  /** When each event with this name happened. */
  times(name: string): number[];
}

/** The `code` of an error (`ECONNREFUSED`, `CONNBACK_...`, `CONNBACK_WS_CLOSED`...), else its message. */
export function codeOf(error: unknown): string {
  if (isConnbackError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

/** Records every event of `cb` (connect, reconnect, close, error, offline, end, fail). */
export function record<T>(cb: Connback<T>): Recorder<T> {
  const log: RecordedEvent[] = [];
  const clients: T[] = [];
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
    times: (name) => log.filter((entry) => entry.name === name).map((entry) => entry.at),
    codes: () => errors.map((entry) => codeOf(entry.error)),
    lastAt: (name) => {
      const entry = log.filter((e) => e.name === name).at(-1);
      if (entry === undefined) throw new Error(`no "${name}" event was recorded`);
      return entry.at;
    },
  };
}

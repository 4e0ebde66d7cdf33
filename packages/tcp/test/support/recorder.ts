import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';
import type { Connback } from '@connback/core';
import { isConnbackError } from '@connback/core';

/** One event of a Connback, stamped with `performance.now()`. */
export interface RecordedEvent {
  readonly at: number;
  /** `connect`, `reconnect`, `close(false)`, `error:CODE`, `offline`, `end`, `fail:CODE`. */
  readonly name: string;
}

/** What a Connback reported, in order; subscribed before anything else of the test. */
export interface Recorder {
  readonly log: RecordedEvent[];
  /** The clients `onconnect` gave, in order. */
  readonly clients: net.Socket[];
  /** The errors `onerror` gave, in order, with the time each arrived. */
  readonly errors: { readonly at: number; readonly error: Error }[];
  /** The event names, in order. */
  events(): string[];
  /** How many events have this exact name (`connect`, `close(true)`, `error:ECONNRESET`...). */
  count(name: string): number;
  /** The code of every error so far (the message for an error without a code). */
  codes(): string[];
  /** When the last event with this name happened (throws if none did). */
  lastAt(name: string): number;
}

/** The `code` of an error (Node's `ECONNREFUSED`, connback's `CONNBACK_...`), else its message. */
export function codeOf(error: unknown): string {
  if (isConnbackError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

/** Records every event of `cb` (connect, reconnect, close, error, offline, end, fail). */
export function record(cb: Connback<net.Socket>): Recorder {
  const log: RecordedEvent[] = [];
  const clients: net.Socket[] = [];
  const errors: { at: number; error: Error }[] = [];
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
  cb.onfail((_last, reason) => push(`fail:${reason.code}`));
  return {
    log,
    clients,
    errors,
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

/** Everything a socket receives from now on, as latin1 text. */
export function received(socket: net.Socket): { text(): string } {
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  return { text: () => text };
}

/** Occurrences of `needle` in `haystack`. */
export function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/**
 * Watches the client sockets `net.connect` creates from now on and counts, at each creation, the
 * watched sockets not yet destroyed (the new one included). Unlike the ledger's `maxOpenAtOnce`,
 * which closes a socket at its 'close' event (a tick after `destroy()`), this sees a socket that
 * was destroyed just before its replacement was created as gone. Call `stop()` when done.
 */
export function watchOverlap(keep: (socket: net.Socket) => boolean = () => true): {
  max(): number;
  stop(): void;
} {
  const seen: net.Socket[] = [];
  let max = 0;
  const onSocket = (message: unknown) => {
    const { socket } = message as { socket: net.Socket };
    if (!keep(socket)) return;
    const live = seen.filter((other) => keep(other) && !other.destroyed).length + 1;
    max = Math.max(max, live);
    seen.push(socket);
  };
  diagnostics.subscribe('net.client.socket', onSocket);
  return {
    max: () => max,
    stop: () => diagnostics.unsubscribe('net.client.socket', onSocket),
  };
}

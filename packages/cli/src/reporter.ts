import { type Connback, type ConnbackError, ErrorCode } from '@connback/core';
import { certificateHint, codeOf, describe, kindOf, messageWithCode } from './describe.js';
import { safeJson, safeLine } from './sanitize.js';
import { StatusLine, type TerminalStream } from './status-line.js';

/**
 * How the lifecycle is reported on standard error: `plain` lines for what matters (connected,
 * lost, reconnected, giving up, the first error of a kind), `verbose` adds every state change,
 * attempt and error, `json` every event as a JSON line, `quiet` only what ends the command.
 */
export type ReportMode = 'plain' | 'verbose' | 'json' | 'quiet';

/** Where the reporter writes, and whether it is a terminal (for the live status line). */
export interface ReportStream extends TerminalStream {
  /**
   * Writes text (one or more whole lines, or terminal control sequences). A throw is caught, and
   * the reporter writes nothing more after it.
   * @param text - The text to write.
   */
  write(text: string): unknown;
  /** True when the stream is a terminal: the plain modes then keep a live status line. */
  readonly isTTY?: boolean | undefined;
}

/** The fields of one `--json` line besides `time` and `event`; an undefined field is left out. */
export type ReportFields = Record<string, string | number | boolean | undefined>;

/** Which plain mode shows an event: every one but quiet, or only verbose. */
export type ReportLevel = 'normal' | 'verbose';

/** Options of {@link Reporter}. */
export interface ReporterOptions {
  /**
   * Standard output is the same terminal: a line that follows data not ending with a line feed
   * starts on a line of its own.
   * @default false
   */
  readonly sharedTerminal?: boolean | undefined;
}

/**
 * Tells what a Connback does, on standard error: plain lines (more with `verbose`), one JSON
 * object per line (`json`), or nothing but fatal errors (`quiet`). On a terminal of known size,
 * the plain modes keep a live status (state, reconnects, the wait before the next attempt) on the
 * last row, outside the scrolling area ({@link StatusLine}). Whatever it prints has credentials
 * hidden; plain lines have control characters escaped (error messages and close reasons come
 * from the peer).
 */
export class Reporter {
  readonly #out: ReportStream;
  readonly #mode: ReportMode;
  /**
   * The fatal line is out: the command is on its way to exit, and what the Connback does as it is
   * ended (its last state changes, delivered after the onfail listeners) is not news.
   */
  #fatalSaid = false;
  readonly #statusLine: StatusLine | undefined;
  readonly #sharedTerminal: boolean;
  /** Data on the shared terminal ended in the middle of a line. */
  #midLine = false;
  /** A write failed (standard error closed): nothing more is written. */
  #broken = false;

  /**
   * @param out - Where to write: standard error.
   * @param mode - What to report.
   * @param options - Whether standard output shares the terminal.
   */
  constructor(out: ReportStream, mode: ReportMode, options: ReporterOptions = {}) {
    this.#out = out;
    this.#mode = mode;
    const plain = mode === 'plain' || mode === 'verbose';
    this.#statusLine = plain ? StatusLine.open(out) : undefined;
    this.#sharedTerminal = options.sharedTerminal === true;
  }

  /**
   * Reports one event: nothing with `quiet` or after the fatal line, a JSON line with `json`, else
   * a `connback: ` line when `level` is shown in this mode.
   * @param event - The event's name in `--json` (`connect`, `close`…).
   * @param text - The plain line, for people (without `connback: `); control characters are
   *   escaped and credentials hidden.
   * @param fields - The `--json` fields besides `time` and `event`.
   * @param level - `verbose`: shown only with `-v`.
   */
  event(
    event: string,
    text: string,
    fields: ReportFields = {},
    level: ReportLevel = 'normal',
  ): void {
    if (this.#mode === 'quiet' || this.#fatalSaid) return;
    if (this.#mode === 'json') {
      this.#write(`${safeJson({ time: new Date().toISOString(), event, ...fields })}\n`);
      return;
    }
    if (level === 'verbose' && this.#mode !== 'verbose') return;
    this.#line(text);
  }

  /**
   * A warning: a plain `warning: …` line (none with --quiet), or a `warning` JSON event.
   * @param text - What to warn of.
   */
  warn(text: string): void {
    this.event('warning', `warning: ${text}`, { message: text });
  }

  /**
   * An error that ends the command: printed even with --quiet. Nothing else is reported after it.
   * @param error - The error; its code is the JSON line's `code`.
   * @param text - The plain line (default: the error described, with its code).
   * @param fields - More `--json` fields.
   * @param jsonText - The JSON line's `message` (default: `text`).
   */
  fatal(error: unknown, text = describe(error), fields: ReportFields = {}, jsonText = text): void {
    this.#fatalSaid = true;
    if (this.#mode === 'json') {
      const record = { time: new Date().toISOString(), event: 'fatal', code: codeOf(error) };
      this.#write(`${safeJson({ ...record, message: jsonText, ...fields })}\n`);
      return;
    }
    this.#line(text);
  }

  /**
   * Replaces the live status (terminal, plain modes only).
   * @param text - One line; control characters are escaped and it is cut to the terminal's width.
   */
  status(text: string): void {
    this.#statusLine?.show(safeLine(text));
  }

  /** True when a live status line is kept on the terminal. */
  get live(): boolean {
    return this.#statusLine !== undefined;
  }

  /**
   * Says that data was written to standard output, so that a lifecycle line after data that does
   * not end with a line feed starts on a line of its own (with `sharedTerminal` only).
   * @param chunk - The data written.
   */
  dataWritten(chunk: string | Uint8Array): void {
    if (!this.#sharedTerminal || chunk.length === 0) return;
    const last = typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : chunk.at(-1);
    this.#midLine = last !== 0x0a;
  }

  /** Gives the status row back while the process is stopped (Ctrl-Z). */
  suspend(): void {
    this.#statusLine?.suspend();
  }

  /** Takes the status row again after {@link suspend}. */
  resume(): void {
    this.#statusLine?.resume();
  }

  /** Removes the status line and lets the whole screen scroll again, before the process exits. */
  close(): void {
    this.#statusLine?.close();
  }

  /**
   * Reports the lifecycle of a Connback: subscribes to its events, for as long as it lives.
   * @param connback - The Connback to watch.
   * @param display - The target as it may be printed (credentials hidden).
   */
  watch<T>(connback: Connback<T>, display: string): void {
    /** A connection is live: an error now belongs to it, and is told with its close. */
    let live = false;
    let connectionError: Error | undefined;
    /** The error of the attempt that just failed, told once the next attempt is scheduled. */
    let attemptError: Error | undefined;
    /** Kinds of attempt errors told in this outage: only the first of each is news. */
    const told = new Set<string>();

    connback.onstatechange(({ from, to }) => {
      this.event('state', `${from} → ${to}`, { from, to }, 'verbose');
      if (to === 'offline') {
        // The backoff delay is chosen right after the state changes; read it once it is.
        queueMicrotask(() => {
          const delay = connback.stats.nextDelay;
          const error = attemptError;
          attemptError = undefined;
          if (connback.state === 'offline' && delay !== undefined) {
            if (error !== undefined) this.#firstOfKind(error, display, told);
            const next = connback.stats.outageAttempts + 1;
            this.event(
              'retry',
              `attempt ${next} in ${delay} ms`,
              { attempt: next, delay },
              'verbose',
            );
          }
          this.#updateStatus(connback, display);
        });
      }
      this.#updateStatus(connback, display);
    });
    connback.onreconnect(() => {
      const attempt = connback.stats.outageAttempts;
      this.event(
        'attempt',
        `connecting to ${display} (attempt ${attempt})`,
        { attempt, target: display },
        'verbose',
      );
    });
    connback.onconnect((_client, info) => {
      live = true;
      told.clear();
      const text = info.reconnect
        ? `reconnected to ${display} (attempt ${info.attempt})`
        : `connected to ${display}`;
      this.event('connect', text, {
        target: display,
        attempt: info.attempt,
        reconnect: info.reconnect,
      });
    });
    connback.onclose((hasError) => {
      live = false;
      const error = connectionError;
      connectionError = undefined;
      // Closed by us (the end of input, Ctrl-C): the line that says why follows anyway.
      const ours = connback.state === 'ending' || connback.state === 'ended';
      if (ours) this.event('close', 'connection closed', { hasError }, 'verbose');
      else this.event('close', closeText(display, error), { hasError });
    });
    connback.onerror((error) => {
      const code = codeOf(error);
      const text =
        code === ErrorCode.KeepaliveTimeout
          ? `heartbeat missed: ${describe(error)}`
          : `error: ${describe(error)}`;
      this.event('error', text, { code, message: error.message }, 'verbose');
      if (live) connectionError = error;
      else attemptError = error;
    });
    connback.onfail((lastError: Error, reason: ConnbackError) => {
      attemptError = undefined;
      // Printed even with --quiet: it is why the command exits with 1.
      this.fatal(
        reason,
        failText(connback, display, lastError, reason),
        { lastCode: codeOf(lastError) },
        // --json keeps the messages as the errors say them.
        `giving up: ${messageWithCode(reason)} (last error: ${messageWithCode(lastError)})`,
      );
    });
  }

  #firstOfKind(error: Error, display: string, told: Set<string>): void {
    const kind = kindOf(error);
    if (told.has(kind)) return;
    told.add(kind);
    if (this.#mode !== 'plain') return;
    const hint = certificateHint(error);
    this.#line(
      `cannot connect to ${display}: ${describe(error)}; retrying${hint === '' ? '' : `; ${hint}`}`,
    );
  }

  #updateStatus<T>(connback: Connback<T>, display: string): void {
    if (this.#statusLine === undefined) return;
    const stats = connback.stats;
    const waiting = stats.nextDelay === undefined ? '' : ` · next attempt in ${stats.nextDelay} ms`;
    this.status(
      `[${stats.state}] ${display} · ${stats.reconnects} reconnects · ${stats.drops} drops${waiting}`,
    );
  }

  #line(text: string): void {
    const start = this.#midLine ? '\n' : '';
    this.#midLine = false;
    this.#write(`${start}connback: ${safeLine(text)}\n`);
  }

  #write(text: string): void {
    if (this.#broken) return;
    try {
      this.#out.write(text);
    } catch {
      this.#broken = true;
    }
  }
}

/** The line of a close: why the connection went, in words. */
function closeText(display: string, error: Error | undefined): string {
  if (error === undefined) return 'connection closed by the server';
  const why = describe(error);
  if (codeOf(error) === ErrorCode.KeepaliveTimeout)
    return `connection lost: heartbeat missed: ${why}`;
  // A 1006 close says "connection lost" already.
  if (why.endsWith('(connection lost)')) return `${display} ${why}`;
  return `connection lost: ${why}`;
}

/** The line of `onfail`: what was tried, what failed, and what could help. */
function failText<T>(
  connback: Connback<T>,
  display: string,
  lastError: Error,
  reason: ConnbackError,
): string {
  const last = describe(lastError);
  if (reason.code === ErrorCode.AttemptsExhausted) {
    const attempts = connback.stats.outageAttempts;
    const what = connback.stats.connects === 0 ? 'could not connect to' : 'could not reconnect to';
    const plural = attempts === 1 ? 'attempt' : 'attempts';
    return `giving up: ${what} ${display} in ${attempts} ${plural}: ${last} (${reason.code})`;
  }
  const hint = certificateHint(lastError);
  if (hint !== '') {
    return `giving up on ${display}: ${last}; ${hint}; retrying cannot fix a certificate (--retry-cert-errors keeps trying)`;
  }
  if (reason.code === ErrorCode.RetryDeclined) return `giving up on ${display}: ${last}`;
  return `giving up on ${display}: ${describe(reason)} (last error: ${last})`;
}

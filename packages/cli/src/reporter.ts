import type { Connback, ConnbackError } from '@connback/core';
import type { ReportMode } from './args.js';
import { safeJson, safeLine } from './sanitize.js';

/** Where the reporter writes, and whether it is a terminal (for the live status line). */
export interface ReportStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
}

/** The fields of one `--json` line besides `time` and `event`. */
export type ReportFields = Record<string, string | number | boolean | undefined>;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined || message.includes(code) ? message : `${code}: ${message}`;
}

/**
 * Tells what a Connback does, on standard error: plain lines, one JSON object per line
 * (`--json`), or nothing but fatal errors (`--quiet`). On a terminal, plain mode keeps a one-line
 * live status (state, reconnects, the wait before the next attempt) under the lines it prints.
 * Whatever it prints has credentials hidden; plain lines have control characters escaped (error
 * messages and close reasons come from the peer).
 */
export class Reporter {
  readonly #out: ReportStream;
  readonly #mode: ReportMode;
  readonly #live: boolean;
  #status = '';

  constructor(out: ReportStream, mode: ReportMode) {
    this.#out = out;
    this.#mode = mode;
    this.#live = mode === 'plain' && out.isTTY === true;
  }

  /** One event: `text` for people, `event` and `fields` for --json. */
  event(event: string, text: string, fields: ReportFields = {}): void {
    if (this.#mode === 'quiet') return;
    if (this.#mode === 'json') {
      this.#out.write(`${safeJson({ time: new Date().toISOString(), event, ...fields })}\n`);
      return;
    }
    this.#clearStatus();
    this.#out.write(`connback: ${safeLine(text)}\n`);
    this.#drawStatus();
  }

  /** An error that ends the command: printed even with --quiet. */
  fatal(error: unknown, text = describe(error), fields: ReportFields = {}): void {
    if (this.#mode === 'json') {
      const record = { time: new Date().toISOString(), event: 'fatal', code: codeOf(error) };
      this.#out.write(`${safeJson({ ...record, message: text, ...fields })}\n`);
      return;
    }
    this.#clearStatus();
    this.#out.write(`connback: ${safeLine(text)}\n`);
  }

  /** Replaces the live status line (terminal, plain mode only). */
  status(text: string): void {
    if (!this.#live) return;
    this.#clearStatus();
    this.#status = safeLine(text);
    this.#drawStatus();
  }

  /** Removes the status line, before the process exits. */
  close(): void {
    this.#clearStatus();
    this.#status = '';
  }

  /** Reports every lifecycle event of `connback`, naming the target as `display`. */
  watch<T>(connback: Connback<T>, display: string): void {
    connback.onstatechange(({ from, to }) => {
      this.event('state', `${from} → ${to}`, { from, to });
      if (to === 'offline') {
        // The backoff delay is chosen right after the state changes; read it once it is.
        queueMicrotask(() => {
          const delay = connback.stats.nextDelay;
          if (connback.state === 'offline' && delay !== undefined) {
            const next = connback.stats.outageAttempts + 1;
            this.event('retry', `attempt ${next} in ${delay} ms`, { attempt: next, delay });
          }
          this.#updateStatus(connback, display);
        });
      }
      this.#updateStatus(connback, display);
    });
    connback.onreconnect(() => {
      const attempt = connback.stats.outageAttempts;
      this.event('attempt', `connecting to ${display} (attempt ${attempt})`, {
        attempt,
        target: display,
      });
    });
    connback.onconnect((_client, info) => {
      const verb = info.reconnect ? 'reconnected to' : 'connected to';
      this.event('connect', `${verb} ${display} (attempt ${info.attempt})`, {
        target: display,
        attempt: info.attempt,
        reconnect: info.reconnect,
      });
    });
    connback.onclose((hasError) => {
      this.event('close', hasError ? 'connection lost with an error' : 'connection closed', {
        hasError,
      });
    });
    connback.onerror((error) => {
      const code = codeOf(error);
      const text =
        code === 'CONNBACK_KEEPALIVE_TIMEOUT'
          ? `heartbeat missed: ${describe(error)}`
          : `error: ${describe(error)}`;
      this.event('error', text, { code, message: error.message });
    });
    connback.onfail((lastError: Error, reason: ConnbackError) => {
      // Printed even with --quiet: it is why the command exits with 1.
      this.fatal(reason, `giving up: ${describe(reason)} (last error: ${describe(lastError)})`, {
        lastCode: codeOf(lastError),
      });
    });
  }

  #updateStatus<T>(connback: Connback<T>, display: string): void {
    const stats = connback.stats;
    const waiting = stats.nextDelay === undefined ? '' : ` · next attempt in ${stats.nextDelay} ms`;
    this.status(
      `[${stats.state}] ${display} · ${stats.reconnects} reconnects · ${stats.drops} drops${waiting}`,
    );
  }

  #clearStatus(): void {
    if (this.#live && this.#status !== '') this.#out.write('\r\x1b[2K');
  }

  #drawStatus(): void {
    if (this.#live && this.#status !== '') this.#out.write(this.#status);
  }
}

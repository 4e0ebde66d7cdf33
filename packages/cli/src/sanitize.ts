import { redactText } from '@connback/core';
import createDebug from 'debug';

/**
 * Characters a terminal may act on rather than show: C0 controls (escape, carriage return, line
 * feed...), DEL, C1 controls (U+009B is a one-character CSI to some terminals), the line and
 * paragraph separators, and the bidirectional overrides that reorder what is shown.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The same characters, less the C0 ones JSON.stringify already escapes. */
const CONTROL_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function hex(char: string, width: number): string {
  return char.charCodeAt(0).toString(16).padStart(width, '0');
}

/** Control characters shown as escapes: ESC as `\x1b`, a line feed as `\x0a`, U+202E as `\u202e`. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (char) =>
    char.charCodeAt(0) <= 0xff ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`,
  );
}

/**
 * One line for the terminal from text that may come from a peer (a close reason, an error
 * message) or hold a URL: credentials and secret parameters hidden, control characters escaped,
 * so the text stays on its line and can neither move the cursor nor recolour what follows.
 */
export function safeLine(text: string): string {
  return escapeControl(redactText(text));
}

/**
 * A JSON line: string values redacted, and the control characters JSON.stringify leaves as they
 * are escaped too (still valid JSON), for whoever reads the lines on a terminal.
 */
export function safeJson(record: Record<string, unknown>): string {
  const redacted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    redacted[key] = typeof value === 'string' ? redactText(value) : value;
  }
  return JSON.stringify(redacted).replace(CONTROL_IN_JSON, (char) => `\\u${hex(char, 4)}`);
}

/**
 * `DEBUG=connback:*` output of the command goes through {@link safeLine} too: the transports
 * trace URLs and error messages, and an error message can carry a peer's close reason. The hook
 * sits where `debug` formats the arguments, before it adds its own colours, so those stay.
 */
export function sanitizeDebugOutput(): void {
  const formatArgs = createDebug.formatArgs;
  createDebug.formatArgs = function (this: createDebug.Debugger, args: unknown[]) {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (typeof arg === 'string') args[i] = safeLine(arg);
      else if (arg instanceof Error) args[i] = safeLine(arg.message);
    }
    formatArgs.call(this, args);
  };
}

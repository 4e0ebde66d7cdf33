import { ConnbackError, ErrorCode } from '@connback/core';

/** An options object, as opposed to a URL (a string, a `URL`, a list, a function). */
function isOptionsObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof URL)
  );
}

function invalid(message: string): ConnbackError {
  return new ConnbackError(ErrorCode.InvalidOption, `connback/ws: ${message}`);
}

/**
 * The URL and the other options that the argument forms of `createWsConnback` stand for:
 * `(url)`, `(url, options)` or `({ url, ...options })`. The URL itself is checked by the
 * connector.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` for options that are not an object, options
 *   given twice, or a URL given twice or not at all.
 */
export function wsConnbackArguments(
  first: unknown,
  second: unknown,
): { url: unknown; options: Record<string, unknown> } {
  if (isOptionsObject(first)) {
    if (second !== undefined) {
      throw invalid(
        'give the options once: createWsConnback({ url, ...options }) or createWsConnback(url, options)',
      );
    }
    const { url, ...options } = first;
    if (url === undefined) {
      throw invalid(
        'option "url" is required: createWsConnback({ url: "wss://…", ...options }) or createWsConnback(url, options)',
      );
    }
    return { url, options };
  }
  if (second === undefined) return { url: first, options: {} };
  if (!isOptionsObject(second)) {
    throw invalid(
      `the options of createWsConnback must be an object (got ${second === null ? 'null' : typeof second})`,
    );
  }
  if (second['url'] !== undefined) {
    throw invalid('option "url" given twice: as the first argument and in the options');
  }
  const { url: _, ...options } = second;
  return { url: first, options };
}

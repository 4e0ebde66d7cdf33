import { isConnbackError, parseConnectionUrl, redactUrl } from '@connback/core';
import { UsageError } from './usage-error.js';

/** Where `connback <url>` connects, parsed from the URL by {@link parseTarget}; `kind` tells which. */
export type Target =
  /** `tcp://host:port` or `tls://host:port`. */
  | {
      /** The kind of target. */
      readonly kind: 'tcp';
      /** The host name or address (an IPv6 address without its brackets). */
      readonly host: string;
      /** The port, from 1 to 65535. */
      readonly port: number;
      /** True for `tls://`. */
      readonly tls: boolean;
      /** The URL as it may be printed: credentials and secret parameters hidden. */
      readonly display: string;
    }
  /** `unix:/path/to.sock`. */
  | {
      /** The kind of target. */
      readonly kind: 'unix';
      /** The socket's path. */
      readonly path: string;
      /** The URL as it may be printed. */
      readonly display: string;
    }
  /** `ws://…` or `wss://…`. */
  | {
      /** The kind of target. */
      readonly kind: 'ws';
      /** The URL as typed, credentials included (the WebSocket class sends them to the server). */
      readonly url: string;
      /** The URL as it may be printed: credentials and secret parameters hidden. */
      readonly display: string;
    };

const SCHEMES = 'tcp://host:port, tls://host:port, unix:/path, ws://host[:port]/path, wss://…';

/**
 * The URL with credentials and secret parameters hidden: what may be printed (`redactUrl` of
 * `@connback/core`).
 */
export const redact = redactUrl;

/**
 * Parses the URL of `connback <url>`: `tcp://host:port`, `tls://host:port`, `unix:/path`,
 * `ws://…` or `wss://…`.
 * @param text - The URL as typed.
 * @returns Where to connect.
 * @throws UsageError naming what is wrong, in one line, without printing credentials (the
 *   checks and messages of core's `parseConnectionUrl`, which the transports' factories share).
 */
export function parseTarget(text: string): Target {
  let url: ReturnType<typeof parseConnectionUrl>;
  try {
    url = parseConnectionUrl(text, {
      schemes: ['tcp', 'tls', 'unix', 'ws', 'wss'],
      expected: SCHEMES,
    });
  } catch (error) {
    if (isConnbackError(error)) throw new UsageError(error.message);
    throw error;
  }
  const { display } = url;
  if (url.scheme === 'unix') return { kind: 'unix', path: url.path, display };
  if (url.scheme === 'ws' || url.scheme === 'wss') return { kind: 'ws', url: text, display };
  if (url.port === undefined) {
    throw new UsageError(`${display}: a port from 1 to 65535 is required (${SCHEMES})`);
  }
  return { kind: 'tcp', host: url.host, port: url.port, tls: url.scheme === 'tls', display };
}

import { isConnbackError, parseConnectionUrl, redactUrl } from '@connback/core';
import { UsageError } from './usage-error.js';

/** Where `connback <url>` connects, parsed from the URL. */
export type Target =
  | {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      readonly tls: boolean;
      readonly display: string;
    }
  | { readonly kind: 'unix'; readonly path: string; readonly display: string }
  | { readonly kind: 'ws'; readonly url: string; readonly display: string };

const SCHEMES = 'tcp://host:port, tls://host:port, unix:/path, ws://host[:port]/path, wss://…';

/**
 * The URL with credentials and secret parameters hidden: what may be printed (`redactUrl` of
 * `@connback/core`).
 */
export const redact = redactUrl;

/**
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

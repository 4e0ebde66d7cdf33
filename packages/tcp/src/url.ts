import { ConnbackError, type ConnectionUrl, ErrorCode, parseConnectionUrl } from '@connback/core';
import type { TcpConnectorOptions } from './options.js';

/** A `tcp://host:port`, `tls://host:port` or `unix:/path` URL, or a list of them (an endpoint pool). */
export type TcpUrl = string | URL | readonly (string | URL)[];

const EXPECTED = 'tcp://host:port, tls://host:port, unix:/path';

/** The options a URL stands for, and which the options next to it must leave out. */
const PLACE_NAMES = ['host', 'port', 'path', 'endpoints'] as const;

function invalid(message: string): ConnbackError {
  return new ConnbackError(ErrorCode.InvalidOption, `connback/tcp: option "url": ${message}`);
}

/** One URL, checked: a port for TCP and TLS, nothing TCP cannot carry. */
function parseOne(url: unknown): ConnectionUrl {
  let parsed: ConnectionUrl;
  try {
    parsed = parseConnectionUrl(url, { schemes: ['tcp', 'tls', 'unix'], expected: EXPECTED });
  } catch (error) {
    throw invalid((error as Error).message);
  }
  const { display, scheme } = parsed;
  if (scheme !== 'unix' && parsed.port === undefined) {
    throw invalid(`${display}: a port from 1 to 65535 is required (${EXPECTED})`);
  }
  // TCP has nowhere to send these: dropping them silently would hide a mistake.
  if (parsed.credentials) {
    throw invalid(`${display}: a ${scheme}: URL has no place for credentials (user:password@)`);
  }
  if ((scheme !== 'unix' && parsed.path !== '' && parsed.path !== '/') || parsed.search !== '') {
    throw invalid(`${display}: a ${scheme}: URL takes no path or query`);
  }
  if (parsed.hash !== '') throw invalid(`${display}: a ${scheme}: URL takes no fragment`);
  return parsed;
}

/**
 * The connector options a URL (or a list of URLs) stands for, merged into `options`: `host` and
 * `port` (and `tls` for `tls://`), `path` for `unix:`, or `endpoints` for a list, whose URLs
 * must share one scheme (a pool never falls back from TLS to plain text). `options.tls` may
 * give `tls.connect` options to a `tls://` URL.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming `url` or the option that conflicts.
 */
export function withUrl<O extends TcpConnectorOptions>(url: unknown, options: O): O {
  for (const name of PLACE_NAMES) {
    if (options[name] !== undefined) {
      throw new ConnbackError(
        ErrorCode.InvalidOption,
        `connback/tcp: option "${name}" must be left out when "url" is given (the URL says where to connect)`,
      );
    }
  }
  const list = Array.isArray(url);
  const urls = list ? (url as unknown[]).map(parseOne) : [parseOne(url)];
  const first = urls[0];
  if (first === undefined) throw invalid('a URL or a non-empty list of URLs (got an empty list)');
  if (urls.some((u) => u.scheme !== first.scheme)) {
    throw invalid('a list of URLs of one scheme (tcp:, tls: or unix:, not a mix)');
  }
  const tls = first.scheme === 'tls';
  if (tls && options.tls === false) {
    throw new ConnbackError(
      ErrorCode.InvalidOption,
      'connback/tcp: option "tls" must not be false with a tls:// URL',
    );
  }
  if (first.scheme === 'tcp' && options.tls !== undefined && options.tls !== false) {
    throw new ConnbackError(
      ErrorCode.InvalidOption,
      'connback/tcp: option "tls" is for tls:// URLs (this one is tcp://)',
    );
  }
  const places = urls.map((u) =>
    u.scheme === 'unix' ? { path: u.path } : { host: u.host, port: u.port as number },
  );
  const place = list ? { endpoints: places } : places[0];
  return { ...options, ...place, ...(tls ? { tls: options.tls ?? true } : {}) };
}

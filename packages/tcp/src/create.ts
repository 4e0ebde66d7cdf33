import type { Socket } from 'node:net';
import {
  Connback,
  ConnbackError,
  type ConnbackOptions,
  DEFAULT_OPTIONS,
  ErrorCode,
} from '@connback/core';
import { TcpConnector } from './connector.js';
import { TCP_CONNECTOR_OPTION_NAMES, type TcpConnectorOptions } from './options.js';
import { type TcpUrl, withUrl } from './url.js';

/**
 * The options of {@link createTcpConnback}: where to connect (`url`, or `host`/`port`, `path`,
 * `endpoints`), and how connback keeps it alive.
 */
export type TcpConnbackOptions = TcpConnectorOptions &
  ConnbackOptions & {
    /**
     * Where to connect, instead of `host`/`port`, `path` or `endpoints`: `tcp://host:port`,
     * `tls://host:port` (with `tls: true`, or the `tls.connect` options given in `tls`),
     * `unix:/path`, or a list of URLs of one scheme (an endpoint pool).
     */
    url?: TcpUrl | undefined;
  };

/** Splits merged options into the connector's and connback's own. */
function splitTcpOptions(options: TcpConnbackOptions): {
  connector: TcpConnectorOptions;
  connback: ConnbackOptions;
} {
  const connector: Record<string, unknown> = {};
  const connback: Record<string, unknown> = {};
  const names: readonly string[] = TCP_CONNECTOR_OPTION_NAMES;
  for (const [key, value] of Object.entries(options)) {
    if (!names.includes(key) && !(key in DEFAULT_OPTIONS)) {
      const known = [...names, ...Object.keys(DEFAULT_OPTIONS)].join(', ');
      throw new ConnbackError(
        ErrorCode.InvalidOption,
        `connback/tcp: unknown option "${key}" (known: ${known})`,
      );
    }
    (names.includes(key) ? connector : connback)[key] = value;
  }
  return { connector, connback };
}

function isOptionsObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof URL)
  );
}

/**
 * The one options object the argument forms of {@link createTcpConnback} stand for: `(url)`,
 * `(url, options)`, `({ url, ...options })` or `({ host, port, ...options })`.
 * @throws TypeError for arguments of none of these forms.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` for a bad URL, or a URL given twice.
 */
export function tcpConnbackOptions(
  first: unknown,
  second?: unknown,
  name = 'createTcpConnback',
): TcpConnbackOptions {
  const byUrl = typeof first === 'string' || first instanceof URL || Array.isArray(first);
  if (!byUrl && !isOptionsObject(first)) {
    throw new TypeError(
      `connback/tcp: ${name} takes a URL (tcp://host:port, tls://host:port, unix:/path), a URL and an options object, or an options object (got ${first === null ? 'null' : typeof first})`,
    );
  }
  if (second !== undefined && (!byUrl || !isOptionsObject(second))) {
    throw new TypeError(
      byUrl
        ? `connback/tcp: the options after the URL must be an object (got ${second === null ? 'null' : typeof second})`
        : `connback/tcp: give the options once: ${name}({ url, ...options }) or ${name}(url, options)`,
    );
  }
  if (byUrl) {
    const { url, ...options } = (second ?? {}) as TcpConnbackOptions;
    if (url !== undefined) {
      throw new ConnbackError(
        ErrorCode.InvalidOption,
        'connback/tcp: option "url" given twice: as the first argument and in the options',
      );
    }
    return withUrl(first, options);
  }
  const { url, ...options } = first as TcpConnbackOptions;
  return url === undefined ? options : withUrl(url, options);
}

/**
 * One call for a Connback over TCP, TLS or IPC, in the same forms as `createWsConnback`: a URL
 * (`createTcpConnback('tcp://db.internal:7000')`), a URL and options, or one options object with
 * the URL in it (`{ url, keepalive: 15 }`) or `host`/`port`/`path`/`endpoints` instead. The
 * connector options (`tls`, `ping`...) and connback's (`keepalive`, `connectTimeout`, backoff...)
 * go in the same object.
 *
 * @param url `tcp://host:port`, `tls://host:port`, `unix:/path`, or a list of URLs of one scheme
 *   (an endpoint pool).
 * @param options the connector options and connback's, without `url`.
 * @returns a Connback that starts connecting at once (unless `lazyConnect`).
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad or unknown option, or saying what
 *   is wrong with the URL (which it shows without its credentials).
 * @throws TypeError for arguments of none of these forms (a number, `null`, options that are not
 *   an object).
 */
export function createTcpConnback(
  url: TcpUrl,
  options?: Omit<TcpConnbackOptions, 'url'>,
): Connback<Socket>;
/**
 * One call for a Connback over TCP, TLS or IPC, from one options object: the URL in it (`{ url,
 * keepalive: 15 }`), or `host`/`port`, `path` or `endpoints` instead.
 * @param options the connector options and connback's, with `url` or `host`/`port`/`path`/`endpoints`.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad or unknown option, or saying what
 *   is wrong with the URL (which it shows without its credentials).
 * @throws TypeError when `options` is not an object.
 */
export function createTcpConnback(options: TcpConnbackOptions): Connback<Socket>;
export function createTcpConnback(
  first: TcpUrl | TcpConnbackOptions,
  second?: Omit<TcpConnbackOptions, 'url'>,
): Connback<Socket> {
  const split = splitTcpOptions(tcpConnbackOptions(first, second));
  return new Connback(new TcpConnector(split.connector), split.connback);
}

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

/** The options of {@link createTcpConnback}: where to connect, and how connback keeps it alive. */
export type TcpConnbackOptions = TcpConnectorOptions & ConnbackOptions;

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

/**
 * One call for a Connback over TCP, TLS or IPC: the connector options (`host`, `port`, `path`,
 * `tls`, `ping`...) and connback's (`keepalive`, `connectTimeout`, backoff...) in one object.
 *
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming a bad or unknown option.
 */
export function createTcpConnback(options: TcpConnbackOptions): Connback<Socket> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('connback/tcp: createTcpConnback(options) takes an options object');
  }
  const split = splitTcpOptions(options);
  return new Connback(new TcpConnector(split.connector), split.connback);
}

import type { LookupFunction, Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { ConnbackError, ErrorCode, redactText } from '@connback/core';

/** What `ping` sends: bytes, or a function of the socket that sends (or returns what to send). */
export type PingPayload =
  | string
  | Uint8Array
  | ((socket: Socket) => string | Uint8Array | undefined);

/** Where and how {@link TcpConnector} connects. Give `port` (TCP/TLS) or `path` (IPC), not both. */
export interface TcpConnectorOptions {
  /**
   * Host name or address to connect to: a non-empty string.
   * @default 'localhost'
   */
  host?: string | undefined;
  /** TCP port (1-65535). Required unless `path` is given. */
  port?: number | undefined;
  /** Path of a Unix domain socket (or Windows named pipe) for IPC, instead of `host`/`port`. */
  path?: string | undefined;
  /**
   * TLS: `true` for the defaults, or `tls.connect` options (`ca`, `cert`, `key`, `servername`...).
   * Certificates are verified unless `rejectUnauthorized: false` is given.
   * @default false
   */
  tls?: boolean | ConnectionOptions | undefined;
  /**
   * Disable Nagle's algorithm, so small writes (pings, requests) leave at once.
   * @default true
   */
  noDelay?: boolean | undefined;
  /**
   * Enable TCP keep-alive probes (an OS-level complement to connback's heartbeat).
   * @default false
   */
  keepAlive?: boolean | undefined;
  /**
   * Milliseconds of idleness before the first TCP keep-alive probe; 0 keeps the OS default.
   * @default 0
   */
  keepAliveInitialDelay?: number | undefined;
  /**
   * Milliseconds of socket inactivity (no data either way) after which the socket is destroyed
   * with an `ETIMEDOUT` error and connback reconnects; 0 disables it.
   * @default 0
   */
  timeout?: number | undefined;
  /** A custom DNS lookup, as for `net.connect` (for instance to pin or fake resolution). */
  lookup?: LookupFunction | undefined;
  /**
   * Sent by each keepalive ping. Without it nothing is sent and any incoming data is the
   * heartbeat, so the peer must talk on its own within each keepalive period.
   */
  ping?: PingPayload | undefined;
  /**
   * Milliseconds a graceful close (`end()`) waits for the peer before destroying the socket.
   * @default 2000
   */
  closeTimeout?: number | undefined;
}

/** The connector options with defaults filled in. */
export interface ResolvedTcpConnectorOptions {
  readonly host: string;
  readonly port: number | undefined;
  readonly path: string | undefined;
  readonly tls: ConnectionOptions | undefined;
  readonly noDelay: boolean;
  readonly keepAlive: boolean;
  readonly keepAliveInitialDelay: number;
  readonly timeout: number;
  readonly lookup: LookupFunction | undefined;
  readonly ping: PingPayload | undefined;
  readonly closeTimeout: number;
}

/** The names of {@link TcpConnectorOptions}, to split merged options. */
export const TCP_CONNECTOR_OPTION_NAMES: readonly (keyof TcpConnectorOptions)[] = [
  'host',
  'port',
  'path',
  'tls',
  'noDelay',
  'keepAlive',
  'keepAliveInitialDelay',
  'timeout',
  'lookup',
  'ping',
  'closeTimeout',
];

const MAX_TIMER = 2_147_483_647;

function invalid(name: string, expected: string, got: unknown): ConnbackError {
  // The value is echoed to say what was wrong, never a credential it may hold.
  const shown = redactText(typeof got === 'string' ? JSON.stringify(got) : String(got));
  return new ConnbackError(
    ErrorCode.InvalidOption,
    `connback/tcp: option "${name}" must be ${expected} (got ${shown})`,
  );
}

function optionalType(name: string, value: unknown, type: 'string' | 'boolean' | 'function') {
  if (value !== undefined && typeof value !== type) throw invalid(name, `a ${type}`, value);
}

function optionalMs(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER) {
    throw invalid(name, `a number of milliseconds between 0 and ${MAX_TIMER}`, value);
  }
}

/**
 * Fills in the defaults and validates the connector options.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming the option.
 */
export function resolveTcpConnectorOptions(
  options: TcpConnectorOptions,
): ResolvedTcpConnectorOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('options', 'an object', options);
  }
  const o = options;
  optionalType('host', o.host, 'string');
  if (o.host === '') throw invalid('host', 'a non-empty host name or address', o.host);
  optionalType('path', o.path, 'string');
  optionalType('noDelay', o.noDelay, 'boolean');
  if (o.keepAlive !== undefined && typeof o.keepAlive !== 'boolean') {
    // The likely mix-up: connback's heartbeat is `keepalive`, in seconds.
    throw invalid(
      'keepAlive',
      'a boolean (TCP keep-alive probes; the heartbeat period in seconds is "keepalive")',
      o.keepAlive,
    );
  }
  optionalType('lookup', o.lookup, 'function');
  optionalMs('keepAliveInitialDelay', o.keepAliveInitialDelay);
  optionalMs('timeout', o.timeout);
  optionalMs('closeTimeout', o.closeTimeout);
  if (o.path !== undefined && o.port !== undefined) {
    throw invalid('path', 'given without "port" (IPC or TCP, not both)', o.path);
  }
  if (o.path === undefined) {
    const port = o.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw invalid('port', 'a whole number from 1 to 65535 (or give "path" for IPC)', port);
    }
  } else if (o.path.length === 0) {
    throw invalid('path', 'a non-empty path', o.path);
  }
  if (
    o.tls !== undefined &&
    typeof o.tls !== 'boolean' &&
    (typeof o.tls !== 'object' || o.tls === null)
  ) {
    throw invalid('tls', 'true, false or an object of tls.connect options', o.tls);
  }
  const ping = o.ping;
  if (
    ping !== undefined &&
    typeof ping !== 'string' &&
    typeof ping !== 'function' &&
    !(ping instanceof Uint8Array)
  ) {
    throw invalid('ping', 'a string, a Buffer or a function of the socket', ping);
  }
  return Object.freeze({
    host: o.host ?? 'localhost',
    port: o.port,
    path: o.path,
    tls: o.tls === true ? {} : o.tls === false ? undefined : o.tls,
    noDelay: o.noDelay ?? true,
    keepAlive: o.keepAlive ?? false,
    keepAliveInitialDelay: o.keepAliveInitialDelay ?? 0,
    timeout: o.timeout ?? 0,
    lookup: o.lookup,
    ping,
    closeTimeout: o.closeTimeout ?? 2000,
  });
}

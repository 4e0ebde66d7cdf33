import type { LookupFunction, Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import {
  ConnbackError,
  type EndpointPolicy,
  ErrorCode,
  type Handshake,
  redactText,
} from '@connback/core';

/** What `ping` sends: bytes, or a function of the socket that sends (or returns what to send). */
export type PingPayload =
  | string
  | Uint8Array
  | ((socket: Socket) => string | Uint8Array | undefined);

/**
 * One endpoint of a pool: `'host:port'`, or `{ host, port }` for TCP and TLS, or `{ path }` for
 * IPC (a pool holds either TCP endpoints or IPC paths, not both).
 */
export type TcpEndpoint =
  | string
  | {
      /**
       * Host name or address.
       * @default 'localhost'
       */
      readonly host?: string;
      /** TCP port, a whole number from 1 to 65535. */
      readonly port: number;
    }
  | {
      /** Path of a Unix domain socket or a Windows named pipe. */
      readonly path: string;
    };

/** Where and how {@link TcpConnector} connects. Give `port` (TCP/TLS) or `path` (IPC), not both. */
export interface TcpConnectorOptions {
  /**
   * Host name or address to connect to: a non-empty string.
   * @default 'localhost'
   */
  host?: string | undefined;
  /** TCP port, a whole number from 1 to 65535. Required unless `path` (or `endpoints`) is given. */
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
  /**
   * A custom DNS lookup, as for `net.connect` (for instance to pin or fake resolution).
   * @default Node's `dns.lookup`
   */
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
  /**
   * Several endpoints instead of `host`/`port`/`path` (DESIGN.md semantic 20): a non-empty list,
   * or a function called at each attempt that returns the endpoint to try. Each attempt picks one
   * by `endpointPolicy`; one that failed waits its own delay (`endpointDelay`, doubling per
   * failure, up to the Connback's `maxDelay` default of 30 s) before it is picked again, unless
   * every endpoint is waiting.
   */
  endpoints?: readonly TcpEndpoint[] | (() => TcpEndpoint) | undefined;
  /**
   * How an attempt picks among `endpoints`: `'in-order'` (the first one, the primary, whenever it
   * is not waiting its delay; a live connection is never dropped to go back to it),
   * `'round-robin'`, or `'random'` (shuffled once).
   * @default 'in-order'
   */
  endpointPolicy?: EndpointPolicy | undefined;
  /**
   * Milliseconds an endpoint of `endpoints` waits after its first failed attempt before it is
   * picked again; it doubles with each further failure, up to 30 s.
   * @default 1000
   */
  endpointDelay?: number | undefined;
  /**
   * Runs on each socket once it connected and before the attempt resolves, within
   * `connectTimeout`, with the attempt's token: the attempt (and `onconnect`) waits until the
   * application protocol is ready. Data that arrives meanwhile goes to the handshake's own
   * `'data'` listener, not to connback's heartbeat or to later listeners. A throw or rejection
   * fails the attempt; `retry` decides what follows.
   */
  handshake?: Handshake<Socket> | undefined;
}

/**
 * The connector options with defaults filled in and checked (frozen): what
 * {@link TcpConnector.options} holds. Each member means what it means in {@link TcpConnectorOptions}.
 */
export interface ResolvedTcpConnectorOptions {
  /** Host to connect to; `'localhost'` when none was given. */
  readonly host: string;
  /** TCP port (1 to 65535); `undefined` with `path` or `endpoints`. */
  readonly port: number | undefined;
  /** IPC path; `undefined` for TCP. */
  readonly path: string | undefined;
  /** `tls.connect` options (`{}` for `tls: true`); `undefined` for plain TCP. */
  readonly tls: ConnectionOptions | undefined;
  /** Whether Nagle's algorithm is disabled (default `true`). */
  readonly noDelay: boolean;
  /** Whether TCP keep-alive probes are on (default `false`). */
  readonly keepAlive: boolean;
  /** Milliseconds before the first TCP keep-alive probe; 0 keeps the system's (default 0). */
  readonly keepAliveInitialDelay: number;
  /** Milliseconds of inactivity before the socket is destroyed; 0 is off (default 0). */
  readonly timeout: number;
  /** The custom DNS lookup, or `undefined` for Node's. */
  readonly lookup: LookupFunction | undefined;
  /** What each keepalive ping writes, or `undefined` to write nothing. */
  readonly ping: PingPayload | undefined;
  /** Milliseconds a graceful close waits before destroying the socket (default 2000). */
  readonly closeTimeout: number;
  /** The endpoint pool's list or function, or `undefined` for one target. */
  readonly endpoints: readonly TcpEndpoint[] | (() => TcpEndpoint) | undefined;
  /** How an attempt picks among `endpoints` (default `'in-order'`). */
  readonly endpointPolicy: EndpointPolicy;
  /** Milliseconds a failed endpoint first waits before it is picked again (default 1000). */
  readonly endpointDelay: number;
  /** The handshake run on each connected socket, or `undefined`. */
  readonly handshake: Handshake<Socket> | undefined;
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
  'endpoints',
  'endpointPolicy',
  'endpointDelay',
  'handshake',
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
 * An endpoint as `net.connect` takes it: `'db:7000'` gives `{ host: 'db', port: 7000 }`,
 * `'[::1]:7000'` gives `{ host: '::1', port: 7000 }`, `{ port: 7000 }` gets `host: 'localhost'`.
 * @param endpoint one entry of `endpoints` (any value: it is checked).
 * @returns `{ host, port }` for TCP and TLS, or `{ path }` for IPC.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` naming `endpoints`, for anything else.
 */
export function parseTcpEndpoint(endpoint: unknown):
  | {
      /** Host name or address. */
      host: string;
      /** TCP port, from 1 to 65535. */
      port: number;
    }
  | {
      /** Path of a Unix domain socket or a Windows named pipe. */
      path: string;
    } {
  if (typeof endpoint === 'string') {
    const at = endpoint.lastIndexOf(':');
    const port = Number(endpoint.slice(at + 1));
    const host = endpoint.slice(0, at).replace(/^\[(.*)\]$/, '$1');
    if (at > 0 && Number.isInteger(port) && port >= 1 && port <= 65535 && !host.includes('/')) {
      return { host, port };
    }
    throw invalid(
      'endpoints',
      'a list of "host:port" strings, { host, port } or { path }',
      endpoint,
    );
  }
  if (typeof endpoint === 'object' && endpoint !== null) {
    const e = endpoint as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof e.path === 'string' && e.path !== '' && e.port === undefined)
      return { path: e.path };
    const port = e.port;
    const host = e.host ?? 'localhost';
    if (
      typeof host === 'string' &&
      host !== '' &&
      typeof port === 'number' &&
      Number.isInteger(port) &&
      port >= 1 &&
      port <= 65535
    ) {
      return { host, port };
    }
  }
  throw invalid('endpoints', 'a list of "host:port" strings, { host, port } or { path }', endpoint);
}

function checkEndpoints(endpoints: unknown): void {
  if (typeof endpoints === 'function') return;
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw invalid('endpoints', 'a non-empty list or a function called per attempt', endpoints);
  }
  const kinds = new Set(endpoints.map((e) => ('path' in parseTcpEndpoint(e) ? 'IPC' : 'TCP')));
  if (kinds.size > 1) {
    throw invalid('endpoints', 'all TCP endpoints or all IPC paths, not a mix', 'a mix of both');
  }
}

/**
 * Fills in the defaults and validates the connector options.
 * @param options the options as given.
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
  optionalType('handshake', o.handshake, 'function');
  optionalMs('endpointDelay', o.endpointDelay);
  if (o.endpoints !== undefined) {
    checkEndpoints(o.endpoints);
    for (const name of ['host', 'port', 'path'] as const) {
      if (o[name] !== undefined) throw invalid(name, 'left out when "endpoints" is given', o[name]);
    }
  } else if (o.path !== undefined && o.port !== undefined) {
    throw invalid('path', 'given without "port" (IPC or TCP, not both)', o.path);
  }
  if (o.endpoints !== undefined) {
    // Checked above.
  } else if (o.path === undefined) {
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
    endpoints: o.endpoints,
    endpointPolicy: o.endpointPolicy ?? 'in-order',
    endpointDelay: o.endpointDelay ?? 1000,
    handshake: o.handshake,
  });
}

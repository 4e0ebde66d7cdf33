import { redactUrl } from '@connback/ws';
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

/** The URL with any user name and password replaced: what may be printed. */
export const redact = redactUrl;

function parsePort(url: URL, display: string): number {
  const port = Number(url.port);
  if (url.port === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${display}: a port from 1 to 65535 is required (${SCHEMES})`);
  }
  return port;
}

/** @throws UsageError naming what is wrong, without printing credentials. */
export function parseTarget(text: string): Target {
  const display = redact(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`not a URL: ${display} (expected ${SCHEMES})`);
  }
  switch (url.protocol) {
    case 'tcp:':
    case 'tls:': {
      if (url.hostname === '') throw new UsageError(`${display}: a host is required`);
      // URL keeps the brackets of an IPv6 address; net.connect wants it bare.
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      return {
        kind: 'tcp',
        host,
        port: parsePort(url, display),
        tls: url.protocol === 'tls:',
        display,
      };
    }
    case 'unix:': {
      const path = decodeURIComponent(url.pathname);
      if (path === '' || path === '/')
        throw new UsageError(`${display}: a socket path is required`);
      return { kind: 'unix', path, display };
    }
    case 'ws:':
    case 'wss:':
      return { kind: 'ws', url: text, display };
    default:
      throw new UsageError(
        `unsupported scheme "${url.protocol}" in ${display} (expected ${SCHEMES})`,
      );
  }
}

import { redactUrl } from '@connback/core';
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

/** The schemes with a host (and a port) after `//`. */
const NETWORK_SCHEMES = new Set(['tcp', 'tls', 'ws', 'wss']);

/**
 * The URL with credentials and secret parameters hidden: what may be printed (`redactUrl` of
 * `@connback/core`).
 */
export const redact = redactUrl;

/**
 * Host and port of a `scheme://` URL, read from the text itself (a URL parser says only "Invalid
 * URL" for a port out of range or a missing host), after checking that the credentials, if any,
 * end where a URL parser will end them.
 */
function hostAndPort(rest: string, display: string): { host: string; port: number | undefined } {
  const end = rest.search(/[/?#\\]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  if (end >= 0 && rest.slice(end).includes('@')) {
    // ws://bob:1234/5678@host: a parser connects to host "bob", port 1234, and so sends the user
    // name to a DNS resolver. Refused rather than guessed.
    throw new UsageError(
      `${display}: an "@" after the host leaves unclear where the credentials end; percent-encode "/", "?" and "#" in a password (%2F, %3F, %23), and an "@" in the path or query (%40)`,
    );
  }
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const match = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort);
  const host = match?.[1] ?? '';
  const portText = match?.[2] ?? '';
  if (host === '') throw new UsageError(`${display}: a host is required (${SCHEMES})`);
  if (portText === '') return { host, port: undefined };
  if (!/^\d+$/.test(portText)) {
    throw new UsageError(`${display}: the port must be a number from 1 to 65535`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    throw new UsageError(`${display}: port ${port} is out of range (1 to 65535)`);
  }
  return { host, port };
}

/** @throws UsageError naming what is wrong, in one line, without printing credentials. */
export function parseTarget(text: string): Target {
  const display = redact(text);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'unix') {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new UsageError(`not a URL: ${display} (expected ${SCHEMES})`);
    }
    const path = decodeURIComponent(url.pathname);
    if (path === '' || path === '/') throw new UsageError(`${display}: a socket path is required`);
    return { kind: 'unix', path, display };
  }
  const hasAuthority = scheme !== undefined && text.slice(scheme.length + 1).startsWith('//');
  if (!hasAuthority) {
    // Without "//" the text before a ":" is no scheme to name: in alice:s3cret@host it is a user.
    const hint =
      scheme !== undefined && NETWORK_SCHEMES.has(scheme) ? ` (${scheme}:// is needed)` : '';
    throw new UsageError(`not a URL: ${display}${hint} (expected ${SCHEMES})`);
  }
  if (!NETWORK_SCHEMES.has(scheme)) {
    throw new UsageError(`unsupported scheme "${scheme}:" in ${display} (expected ${SCHEMES})`);
  }
  const { port } = hostAndPort(text.slice(scheme.length + 3), display);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`not a URL: ${display} (expected ${SCHEMES})`);
  }
  if (scheme === 'ws' || scheme === 'wss') return { kind: 'ws', url: text, display };
  if (port === undefined) {
    throw new UsageError(`${display}: a port from 1 to 65535 is required (${SCHEMES})`);
  }
  // URL keeps the brackets of an IPv6 address; net.connect wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError(`${display}: a host is required (${SCHEMES})`);
  return { kind: 'tcp', host, port, tls: scheme === 'tls', display };
}

import { ConnbackError, ErrorCode } from './errors.js';
import { redactUrl } from './redact.js';

/** A connection URL taken apart by {@link parseConnectionUrl}. */
export interface ConnectionUrl {
  /** The scheme in lower case, without its colon: `tcp`, `tls`, `ws`, `wss`, `unix`... */
  readonly scheme: string;
  /** The host, an IPv6 address without its brackets; `''` for `unix:`. */
  readonly host: string;
  /** The port the URL names; `undefined` when it names none (and for `unix:`). */
  readonly port: number | undefined;
  /** For `unix:` the socket path, percent-decoded; else the URL's path (`''` or `'/'` for none). */
  readonly path: string;
  /** The query with its `?`; `''` when absent. */
  readonly search: string;
  /** The fragment with its `#`; `''` when absent. */
  readonly hash: string;
  /** True when the URL holds user information (`user:password@`). */
  readonly credentials: boolean;
  /** The URL as given (a `URL`'s `href`). */
  readonly href: string;
  /** The URL as it may be printed: {@link redactUrl} of it. */
  readonly display: string;
}

/** What {@link parseConnectionUrl} accepts. */
export interface ConnectionUrlOptions {
  /**
   * The schemes accepted, without their colon. `unix` is the socket-path form (`unix:/run/app.sock`,
   * `unix:///run/app.sock`); every other scheme needs `//` and a host.
   */
  readonly schemes: readonly string[];
  /**
   * How the accepted forms are listed in messages (`tcp://host:port, unix:/path`).
   * @default each scheme as `scheme://host:port` (`unix:/path` for `unix`)
   */
  readonly expected?: string | undefined;
  /**
   * Whether messages show the URL (redacted). False leaves it out altogether, for errors that
   * may be logged where even a host, or a query parameter not named like a secret, must not go.
   * @default true
   */
  readonly echo?: boolean | undefined;
}

const PORT_RANGE = '1 to 65535';

/** How messages name the URL: redacted, or not at all. */
interface Shown {
  /** `'<url>: '` before a finding, or `''`. */
  readonly prefix: string;
  /** `': <url>'` after "not a URL", or `''`. */
  readonly after: string;
  /** `' in <url>'` after an unsupported scheme, or `''`. */
  readonly within: string;
  readonly expected: string;
}

function invalid(message: string): ConnbackError {
  return new ConnbackError(ErrorCode.InvalidOption, message);
}

/** The scheme a text starts with, in lower case; `undefined` when it starts with none. */
function schemeOf(text: string): string | undefined {
  return /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
}

/**
 * Host and port of the text after `scheme://`, read from the text itself: a URL parser says only
 * "Invalid URL" for a port out of range or a missing host. Checks first that the credentials, if
 * any, end where a URL parser will end them.
 */
function hostAndPort(rest: string, shown: Shown): number | undefined {
  const { prefix } = shown;
  const end = rest.search(/[/?#\\]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  if (end >= 0 && rest.slice(end).includes('@')) {
    // ws://bob:1234/5678@host: a parser connects to host "bob", port 1234, and so sends the user
    // name to a DNS resolver. Refused rather than guessed.
    throw invalid(
      `${prefix}an "@" after the host leaves unclear where the credentials end; percent-encode "/", "?" and "#" in a password (%2F, %3F, %23), and an "@" in the path or query (%40)`,
    );
  }
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const match = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort);
  const host = match?.[1] ?? '';
  const portText = match?.[2] ?? '';
  if (host === '') throw invalid(`${prefix}a host is required (${shown.expected})`);
  if (portText === '') return undefined;
  if (!/^\d+$/.test(portText)) {
    throw invalid(`${prefix}the port must be a number from ${PORT_RANGE}`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    throw invalid(`${prefix}port ${port} is out of range (${PORT_RANGE})`);
  }
  return port;
}

function parsed(text: string, shown: Shown): URL {
  try {
    return new URL(text);
  } catch {
    throw invalid(`not a URL${shown.after} (expected ${shown.expected})`);
  }
}

/** A `unix:` URL: the path, percent-decoded, must not be empty. */
function socketPath(text: string, display: string, shown: Shown): ConnectionUrl {
  const url = parsed(text, shown);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw invalid(
      `${shown.prefix}the socket path holds a "%" that is not an escape (write "%" as %25)`,
    );
  }
  if (path === '' || path === '/') throw invalid(`${shown.prefix}a socket path is required`);
  return {
    scheme: 'unix',
    host: '',
    port: undefined,
    path,
    search: url.search,
    hash: url.hash,
    credentials: url.username !== '' || url.password !== '',
    href: text,
    display,
  };
}

/**
 * Takes a connection URL apart, checking it the way the `connback` command does: each mistake
 * said plainly in one line (not a URL, an unsupported scheme, a missing host, a port that is not
 * a number or is out of range, an `@` after the host), and the URL shown only redacted (or not
 * at all, with `echo: false`), so credentials are never echoed. The transports' factories and
 * the command line share it.
 * @param url The URL, as text or a `URL`; anything else is refused with a message.
 * @param options The schemes accepted, and how messages show the URL.
 * @returns The URL taken apart.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION` saying what is wrong.
 */
export function parseConnectionUrl(url: unknown, options: ConnectionUrlOptions): ConnectionUrl {
  const schemes = new Set(options.schemes.map((scheme) => scheme.toLowerCase()));
  const expected =
    options.expected ??
    [...schemes].map((s) => (s === 'unix' ? 'unix:/path' : `${s}://host:port`)).join(', ');
  const text = url instanceof URL ? url.href : url;
  if (typeof text !== 'string') {
    const got = text === null ? 'null' : `a ${typeof text}`;
    throw invalid(`not a URL: got ${got} (expected ${expected})`);
  }
  const display = redactUrl(text);
  const echo = options.echo !== false;
  const shown: Shown = {
    prefix: echo ? `${display}: ` : '',
    after: echo ? `: ${display}` : '',
    within: echo ? ` in ${display}` : '',
    expected,
  };
  const scheme = schemeOf(text);
  if (scheme === 'unix' && schemes.has('unix')) return socketPath(text, display, shown);
  const afterScheme = scheme === undefined ? text : text.slice(scheme.length + 1);
  if (scheme !== undefined && !schemes.has(scheme) && afterScheme.startsWith('/')) {
    throw invalid(`unsupported scheme "${scheme}:"${shown.within} (expected ${expected})`);
  }
  if (scheme === undefined || !afterScheme.startsWith('//')) {
    // Without "//" the text before a ":" is no scheme to name: in alice:s3cret@host it is a user.
    const hint = scheme !== undefined && schemes.has(scheme) ? ` (${scheme}:// is needed)` : '';
    throw invalid(`not a URL${shown.after}${hint} (expected ${expected})`);
  }
  const port = hostAndPort(afterScheme.slice(2), shown);
  const whole = parsed(text, shown);
  // URL keeps the brackets of an IPv6 address; net.connect wants it bare.
  const host = whole.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalid(`${shown.prefix}a host is required (${expected})`);
  return {
    scheme,
    host,
    port,
    path: whole.pathname,
    search: whole.search,
    hash: whole.hash,
    credentials: whole.username !== '' || whole.password !== '',
    href: text,
    display,
  };
}

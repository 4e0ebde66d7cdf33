/**
 * Secrets out of URLs before they are printed: the one place connback decides what a credential
 * looks like, for the transports' traces and errors and for the command line.
 *
 * A URL parser cannot be trusted with this. A password holding `/`, `?` or `#` ends the host for
 * the WHATWG parser (`ws://bob:1234/5678@host/feed` parses as host `bob`, port 1234, no
 * credentials), and a text that does not parse at all must still be printed safely. So the rule
 * works on the text: everything between `//` and the last `@` after it is a credential. An `@`
 * later in the URL (a path such as `/@me`, an e-mail address in the query) makes it hide more than
 * needed, never less.
 */

const HIDDEN = '***';

/** A scheme followed by `//`, or a bare `//` (a scheme-relative URL): an authority follows. */
const AUTHORITY = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\//;

/** The same, anywhere in a run of text (for URLs that follow other words or punctuation). */
const EMBEDDED_AUTHORITY = /[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Socket paths (`unix:/run/app.sock`) have no authority: an `@` in them is part of the path. */
const SOCKET_PATH = /^unix:/i;

/** A `name=value` pair after `?`, `&`, `;` or `#`. */
const PARAMETER = /([?&;#])([^=&;#?]*)=([^&;#]*)/g;

/**
 * Parameter names whose values are secrets, compared without case and without `-`, `_` and `.`
 * (`access_token`, `API-Key`, `X-Amz-Signature`...).
 */
const SECRET_NAMES: ReadonlySet<string> = new Set([
  'token',
  'accesstoken',
  'key',
  'apikey',
  'password',
  'passwd',
  'pwd',
  'secret',
  'auth',
  'authorization',
  'sig',
  'signature',
]);

/** Endings that make a name secret too: `refresh_token`, `client_secret`, `X-Amz-Signature`. */
const SECRET_ENDINGS = ['token', 'secret', 'password', 'signature', 'apikey'];

function isSecretName(raw: string): boolean {
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // A malformed escape: compare the name as written.
  }
  const normal = name.toLowerCase().replace(/[-_.]/g, '');
  return SECRET_NAMES.has(normal) || SECRET_ENDINGS.some((ending) => normal.endsWith(ending));
}

/** Hides the values of secret parameters in the query and fragment of `text`. */
function hideParameters(text: string): string {
  const start = text.search(/[?#]/);
  if (start < 0) return text;
  const tail = text
    .slice(start)
    .replace(PARAMETER, (pair, separator: string, name: string) =>
      isSecretName(name) ? `${separator}${name}=${HIDDEN}` : pair,
    );
  return text.slice(0, start) + tail;
}

/** `***:***` for a user name and a password, `***` for a user name (or a token) alone. */
function hiddenUserinfo(userinfo: string): string {
  return userinfo.includes(':') ? `${HIDDEN}:${HIDDEN}` : HIDDEN;
}

/** Redacts one URL (or URL-like text) that starts at the beginning of `text`. */
function redactOne(text: string): string {
  if (SOCKET_PATH.test(text)) return hideParameters(text);
  // Without `//` there is no authority marker: whatever precedes the last `@` is taken for
  // credentials (`alice:s3cret@host:4321`, typed without a scheme).
  const start = AUTHORITY.exec(text)?.[0].length ?? 0;
  const at = text.lastIndexOf('@');
  if (at <= start) return text.slice(0, start) + hideParameters(text.slice(start));
  const userinfo = text.slice(start, at);
  return `${text.slice(0, start)}${hiddenUserinfo(userinfo)}@${hideParameters(text.slice(at + 1))}`;
}

/**
 * The URL as it may be printed or logged. A user name and a password are replaced by `***`
 * (`wss://alice:s3cret@example.org/feed` → `wss://***:***@example.org/feed`) whether or not the text
 * parses as a URL: everything between `//` and the last `@` is hidden (without `//`, everything
 * before the last `@`, except in a `unix:` socket path). The values of query and fragment
 * parameters named like secrets are replaced too (`?token=***`): `token`, `access_token`, `key`,
 * `apikey`, `password`, `secret`, `auth`, `sig`, `signature` and a few more, in any case, and names
 * ending in `token`, `secret`, `password`, `signature` or `apikey`. Everything else is kept as it
 * was written (no normalisation). Applying it twice gives the same text.
 *
 * Only for what is printed: connect with the real URL.
 * @param url The URL, as text or a `URL`.
 * @returns The text to print.
 */
export function redactUrl(url: string | URL): string {
  return redactOne(typeof url === 'string' ? url : url instanceof URL ? url.href : String(url));
}

/**
 * Free text (an error message, a log line) with every URL-like part of it redacted as
 * {@link redactUrl} does: each whitespace-separated run that holds a `scheme://`, from the scheme
 * on; a run of the form `user:password@host` without a scheme; and the secret parameters of a run
 * with a query (`GET /feed?token=***`). The rest of the text is unchanged.
 * @param text Any text.
 * @returns The text to print.
 */
export function redactText(text: string): string {
  const value = typeof text === 'string' ? text : String(text);
  // Runs end at whitespace only: a password may hold quotes or brackets, and cutting the run
  // there would print the part before them.
  return value.replace(/\S+/g, (run) => {
    const scheme = run.search(EMBEDDED_AUTHORITY);
    if (scheme >= 0) {
      // Credentials typed before the scheme (`bob:pw@ws://host`) are hidden too.
      const before = run.slice(0, scheme);
      return (before.includes('@') ? redactOne(before) : before) + redactOne(run.slice(scheme));
    }
    const at = run.lastIndexOf('@');
    if (at > 0 && run.slice(0, at).includes(':')) {
      // `alice:s3cret@host`; brackets before it stay (`(alice:s3cret@host)`).
      const open = /^[([{<'"]*/.exec(run)?.[0].length ?? 0;
      return run.slice(0, open) + redactOne(run.slice(open));
    }
    return hideParameters(run);
  });
}

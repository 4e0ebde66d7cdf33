import { describe, expect, it } from 'vitest';
import {
  type ConnectionUrlOptions,
  ErrorCode,
  isConnbackError,
  parseConnectionUrl,
} from '../src/index.js';

const all = { schemes: ['tcp', 'tls', 'unix', 'ws', 'wss'] };

function refusal(url: unknown, options: ConnectionUrlOptions = all): Error {
  try {
    parseConnectionUrl(url, options);
  } catch (error) {
    expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
    return error as Error;
  }
  throw new Error(`expected ${String(url)} to be refused`);
}

describe('parseConnectionUrl: the URL checks the factories and the command line share', () => {
  it('takes a URL apart: scheme in lower case, bare IPv6 host, port, path, query, credentials flagged, redacted display', () => {
    expect(parseConnectionUrl('TCP://db.internal:7000', all)).toMatchObject({
      scheme: 'tcp',
      host: 'db.internal',
      port: 7000,
      credentials: false,
    });
    expect(parseConnectionUrl('tls://[::1]:443', all)).toMatchObject({ host: '::1', port: 443 });
    const ws = parseConnectionUrl('wss://bob:s3cret@example.org/feed?token=t0p&room=1', all);
    expect(ws).toMatchObject({
      scheme: 'wss',
      host: 'example.org',
      port: undefined,
      path: '/feed',
      search: '?token=t0p&room=1',
      credentials: true,
      display: 'wss://***:***@example.org/feed?token=***&room=1',
    });
    expect(parseConnectionUrl(new URL('ws://127.0.0.1:8080/x'), all).port).toBe(8080);
  });

  it('unix:/path and unix:///path give the socket path, percent-decoded; an @ in it is part of the path', () => {
    expect(parseConnectionUrl('unix:/run/app.sock', all).path).toBe('/run/app.sock');
    expect(parseConnectionUrl('unix:///run/my%20app.sock', all).path).toBe('/run/my app.sock');
    expect(parseConnectionUrl('unix:/run/@app.sock', all).path).toBe('/run/@app.sock');
  });

  it.each([
    ['tcp://127.0.0.1:70000', 'tcp://127.0.0.1:70000: port 70000 is out of range (1 to 65535)'],
    ['ws://127.0.0.1:99999/feed', 'port 99999 is out of range (1 to 65535)'],
    ['tcp://127.0.0.1:http', 'tcp://127.0.0.1:http: the port must be a number from 1 to 65535'],
    ['tcp://:4321', 'tcp://:4321: a host is required'],
    ['ws://', 'ws://: a host is required'],
    [
      'gopher://alice:s3cret@example.org/',
      'unsupported scheme "gopher:" in gopher://***:***@example.org/',
    ],
    ['http:/alice:s3cret@example.org/', 'unsupported scheme "http:"'],
    ['alice:s3cret@example.org:4321', 'not a URL: ***:***@example.org:4321'],
    ['tcp:example.org:4321', 'not a URL: tcp:example.org:4321 (tcp:// is needed)'],
    [
      'ws://alice:s3/cret@example.org/feed',
      'an "@" after the host leaves unclear where the credentials end',
    ],
    ['ws://exa mple.org/', 'not a URL: ws://exa mple.org/'],
    ['unix:', 'unix:: a socket path is required'],
    ['unix:/run/%zz', 'the socket path holds a "%" that is not an escape'],
    [42, 'not a URL: got a number'],
    [null, 'not a URL: got null'],
  ])('%j is refused: %s, never echoing credentials', (url, says) => {
    const { message } = refusal(url);
    expect(message).toContain(says);
    expect(message).not.toContain('s3cret');
    expect(message).not.toContain('alice');
  });

  it('names the accepted forms: as given in `expected`, else from the schemes', () => {
    expect(refusal('gopher://x/', { schemes: ['ws'], expected: 'ws://host/path' }).message).toBe(
      'unsupported scheme "gopher:" in gopher://x/ (expected ws://host/path)',
    );
    expect(refusal('gopher://x/', { schemes: ['tcp', 'unix'] }).message).toContain(
      '(expected tcp://host:port, unix:/path)',
    );
    // A scheme that exists elsewhere but is not accepted here is unsupported, not "not a URL".
    expect(refusal('unix:/run/app.sock', { schemes: ['ws', 'wss'] }).message).toContain(
      'unsupported scheme "unix:"',
    );
  });
});

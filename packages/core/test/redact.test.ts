import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../src/index.js';

describe('redactUrl: credentials are hidden, parsable or not', () => {
  it.each([
    ['wss://alice:s3cret@example.org/feed', 'wss://***:***@example.org/feed'],
    ['wss://alice@example.org/feed', 'wss://***@example.org/feed'],
    // A URL parser ends the host at the "/", "#" or "?" of these passwords and finds no credentials.
    ['ws://bob:1234/5678@host/feed', 'ws://***:***@host/feed'],
    ['ws://bob:pa#ss@host/feed', 'ws://***:***@host/feed'],
    ['ws://bob:pa?ss@host:81/feed', 'ws://***:***@host:81/feed'],
    ['ws://bob:p@ss@host/feed', 'ws://***:***@host/feed'],
    // Does not parse at all (a space in the host).
    ['ws://user:secret@exa mple:1/', 'ws://***:***@exa mple:1/'],
    ['//user:secret@host/x', '//***:***@host/x'],
    // No scheme: whatever precedes the last "@" is taken for credentials.
    ['alice:s3cret@host:4321', '***:***@host:4321'],
    ['bob:pw@ws://host/', '***:***@ws://host/'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it('keeps a URL without credentials exactly as written (no normalisation), and an "@" in a unix: socket path', () => {
    for (const url of [
      'WS://Example.org:80/a/../b',
      'tcp://127.0.0.1:4321',
      'tls://[::1]:443',
      'unix:/tmp/app@1.sock',
      'ws://@host/',
      'not a url at all',
      '',
    ]) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it('takes a URL object (its href)', () => {
    expect(redactUrl(new URL('wss://alice:s3cret@example.org/feed'))).toBe(
      'wss://***:***@example.org/feed',
    );
  });

  it('hides the values of query and fragment parameters named like secrets, in any case, and keeps the others', () => {
    expect(
      redactUrl(
        'wss://h/feed?token=abc&room=1&Access_Token=x&API-KEY=y&sig=z&Signature=s&secret=q&password=p&auth=a&key=k&apikey=v',
      ),
    ).toBe(
      'wss://h/feed?token=***&room=1&Access_Token=***&API-KEY=***&sig=***&Signature=***&secret=***&password=***&auth=***&key=***&apikey=***',
    );
    expect(redactUrl('https://h/cb#access_token=abc&state=1')).toBe(
      'https://h/cb#access_token=***&state=1',
    );
    expect(redactUrl('wss://h/?refresh_token=r&X-Amz-Signature=s&client_secret=c&%74oken=t')).toBe(
      'wss://h/?refresh_token=***&X-Amz-Signature=***&client_secret=***&%74oken=***',
    );
    expect(redactUrl('wss://u:p@h/?token=t')).toBe('wss://***:***@h/?token=***');
    expect(redactUrl('wss://h/feed?room=1&monkey=2')).toBe('wss://h/feed?room=1&monkey=2');
  });

  it('is idempotent', () => {
    for (const url of ['ws://bob:1234/5678@host/feed', 'wss://h/?token=abc', 'a:b@c']) {
      const once = redactUrl(url);
      expect(redactUrl(once)).toBe(once);
    }
  });

  it('property: for any user name and password (any printable characters, "/", "?", "#", "@" and quotes included), the text shown is exactly scheme://***:***@host/path', () => {
    const part = fc.string({
      minLength: 1,
      maxLength: 20,
      unit: fc.constantFrom(...'ab1/?#@:\'"%[]'),
    });
    fc.assert(
      fc.property(part, part, (user, password) => {
        const shown = redactUrl(`wss://${user}:${password}@example.org/feed`);
        expect(shown).toBe('wss://***:***@example.org/feed');
      }),
    );
  });
});

describe('redactText: every URL-like part of free text', () => {
  it('hides the credentials of each URL in a message, wherever it sits in the text', () => {
    expect(
      redactText(
        'connect to ws://bob:1234/5678@host/feed failed (was "tcp://x:y@db:5432?password=p"); retry',
      ),
      // A secret value runs to the end of its run: what follows it in the same word goes too.
    ).toBe(
      'connect to ws://***:***@host/feed failed (was "tcp://***:***@db:5432?password=***; retry',
    );
    expect(redactText("Invalid URL: 'ws://u:p'q@h/'")).toBe("Invalid URL: 'ws://***:***@h/'");
    expect(redactText('url=ws://u:p@h/x')).toBe('url=ws://***:***@h/x');
  });

  it('hides user:password@host typed without a scheme, and secret parameters of a path with a query', () => {
    expect(redactText('unsupported target alice:s3cret@host:4321 given')).toBe(
      'unsupported target ***:***@host:4321 given',
    );
    expect(redactText('(alice:s3cret@host)')).toBe('(***:***@host)');
    expect(redactText('GET /feed?token=abc&room=2 401')).toBe('GET /feed?token=***&room=2 401');
  });

  it('leaves text without credentials unchanged: addresses, ports, e-mail addresses', () => {
    for (const text of [
      'connect ECONNREFUSED 127.0.0.1:4321',
      'write to bob@example.org',
      'WebSocket closed with code 1011: server error',
      'a\nb\tc',
    ]) {
      expect(redactText(text)).toBe(text);
    }
  });

  it('property: a URL with credentials embedded in any text never shows its password', () => {
    const password = fc.string({
      minLength: 4,
      maxLength: 20,
      unit: fc.constantFrom(...'xyz9/?#@:\'"()'),
    });
    fc.assert(
      fc.property(password, fc.constantFrom('', 'error: ', '("', 'at '), (secret, before) => {
        const text = `${before}wss://user:${secret}@example.org/feed and more`;
        const shown = redactText(text);
        expect(shown).toBe(`${before}wss://***:***@example.org/feed and more`);
      }),
    );
  });
});

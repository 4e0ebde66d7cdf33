import * as core from '@connback/core';
import { ErrorCode, isConnbackError } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../test-support/thrown.js';
import {
  createWsConnback,
  WS_CONNECTOR_OPTION_NAMES,
  type WsConnback,
  type WsConnbackOptions,
  WsConnector,
  type WsConnectorOptions,
  redactText as wsRedactText,
  redactUrl as wsRedactUrl,
} from '../src/index.js';
import { record } from './support/recorder.js';
import { host, quick, refusedPort, waitFor } from './support/servers.js';
import { clientSockets } from './support/setup.js';

/** The messages of an error and of its causes, all the way down. */
function messages(error: unknown): string[] {
  const found: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current instanceof Error; depth += 1) {
    found.push(current.message, String(current));
    current = current.cause;
  }
  return found;
}

describe('invalid options throw CONNBACK_INVALID_OPTION naming the option', () => {
  const cases: [title: string, make: () => unknown, name: string][] = [
    ["url 'http://x'", () => createWsConnback('http://x'), '"url"'],
    ['url 42', () => createWsConnback(42 as never), '"url"'],
    ['url undefined', () => createWsConnback(undefined as never), '"url"'],
    [
      'protocols 5',
      () => createWsConnback('ws://127.0.0.1:1/', { protocols: 5 as never }),
      '"protocols"',
    ],
    [
      'protocols [1]',
      () => createWsConnback('ws://127.0.0.1:1/', { protocols: [1] as never }),
      '"protocols"',
    ],
    [
      'WebSocket {}',
      () => createWsConnback('ws://127.0.0.1:1/', { WebSocket: {} as never }),
      '"WebSocket"',
    ],
    [
      'wsOptions 1',
      () => createWsConnback('ws://127.0.0.1:1/', { wsOptions: 1 as never }),
      '"wsOptions"',
    ],
    [
      "pingFrames 'yes'",
      () => createWsConnback('ws://127.0.0.1:1/', { pingFrames: 'yes' as never }),
      '"pingFrames"',
    ],
    [
      'shouldReconnect 1',
      () => createWsConnback('ws://127.0.0.1:1/', { shouldReconnect: 1 as never }),
      '"shouldReconnect"',
    ],
    [
      'closeTimeout -1',
      () => createWsConnback('ws://127.0.0.1:1/', { closeTimeout: -1 }),
      '"closeTimeout"',
    ],
    [
      'closeTimeout NaN',
      () => createWsConnback('ws://127.0.0.1:1/', { closeTimeout: Number.NaN }),
      '"closeTimeout"',
    ],
    [
      'closeTimeout 1e12 (past the longest timer, 2147483647 ms)',
      () => createWsConnback('ws://127.0.0.1:1/', { closeTimeout: 1e12 }),
      '"closeTimeout"',
    ],
    [
      'pingMessage 123',
      () => createWsConnback('ws://127.0.0.1:1/', { pingMessage: 123 as never }),
      '"pingMessage"',
    ],
    [
      'pingMessage { hello: 1 }',
      () => createWsConnback('ws://127.0.0.1:1/', { pingMessage: { hello: 1 } as never }),
      '"pingMessage"',
    ],
    [
      'pingMessage null',
      () => new WsConnector({ url: 'ws://127.0.0.1:1/', pingMessage: null as never }),
      '"pingMessage"',
    ],
    [
      'maxBufferedBytes 0',
      () => createWsConnback('ws://127.0.0.1:1/', { maxBufferedBytes: 0 }),
      '"maxBufferedBytes"',
    ],
    [
      "maxBufferedBytes '1mb'",
      () => createWsConnback('ws://127.0.0.1:1/', { maxBufferedBytes: '1mb' as never }),
      '"maxBufferedBytes"',
    ],
    [
      'maxQueuedMessages 0',
      () => createWsConnback('ws://127.0.0.1:1/', { maxQueuedMessages: 0 }),
      '"maxQueuedMessages"',
    ],
    [
      'maxQueuedMessages 1.5',
      () => createWsConnback('ws://127.0.0.1:1/', { maxQueuedMessages: 1.5 }),
      '"maxQueuedMessages"',
    ],
    [
      'maxQueuedBytes 0',
      () => createWsConnback('ws://127.0.0.1:1/', { maxQueuedBytes: 0 }),
      '"maxQueuedBytes"',
    ],
    [
      "an unknown option 'keepAlive' (a typo of keepalive)",
      () => createWsConnback('ws://127.0.0.1:1/', { keepAlive: 5 } as WsConnbackOptions),
      '"keepAlive"',
    ],
    [
      'a core option out of range: keepalive -1',
      () => createWsConnback('ws://127.0.0.1:1/', { keepalive: -1 }),
      '"keepalive"',
    ],
    [
      'url given in the options',
      () =>
        createWsConnback('ws://127.0.0.1:1/', {
          url: 'ws://127.0.0.1:2/',
        } as WsConnbackOptions),
      'url',
    ],
    ["new WsConnector({ url: 'http://x' })", () => new WsConnector({ url: 'http://x' }), '"url"'],
    [
      'new WsConnector({ url, closeTimeout: Infinity })',
      () => new WsConnector({ url: 'ws://127.0.0.1:1/', closeTimeout: Number.POSITIVE_INFINITY }),
      '"closeTimeout"',
    ],
    [
      'new WsConnector(null)',
      () => new WsConnector(null as unknown as WsConnectorOptions),
      '"options"',
    ],
  ];

  for (const [title, make, name] of cases) {
    it(`${title}: throws at construction, naming ${name}`, () => {
      const error = thrown(make);
      expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
      expect(error.message).toContain(name);
    });
  }

  it('the pingMessage and closeTimeout errors say what is accepted and what was given', () => {
    const ping = thrown(() => createWsConnback('ws://127.0.0.1:1/', { pingMessage: 123 as never }));
    expect(ping.message).toContain('a string, an ArrayBuffer');
    expect(ping.message).toContain('a function');
    expect(ping.message).toContain('got a number (123)');
    const close = thrown(() => createWsConnback('ws://127.0.0.1:1/', { closeTimeout: 1e12 }));
    expect(close.message).toContain('from 0 to 2147483647');
  });

  it('pingMessage accepts a string, an ArrayBuffer, a SharedArrayBuffer, a typed array, a DataView, a Blob and a function; closeTimeout 2147483647', () => {
    for (const pingMessage of [
      'ping',
      new ArrayBuffer(1),
      new SharedArrayBuffer(1),
      new Uint8Array(1),
      new DataView(new ArrayBuffer(1)),
      new Blob(['p']),
      () => 'ping',
    ]) {
      const connector = new WsConnector({ url: 'ws://127.0.0.1:1/', pingMessage });
      expect(connector.options.pingMessage).toBe(pingMessage);
    }
    const connector = new WsConnector({ url: 'ws://127.0.0.1:1/', closeTimeout: 2_147_483_647 });
    expect(connector.options.closeTimeout).toBe(2_147_483_647);
  });

  it('the url error never echoes the URL itself', () => {
    for (const url of ['http://x', 'https://user:secret@example.org/feed', 'ftp://example.org']) {
      const error = thrown(() => createWsConnback(url));
      expect(error.message).not.toContain(url);
      expect(error.message).not.toContain('example.org');
    }
    const error = thrown(() => createWsConnback(42 as never));
    expect(error.message).not.toContain('42');
  });

  it('accepts ws:, wss: (any case) and URL objects, and every documented option', () => {
    const valid: WsConnbackOptions = {
      protocols: ['a', 'b'],
      wsOptions: { headers: {} },
      pingFrames: false,
      pingMessage: 'ping',
      idleTimeout: true,
      shouldReconnect: () => true,
      closeTimeout: 0,
      urlPolicy: 'random',
      urlDelay: 10,
      handshake: () => undefined,
      maxQueuedMessages: 1,
      maxQueuedBytes: 1,
      lazyConnect: true,
    };
    for (const url of ['ws://127.0.0.1:1/', 'WSS://example.org/x', new URL('wss://example.org/')]) {
      const wsc = createWsConnback(url, valid);
      expect(wsc.connback.state).toBe('idle');
      wsc.end(true);
    }
    expect([...WS_CONNECTOR_OPTION_NAMES].sort()).toEqual(
      [
        'url',
        'protocols',
        'WebSocket',
        'wsOptions',
        'pingFrames',
        'pingMessage',
        'idleTimeout',
        'shouldReconnect',
        'closeTimeout',
        'urlPolicy',
        'urlDelay',
        'handshake',
      ].sort(),
    );
    const connector = new WsConnector({ url: 'ws://127.0.0.1:1/' });
    expect(connector.options.pingFrames).toBe(true);
    expect(connector.options.closeTimeout).toBe(2000);
    expect(connector.options.pingMessage).toBeUndefined();
    expect(connector.options.idleTimeout).toBe(false);
    expect(connector.options.shouldReconnect({ code: 1000, reason: '', wasClean: true })).toBe(
      true,
    );
    expect(connector.options.shouldReconnect({ code: 1008, reason: '', wasClean: true })).toBe(
      false,
    );
  });
});

describe('credentials in a URL never appear in an error message', () => {
  it('redactUrl (and redactText) of @connback/ws are core\'s: a password with a "/" is hidden too', () => {
    expect(wsRedactUrl).toBe(core.redactUrl);
    expect(wsRedactText).toBe(core.redactText);
    expect(wsRedactUrl('ws://bob:1234/5678@host/feed')).toBe('ws://***:***@host/feed');
  });

  it('ws://user:secret@127.0.0.1:<refused port>: no onerror or onfail message (causes included) contains the password', async () => {
    const port = await refusedPort();
    const wsc = createWsConnback(
      `ws://user:secret@${host}:${port}/`,
      quick({ initialDelay: 20, maxNumOfAttempts: 3 }),
    );
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.state === 'failed', 'the Connback to fail');
      expect(rec.codes()).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
      expect(clientSockets()).toHaveLength(3);
      const seen = [
        ...rec.errors.flatMap(({ error }) => messages(error)),
        ...rec.failures.flatMap(({ last, reason }) => [...messages(last), ...messages(reason)]),
      ];
      expect(seen.length).toBeGreaterThan(0);
      for (const message of seen) expect(message).not.toContain('secret');
    } finally {
      wsc.end(true);
    }
  });

  it('a WebSocket class whose own error text quotes the URL (message and cause): the error reaching onerror keeps its name and code but shows neither the password nor the raw URL', async () => {
    const url = `ws://user:p%40ss@${host}:1/feed`;
    /** Fails every socket at once the way a runtime might, quoting what it was given. */
    class QuotingWebSocket {
      readyState = 0;
      readonly #listeners = new Map<string, ((event: unknown) => void)[]>();
      constructor(given: string) {
        setTimeout(() => {
          this.readyState = 3;
          const cause = new Error(`connect ECONNREFUSED for ${given} (password p@ss)`);
          const error = Object.assign(new TypeError(`could not open ${given}`, { cause }), {
            code: 'E_QUOTED',
          });
          for (const listener of this.#listeners.get('error') ?? []) listener({ error });
        }, 0);
      }
      send(): void {}
      close(): void {
        this.readyState = 3;
      }
      addEventListener(type: string, listener: (event: unknown) => void): void {
        this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
      }
      removeEventListener(type: string, listener: (event: unknown) => void): void {
        this.#listeners.set(
          type,
          (this.#listeners.get(type) ?? []).filter((l) => l !== listener),
        );
      }
    }
    const wsc = createWsConnback(url, quick({ WebSocket: QuotingWebSocket, maxNumOfAttempts: 1 }));
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.state === 'failed', 'the Connback to fail');
      const error = rec.errors[0]?.error as Error & { code?: string };
      expect(error.name).toBe('TypeError');
      expect(error.code).toBe('E_QUOTED');
      expect(error.message).toContain('could not open ws://');
      const seen = messages(error);
      expect(seen.length).toBeGreaterThanOrEqual(4);
      for (const message of seen) {
        expect(message).not.toContain('p%40ss');
        expect(message).not.toContain('p@ss');
        expect(message).not.toContain(url);
      }
    } finally {
      wsc.end(true);
    }
  });

  it('a URL function returning an http:// URL with credentials: the attempt fails with CONNBACK_INVALID_OPTION, the Connback fails (retrying cannot help), and no message contains the password', async () => {
    let calls = 0;
    const wsc = createWsConnback(
      () => {
        calls += 1;
        return 'http://user:secret@127.0.0.1:1/';
      },
      quick({ initialDelay: 20 }),
    );
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.state === 'failed', 'the Connback to fail');
      expect(calls).toBe(1);
      expect(rec.codes()).toEqual([ErrorCode.InvalidOption]);
      expect(rec.failures[0]?.reason.code).toBe(ErrorCode.RetryDeclined);
      expect(rec.errors[0]?.error.message).toContain('"url"');
      expect(clientSockets()).toHaveLength(0);
      const seen = [
        ...rec.errors.flatMap(({ error }) => messages(error)),
        ...rec.failures.flatMap(({ last, reason }) => [...messages(last), ...messages(reason)]),
      ];
      for (const message of seen) expect(message).not.toContain('secret');
    } finally {
      wsc.end(true);
    }
  });

  it('thrown option errors never contain the password', () => {
    for (const make of [
      () => createWsConnback('http://user:secret@127.0.0.1:1/'),
      () => createWsConnback('ftp://user:secret@127.0.0.1:1/'),
      () => new WsConnector({ url: 'https://user:secret@127.0.0.1:1/' }),
      () =>
        createWsConnback('ws://user:secret@127.0.0.1:1/', {
          url: 'ws://user:secret@127.0.0.1:1/',
        } as WsConnbackOptions),
    ]) {
      const error = thrown(make);
      expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
      expect(error.message).not.toContain('secret');
    }
  });

  it('a ws:// URL with credentials that does not parse (a space in the host): neither a thrown error nor an onerror message contains the password', async () => {
    // Whether such a URL is refused at construction or fails each attempt, the password stays out.
    let wsc: WsConnback | undefined;
    try {
      wsc = createWsConnback('ws://user:secret@exa mple:1/', quick({ maxNumOfAttempts: 1 }));
    } catch (error) {
      for (const message of messages(error)) expect(message).not.toContain('secret');
      return;
    }
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.state === 'failed', 'the Connback to fail');
      expect(rec.errors).toHaveLength(1);
      const seen = [
        ...rec.errors.flatMap(({ error }) => messages(error)),
        ...rec.failures.flatMap(({ last, reason }) => [...messages(last), ...messages(reason)]),
      ];
      for (const message of seen) expect(message).not.toContain('secret');
    } finally {
      wsc.end(true);
    }
  });
});

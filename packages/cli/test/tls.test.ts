import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { waitFor } from '../../../test-support/wait.js';
import { makeCerts, removeCerts, type TestCerts } from './certs.js';
import { killStrays, runCli, runToEnd } from './run-cli.js';

afterEach(() => killStrays());

/** Fast reconnection, so that a test waits fractions of a second, not seconds. */
const FAST = ['--initial-delay', '50', '--max-delay', '200', '--jitter', 'none'];

let made: TestCerts | undefined;

beforeAll(() => {
  made = makeCerts();
});

afterAll(() => {
  removeCerts(made);
});

function certs(): TestCerts {
  if (made === undefined) throw new Error('the certificates were not made');
  return made;
}

interface TestServer {
  readonly port: number;
  /** TCP connections accepted: one per attempt. */
  connections(): number;
  /** Drops every connection (the client reconnects). */
  dropAll(): void;
  close(): Promise<void>;
}

/** Counts and closes the raw connections of a TLS or HTTPS server. */
async function serve(server: tls.Server | https.Server): Promise<TestServer> {
  const raw = new Set<net.Socket>();
  let accepted = 0;
  server.on('connection', (socket: net.Socket) => {
    accepted += 1;
    raw.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => raw.delete(socket));
  });
  // A client that refuses the certificate aborts the handshake: expected here.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => accepted,
    dropAll: () => {
      for (const socket of raw) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of raw) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TLS echo server with the certificate `cert` (a file of {@link TestCerts}). */
function tlsEcho(cert: string, key: string, options: tls.TlsOptions = {}): Promise<TestServer> {
  const c = certs();
  const server = tls.createServer({ cert: c.pem(cert), key: c.pem(key), ...options }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  return serve(server);
}

/** A wss:// echo server with the self-signed certificate. */
async function wssEcho(): Promise<TestServer> {
  const c = certs();
  const server = https.createServer({ cert: c.pem(c.serverCert), key: c.pem(c.serverKey) });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    socket.on('message', (data) => socket.send(String(data)));
  });
  const served = await serve(server);
  return {
    ...served,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await served.close();
    },
  };
}

/** Sends `hello` and waits for its echo, then ends the input: the session worked, exit 0. */
async function session(
  args: readonly string[],
): Promise<{ code: number | string; stderr: string }> {
  const run = runCli(args);
  run.child.stdin.write('hello\n');
  await run.waitForStdout('hello\n');
  run.child.stdin.end();
  return { code: await run.exitWithin(15_000), stderr: run.stderr() };
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('connback tls:// with a self-signed certificate', () => {
  it('is refused at the first attempt, without retrying: exit 1, one line with a hint naming --ca', async () => {
    const server = await tlsEcho(certs().serverCert, certs().serverKey);
    try {
      // Standard input stays open: the exit comes from the certificate error alone.
      const run = runCli([`tls://127.0.0.1:${server.port}`, ...FAST]);
      expect(await run.exitWithin(15_000)).toBe(1);
      expect(server.connections()).toBe(1);
      const lines = run.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^connback: giving up on tls:\/\/127\.0\.0\.1:\d+: DEPTH_ZERO_SELF_SIGNED_CERT/,
      );
      expect(lines[0]).toContain('--ca FILE');
      expect(lines[0]).toContain('--retry-cert-errors');
    } finally {
      await server.close();
    }
  });

  it('--ca with that certificate: the session works (exit 0)', async () => {
    const server = await tlsEcho(certs().serverCert, certs().serverKey);
    try {
      const run = await session([`tls://127.0.0.1:${server.port}`, '--ca', certs().serverCert]);
      expect(run.code).toBe(0);
      expect(run.stderr).not.toContain('warning');
    } finally {
      await server.close();
    }
  });

  it('-k: the session works, across a reconnect, and the warning is printed once', async () => {
    const server = await tlsEcho(certs().serverCert, certs().serverKey);
    try {
      const run = runCli([`tls://127.0.0.1:${server.port}`, '-k', ...FAST]);
      run.child.stdin.write('one\n');
      await run.waitForStdout('one\n');
      server.dropAll();
      await run.waitForStderr('reconnected to');
      run.child.stdin.write('two\n');
      await run.waitForStdout('two\n');
      run.child.stdin.end();
      expect(await run.exitWithin(15_000)).toBe(0);
      expect(occurrences(run.stderr(), 'warning: -k')).toBe(1);
      expect(run.stderr()).toContain('certificate is not verified');
    } finally {
      await server.close();
    }
  });

  it('--retry-cert-errors retries it like any error: the first one is told with the hint, then giving up after --max-attempts', async () => {
    const server = await tlsEcho(certs().serverCert, certs().serverKey);
    try {
      const url = `tls://127.0.0.1:${server.port}`;
      const run = runCli([url, '--retry-cert-errors', '--max-attempts', '3', ...FAST]);
      expect(await run.exitWithin(15_000)).toBe(1);
      expect(server.connections()).toBe(3);
      const lines = run.stderr().trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain(`cannot connect to ${url}: DEPTH_ZERO_SELF_SIGNED_CERT`);
      expect(lines[0]).toContain('--ca FILE');
      expect(lines[1]).toContain(`giving up: could not connect to ${url} in 3 attempts`);
    } finally {
      await server.close();
    }
  });
});

describe('connback tls://: --servername, --cert and --key', () => {
  it('a certificate for another name is final with a hint naming --servername; with --servername that name the session works', async () => {
    const server = await tlsEcho(certs().namedCert, certs().namedKey);
    try {
      const url = `tls://127.0.0.1:${server.port}`;
      const wrong = runCli([url, '--ca', certs().namedCert, ...FAST]);
      expect(await wrong.exitWithin(15_000)).toBe(1);
      expect(server.connections()).toBe(1);
      expect(wrong.stderr()).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(wrong.stderr()).toContain('--servername NAME');
      const right = await session([
        url,
        '--ca',
        certs().namedCert,
        '--servername',
        'connback.test',
      ]);
      expect(right.code).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('--cert and --key give the client certificate a server requires', async () => {
    const c = certs();
    const server = await tlsEcho(c.serverCert, c.serverKey, {
      requestCert: true,
      rejectUnauthorized: true,
      ca: c.pem(c.clientCa),
    });
    try {
      const url = `tls://127.0.0.1:${server.port}`;
      const run = await session([
        url,
        '--ca',
        c.serverCert,
        '--cert',
        c.clientCert,
        '--key',
        c.clientKey,
      ]);
      expect(run.code).toBe(0);
    } finally {
      await server.close();
    }
  });

  it.each([
    [(c: TestCerts) => ['--ca', c.notPem], 'not.pem: no PEM certificate in the file'],
    [(c: TestCerts) => ['--ca', c.serverKey], 'server.key: no PEM certificate in the file'],
    [
      (c: TestCerts) => ['--cert', c.clientCert, '--key', c.notPem],
      '--key',
      'not.pem: no PEM private key in the file',
    ],
    [
      (c: TestCerts) => ['--cert', c.clientCert, '--key', c.serverKey],
      "the key is not the certificate's",
    ],
    [
      (c: TestCerts) => ['--cert', c.clientCert, '--key', c.encryptedKey],
      'encrypted.key: the key is encrypted',
    ],
    [
      (c: TestCerts) => ['--key', c.clientKey, '--cert', `${c.dir}/missing.pem`],
      'missing.pem: cannot read the file (no such file)',
    ],
  ])(
    'a file that is no use is a usage error naming the flag and the path (%#)',
    async (flags, ...parts) => {
      const run = await runToEnd([...flags(certs()), 'tls://127.0.0.1:1']);
      expect(run.code).toBe(2);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      for (const part of parts) expect(lines[0]).toContain(part);
      expect(lines[0]).toMatch(/^connback: --(ca|cert|key) \//);
    },
  );
});

describe('connback wss:// with a self-signed certificate', () => {
  it('is refused at the first attempt with the hint; --ca makes the session work; -k too, with one warning', async () => {
    const server = await wssEcho();
    try {
      const url = `wss://127.0.0.1:${server.port}/feed`;
      const refused = runCli([url, ...FAST]);
      expect(await refused.exitWithin(15_000)).toBe(1);
      expect(server.connections()).toBe(1);
      const lines = refused.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(lines[0]).toContain('--ca FILE');

      const trusted = await session([url, '--ca', certs().serverCert]);
      expect(trusted.code).toBe(0);
      const insecure = await session([url, '--insecure']);
      expect(insecure.code).toBe(0);
      expect(occurrences(insecure.stderr, 'warning: -k')).toBe(1);
      await waitFor(() => server.connections() === 3, 'three connections in all');
    } finally {
      await server.close();
    }
  });
});

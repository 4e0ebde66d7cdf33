import type net from 'node:net';
import tls from 'node:tls';
import { ErrorCode } from '@connback/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTcpConnback } from '../src/index.js';
import { makeCerts, removeCerts, type TestCerts } from './support/certs.js';
import { occurrences, received, record } from './support/recorder.js';
import { startServer, waitFor } from './support/servers.js';

const host = '127.0.0.1';
const SLACK = 150;

let certs: TestCerts | undefined;

beforeAll(() => {
  certs = makeCerts();
});

afterAll(() => {
  removeCerts(certs);
});

function pem(): TestCerts {
  if (certs === undefined) throw new Error('the certificates were not made');
  return certs;
}

/** A TLS echo server on loopback; `close()` destroys every connection, handshaken or not. */
async function startTlsServer() {
  const { key, cert } = pem();
  const raw = new Set<net.Socket>();
  const secured: tls.TLSSocket[] = [];
  const clientErrors: Error[] = [];
  const server = tls.createServer({ key, cert }, (socket) => {
    secured.push(socket);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.on('connection', (socket: net.Socket) => {
    raw.add(socket);
    socket.once('close', () => raw.delete(socket));
  });
  server.on('tlsClientError', (error) => clientErrors.push(error));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    /** Connections that completed the handshake. */
    secured,
    /** TCP connections still open (a client that gave up closes its own). */
    raw,
    clientErrors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of raw) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('TLS', () => {
  it('verifies the server against the given CA (verification on by default), connects and exchanges data', async () => {
    const server = await startTlsServer();
    const cb = createTcpConnback({
      host,
      port: server.port,
      tls: { ca: pem().ca },
      keepalive: 0.2,
      ping: 'p\n',
    });
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the TLS connect');
      const socket = rec.clients[0] as tls.TLSSocket;
      expect(socket).toBeInstanceOf(tls.TLSSocket);
      expect(socket.authorized).toBe(true);
      expect(socket.getPeerCertificate().subject.CN).toBe('localhost');
      const reply = received(socket);
      socket.write('secret\n');
      await waitFor(() => reply.text().includes('secret\n'), 'the echo');
      // Decrypted data is the heartbeat: pings answered over TLS keep the connection past 2 × K.
      await waitFor(() => occurrences(reply.text(), 'p\n') >= 3, 'three pings answered');
      expect(rec.events()).toEqual(['connect']);
      expect(server.secured).toHaveLength(1);
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('createTcpConnback(`tls://host:port`, { tls: { ca } }) is TLS with those options, verified; a list of tls:// URLs is a TLS pool', async () => {
    const server = await startTlsServer();
    const url = `tls://${host}:${server.port}`;
    try {
      for (const cb of [
        createTcpConnback(url, { tls: { ca: pem().ca }, keepalive: 0 }),
        createTcpConnback({ url: [url], tls: { ca: pem().ca }, keepalive: 0 }),
      ]) {
        try {
          const socket = (await cb.ready()) as tls.TLSSocket;
          expect(socket).toBeInstanceOf(tls.TLSSocket);
          expect(socket.authorized).toBe(true);
          const reply = received(socket);
          socket.write('over tls://\n');
          await waitFor(() => reply.text() === 'over tls://\n', 'the echo');
        } finally {
          cb.end(true);
        }
      }
      expect(server.secured).toHaveLength(2);
      // Without the CA, tls:// still verifies: the self-signed chain is refused.
      const unverified = createTcpConnback(url, { keepalive: 0, maxNumOfAttempts: 1 });
      const rec = record(unverified);
      await waitFor(() => unverified.state === 'failed', 'the unverified attempt to fail');
      expect(rec.codes()).toEqual(['UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
      unverified.end(true);
    } finally {
      await server.close();
    }
  });

  it('a server certificate from another CA fails every attempt with UNABLE_TO_VERIFY_LEAF_SIGNATURE, then fails after maxNumOfAttempts 3 (row 30)', async () => {
    const server = await startTlsServer();
    const cb = createTcpConnback({
      host,
      port: server.port,
      tls: { ca: pem().otherCa },
      jitter: 'none',
      initialDelay: 30,
      maxNumOfAttempts: 3,
    });
    const rec = record(cb);
    try {
      await waitFor(() => cb.state === 'failed', 'the Connback to fail');
      expect(rec.codes()).toEqual(Array(3).fill('UNABLE_TO_VERIFY_LEAF_SIGNATURE'));
      expect(rec.count('offline')).toBe(1);
      expect(rec.count(`fail:${ErrorCode.AttemptsExhausted}`)).toBe(1);
      expect(rec.count('connect')).toBe(0);
      expect(server.secured).toHaveLength(0);
      // Every refused TLS socket was closed by the client.
      await waitFor(() => server.raw.size === 0, 'the server to see every client gone');
    } finally {
      cb.end(true);
      await server.close();
    }
  });

  it('tls: true verifies against the system CAs: a private CA is refused; rejectUnauthorized: false opts out', async () => {
    const server = await startTlsServer();
    const strict = createTcpConnback({ host, port: server.port, tls: true, maxNumOfAttempts: 1 });
    const strictRec = record(strict);
    const lax = createTcpConnback({
      host,
      port: server.port,
      tls: { rejectUnauthorized: false },
    });
    const laxRec = record(lax);
    try {
      await waitFor(() => strict.state === 'failed', 'the strict Connback to fail');
      expect(strictRec.codes()).toEqual(['UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
      await waitFor(() => lax.connected, 'the unverified connect');
      expect((laxRec.clients[0] as tls.TLSSocket).authorized).toBe(false);
      expect(laxRec.errors).toEqual([]);
    } finally {
      strict.end(true);
      lax.end(true);
      await server.close();
    }
  });

  it('a server that accepts TCP and never answers the handshake: each attempt fails with CONNBACK_CONNECT_TIMEOUT at connectTimeout (row 4)', async () => {
    const CT = 300;
    const acceptedAt: number[] = [];
    // Reads (and ignores) the ClientHello, so that the client's FIN is seen.
    const server = await startServer((socket) => {
      acceptedAt.push(performance.now());
      socket.resume();
    });
    const cb = createTcpConnback({
      host,
      port: server.port,
      tls: { ca: pem().ca },
      connectTimeout: CT,
      jitter: 'none',
      initialDelay: 50,
      maxNumOfAttempts: 2,
    });
    const rec = record(cb);
    try {
      await waitFor(() => cb.state === 'failed', 'the Connback to fail');
      expect(rec.codes()).toEqual([ErrorCode.ConnectTimeout, ErrorCode.ConnectTimeout]);
      expect(rec.count('connect')).toBe(0);
      expect(acceptedAt).toHaveLength(2);
      acceptedAt.forEach((at, i) => {
        // The TCP connect took ~1 ms of the budget; the handshake wait used the rest.
        const failedAfter = (rec.errors[i]?.at as number) - at;
        expect(failedAfter).toBeGreaterThanOrEqual(CT - 20);
        expect(failedAfter).toBeLessThanOrEqual(CT + SLACK);
      });
      // The timed-out TLS sockets were destroyed, not left handshaking.
      await waitFor(() => server.open.size === 0, 'the server to see both clients gone');
    } finally {
      cb.end(true);
      await server.close();
    }
  });
});

import net from 'node:net';
import { ErrorCode } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { recordFigure } from '../../../test-support/figures.js';
import { createTcpConnback } from '../src/index.js';
import { codeOf, received, record, watchOverlap } from './support/recorder.js';
import { type ChildServer, refusedPort, startChildServer, waitFor } from './support/servers.js';
import { clientSockets, type LedgerEntry, maxOpenAtOnce } from './support/setup.js';

const host = '127.0.0.1';
/** Keepalive of these tests, in seconds and in ms. */
const K = 0.2;
const K_MS = K * 1000;
/** Timer lateness reached 17 ms under load on these 2-core machines: leave plenty. */
const SLACK = 150;

/** Active resources by kind (timers, sockets...), to see that nothing is left running. */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

function noneAbove(baseline: Map<string, number>): boolean {
  for (const [name, count] of resources()) if (count > (baseline.get(name) ?? 0)) return false;
  return true;
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] as number));
}

describe('connection refused (rows 1, 31)', () => {
  it('fails every attempt with ECONNREFUSED, fires onoffline once, and backs off with the exact delays of jitter none', async () => {
    const port = await refusedPort();
    const cb = createTcpConnback({
      host,
      port,
      jitter: 'none',
      strategy: 'exponential',
      initialDelay: 50,
      maxDelay: 1000,
    });
    const rec = record(cb);
    try {
      await waitFor(() => rec.errors.length >= 4, 'four failed attempts');
      cb.end();
      expect(rec.codes().slice(0, 4)).toEqual(Array(4).fill('ECONNREFUSED'));
      expect(rec.events().slice(0, 8)).toEqual([
        'error:ECONNREFUSED',
        'offline',
        'reconnect',
        'error:ECONNREFUSED',
        'reconnect',
        'error:ECONNREFUSED',
        'reconnect',
        'error:ECONNREFUSED',
      ]);
      expect(rec.count('offline')).toBe(1);
      expect(rec.count('connect')).toBe(0);
      const starts = clientSockets().map((entry) => entry.openedAt);
      expect(starts).toHaveLength(4);
      const waited = gaps(starts);
      [50, 100, 200].forEach((delay, i) => {
        expect(waited[i]).toBeGreaterThanOrEqual(delay - 2);
        expect(waited[i]).toBeLessThanOrEqual(delay + SLACK);
      });
      expect(clientSockets().every((entry) => entry.socket.destroyed)).toBe(true);
    } finally {
      cb.end(true);
    }
  });

  it('with maxNumOfAttempts 3: three ECONNREFUSED errors, onfail once, state failed, no socket open and no timer left', async () => {
    const port = await refusedPort();
    const before = resources();
    const cb = createTcpConnback({
      host,
      port,
      jitter: 'none',
      initialDelay: 30,
      maxNumOfAttempts: 3,
    });
    const rec = record(cb);
    const failures: { last: Error; reason: Error }[] = [];
    cb.onfail((last, reason) => failures.push({ last, reason }));
    try {
      await waitFor(() => cb.state === 'failed', 'the Connback to fail');
      expect(rec.events()).toEqual([
        'error:ECONNREFUSED',
        'offline',
        'reconnect',
        'error:ECONNREFUSED',
        'reconnect',
        'error:ECONNREFUSED',
        `fail:${ErrorCode.AttemptsExhausted}`,
      ]);
      expect(failures).toHaveLength(1);
      expect(codeOf(failures[0]?.last)).toBe('ECONNREFUSED');
      expect(codeOf(failures[0]?.reason)).toBe(ErrorCode.AttemptsExhausted);
      expect(cb.stats.attempts).toBe(3);
      expect(clientSockets()).toHaveLength(3);
      expect(clientSockets().every((entry) => entry.socket.destroyed)).toBe(true);
      // No backoff timer, no socket: the process holds what it held before the Connback.
      await waitFor(() => noneAbove(before), 'resources back to what they were', 1000);
      expect(cb.client).toBeUndefined();
      expect(rec.count('fail:CONNBACK_ATTEMPTS_EXHAUSTED')).toBe(1);
    } finally {
      cb.end(true);
    }
  });
});

describe('DNS failure (row 2)', () => {
  it('a lookup failing with ENOTFOUND fails each attempt with that error, without a crash', async () => {
    const looked: string[] = [];
    const lookup: net.LookupFunction = (hostname, _options, callback) => {
      looked.push(hostname);
      const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: 'ENOTFOUND',
        syscall: 'getaddrinfo',
        hostname,
      });
      process.nextTick(() => callback(error, []));
    };
    const cb = createTcpConnback({
      host: 'db.connback.invalid',
      port: 5432,
      lookup,
      jitter: 'none',
      initialDelay: 30,
      maxNumOfAttempts: 3,
    });
    const rec = record(cb);
    try {
      await waitFor(() => cb.state === 'failed', 'the Connback to fail');
      expect(rec.codes()).toEqual(['ENOTFOUND', 'ENOTFOUND', 'ENOTFOUND']);
      expect(rec.errors[0]?.error.message).toContain('db.connback.invalid');
      expect(looked).toEqual(Array(3).fill('db.connback.invalid'));
      expect(rec.count('offline')).toBe(1);
      expect(rec.count(`fail:${ErrorCode.AttemptsExhausted}`)).toBe(1);
      expect(clientSockets().every((entry) => entry.socket.destroyed)).toBe(true);
    } finally {
      cb.end(true);
    }
  });
});

/**
 * Fills the accept queue of a frozen listener: connects until one connect hangs (Linux drops
 * SYNs once the queue is full). Returns the sockets it made, the connected fillers first.
 */
async function fillAcceptQueue(port: number): Promise<net.Socket[]> {
  const made: net.Socket[] = [];
  for (let i = 0; i < 16; i += 1) {
    const socket = net.connect(port, host);
    socket.on('error', () => {});
    made.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 250);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) {
      socket.destroy();
      return made;
    }
  }
  for (const socket of made) socket.destroy();
  throw new Error('16 connects to a frozen listener all succeeded: could not make a connect hang');
}

describe('connect hangs (row 3)', () => {
  it('against a listener whose accept queue is full, each attempt fails with CONNBACK_CONNECT_TIMEOUT at connectTimeout, one attempt at a time', async () => {
    const CT = 300;
    const DELAY = 100;
    const child = await startChildServer(0, 1);
    let fillers: net.Socket[] = [];
    const cb = createTcpConnback({
      host,
      port: child.port,
      connectTimeout: CT,
      jitter: 'none',
      initialDelay: DELAY,
      maxDelay: DELAY,
      lazyConnect: true,
    });
    const rec = record(cb);
    try {
      child.child.kill('SIGSTOP');
      fillers = await fillAcceptQueue(child.port);
      const ours = (entry: LedgerEntry) => !fillers.includes(entry.socket);
      cb.start();
      await waitFor(() => rec.errors.length >= 3, 'three timed-out attempts', 5000);
      cb.end(true);
      expect(rec.codes().slice(0, 3)).toEqual(Array(3).fill(ErrorCode.ConnectTimeout));
      expect(rec.count('connect')).toBe(0);
      expect(rec.count('offline')).toBe(1);
      // 'close' follows destroy() by a tick or so.
      await waitFor(
        () =>
          clientSockets()
            .filter(ours)
            .every((entry) => entry.closedAt !== undefined),
        'every attempt socket closed',
      );
      const attempts = clientSockets().filter(ours).slice(0, 3);
      attempts.forEach((entry, i) => {
        const failedAfter = (rec.errors[i]?.at as number) - entry.openedAt;
        expect(failedAfter).toBeGreaterThanOrEqual(CT - 5);
        expect(failedAfter).toBeLessThanOrEqual(CT + SLACK);
        expect((entry.closedAt ?? Number.POSITIVE_INFINITY) - entry.openedAt).toBeLessThan(
          CT + SLACK,
        );
      });
      for (const waited of gaps(attempts.map((entry) => entry.openedAt))) {
        expect(waited).toBeGreaterThanOrEqual(CT + DELAY - 5);
      }
      expect(maxOpenAtOnce(ours)).toBe(1);
    } finally {
      cb.end(true);
      for (const socket of fillers) socket.destroy();
      await child.kill();
    }
  });

  it('reconnect() during a hanging connect destroys the connecting socket before the next attempt; end() destroys the one still connecting: no onconnect, no error, onend once (rows 18, 21)', async () => {
    const child = await startChildServer(0, 1);
    let fillers: net.Socket[] = [];
    const cb = createTcpConnback({
      host,
      port: child.port,
      connectTimeout: 5000,
      lazyConnect: true,
    });
    const rec = record(cb);
    let overlap: ReturnType<typeof watchOverlap> | undefined;
    try {
      child.child.kill('SIGSTOP');
      fillers = await fillAcceptQueue(child.port);
      const ours = (entry: LedgerEntry) => !fillers.includes(entry.socket);
      overlap = watchOverlap((socket) => !fillers.includes(socket));
      cb.start();
      expect(clientSockets().filter(ours)).toHaveLength(1);
      const first = clientSockets().filter(ours)[0]?.socket as net.Socket;
      expect(first.connecting).toBe(true);
      const replaced = cb.reconnect();
      expect(first.destroyed).toBe(true);
      expect(clientSockets().filter(ours)).toHaveLength(2);
      const second = clientSockets().filter(ours)[1]?.socket as net.Socket;
      expect(second.connecting).toBe(true);
      expect(cb.state).toBe('connecting');
      cb.end();
      expect(second.destroyed).toBe(true);
      await expect(replaced).rejects.toMatchObject({ code: ErrorCode.Ended });
      expect(rec.events()).toEqual(['reconnect', 'end']);
      expect(clientSockets().filter(ours)).toHaveLength(2);
      // The replaced socket was destroyed before the next one was created (its 'close' event,
      // which the ledger's maxOpenAtOnce waits for, comes a tick later).
      expect(overlap.max()).toBe(1);
    } finally {
      overlap?.stop();
      cb.end(true);
      for (const socket of fillers) socket.destroy();
      await child.kill();
    }
  });
});

describe('half-open peer (row 7, R3)', () => {
  it('a frozen server (SIGSTOP) is detected by the keepalive within 2 × keepalive + 250 ms, in each of 5 trials, then the client reconnects', async () => {
    const child = await startChildServer();
    const cb = createTcpConnback({
      host,
      port: child.port,
      keepalive: K,
      ping: 'p\n',
      connectTimeout: 500,
      jitter: 'none',
      initialDelay: 50,
      maxDelay: 50,
      delayFirstAttempt: true,
    });
    const rec = record(cb);
    const detections: number[] = [];
    try {
      for (let trial = 0; trial < 5; trial += 1) {
        await waitFor(() => cb.connected, `connection ${trial + 1}`);
        const socket = cb.client as net.Socket;
        const echoes = received(socket);
        await waitFor(() => echoes.text().includes('p\n'), 'a ping answered');
        // Freeze at a different point of the ping cycle in each trial.
        const answeredAt = performance.now();
        await waitFor(() => performance.now() - answeredAt >= trial * 40, 'the phase offset');
        expect(cb.client).toBe(socket);
        const errorsBefore = rec.errors.length;
        child.child.kill('SIGSTOP');
        const stoppedAt = performance.now();
        try {
          await waitFor(() => rec.errors.length > errorsBefore, 'the keepalive timeout', 3000);
        } finally {
          child.child.kill('SIGCONT');
        }
        const detected = rec.errors[errorsBefore];
        expect(codeOf(detected?.error)).toBe(ErrorCode.KeepaliveTimeout);
        const took = (detected?.at as number) - stoppedAt;
        detections.push(took);
        expect(took).toBeLessThanOrEqual(2 * K_MS + 250);
      }
      await waitFor(() => cb.connected, 'the last reconnect');
      recordFigure(
        'R3',
        'half-open detection on loopback: TCP, server frozen by SIGSTOP, keepalive 0.2 s (bound 650 ms)',
        detections,
        'ms',
      );
      expect(rec.codes()).toEqual(Array(5).fill(ErrorCode.KeepaliveTimeout));
      expect(rec.count('connect')).toBe(6);
      expect(rec.count('close(true)')).toBe(5);
      expect(rec.count('end')).toBe(0);
      expect(maxOpenAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await child.kill();
    }
  });
});

describe('server restart (row 8, R4)', () => {
  it('SIGKILL and a new server on the same port: the client reconnects within the backoff delay + 100 ms of the port coming back, one client at a time', async () => {
    const DELAY = 200;
    let server: ChildServer = await startChildServer();
    const port = server.port;
    const cb = createTcpConnback({
      host,
      port,
      keepalive: K,
      ping: 'p\n',
      connectTimeout: 500,
      jitter: 'none',
      initialDelay: DELAY,
      maxDelay: DELAY,
      delayFirstAttempt: true,
    });
    const rec = record(cb);
    const upper: number[] = [];
    const lower: number[] = [];
    try {
      for (let restart = 1; restart <= 3; restart += 1) {
        await waitFor(() => cb.connected, `connection ${restart}`);
        const socket = cb.client as net.Socket;
        const echoes = received(socket);
        socket.write('hello\n');
        await waitFor(() => echoes.text().includes('hello\n'), 'the echo');
        const errorsBefore = rec.errors.length;
        const refusals = () =>
          rec.errors.slice(errorsBefore).filter((e) => codeOf(e.error) === 'ECONNREFUSED');
        await server.kill();
        await waitFor(() => refusals().length >= 2, 'two refused attempts');
        const connectsBefore = rec.clients.length;
        server = await startChildServer(port);
        const listeningSeenAt = performance.now();
        await waitFor(() => rec.clients.length > connectsBefore, 'the reconnect', 3000);
        const connectedAt = rec.lastAt('connect');
        const lastRefusal = refusals().at(-1)?.at as number;
        // The port came back after the last refusal, and before the parent read "listening".
        upper.push(connectedAt - lastRefusal);
        lower.push(connectedAt - listeningSeenAt);
        expect(connectedAt - lastRefusal).toBeLessThanOrEqual(DELAY + 100 + 100);
        // Only refusals, or the drop itself, in between.
        for (const { error } of rec.errors.slice(errorsBefore)) {
          expect(['ECONNREFUSED', 'ECONNRESET']).toContain(codeOf(error));
        }
        const again = received(cb.client as net.Socket);
        (cb.client as net.Socket).write('back\n');
        await waitFor(() => again.text() === 'back\n', 'the echo from the new server');
      }
      recordFigure(
        'R4',
        'recovery after a TCP server restart, from the port being back (backoff delay 200 ms; bound 300 ms)',
        lower,
        'ms',
      );
      expect(rec.count('connect')).toBe(4);
      expect(rec.count('close(true)') + rec.count('close(false)')).toBe(3);
      expect(rec.count('offline')).toBe(3);
      expect(clientSockets().filter((entry) => !entry.socket.destroyed)).toHaveLength(1);
      expect(maxOpenAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await server.kill();
    }
  });
});

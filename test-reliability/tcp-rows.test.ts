import type net from 'node:net';
import { ChaosProxy, seededRandom } from '@connback/chaos';
import { ErrorCode } from '@connback/core';
import { createTcpConnback, type TcpConnbackOptions } from '@connback/tcp';
import { describe, expect, it } from 'vitest';
import {
  CT,
  codeOf,
  connbackSockets,
  dataTimes,
  figure,
  gaps,
  grammarViolations,
  holdsFor,
  host,
  INITIAL_DELAY,
  K,
  K_MS,
  MAX_DELAY,
  maxClientsAtOnce,
  now,
  receivedText,
  record,
  SLACK,
  sleep,
  startTcpServer,
  type TcpServer,
  waitFor,
  within,
} from './support.js';

/**
 * RELIABILITY.md rows on loopback, through the chaos proxy, with createTcpConnback: keepalive
 * 0.2 s answered by an echo server (`ping: 'p'`), connectTimeout 300 ms, backoff 50..200 ms
 * without jitter (fibonacci: 50, 50, 100, 150, 200, 200...).
 */
function options(port: number, more: Partial<TcpConnbackOptions> = {}): TcpConnbackOptions {
  return {
    host,
    port,
    keepalive: K,
    ping: 'p',
    connectTimeout: CT,
    jitter: 'none',
    initialDelay: INITIAL_DELAY,
    maxDelay: MAX_DELAY,
    closeTimeout: 500,
    ...more,
  };
}

/** An echo server with the proxy in front of it. */
async function rig(
  onConnection?: (socket: net.Socket) => void,
): Promise<{ server: TcpServer; proxy: ChaosProxy; close(): Promise<void> }> {
  const server = await startTcpServer(onConnection);
  const proxy = await ChaosProxy.start({ upstream: server.port });
  return {
    server,
    proxy,
    close: async () => {
      await within(proxy.close(), 5000, 'the proxy to close');
      await within(server.close(), 5000, 'the server to close');
    },
  };
}

describe('tcp through the chaos proxy', () => {
  it('connection refused (row 1): with the proxy down every attempt fails with ECONNREFUSED, onoffline fires once, attempts back off 50, 50, 100, 150, 200 ms, and the client connects within the delay in force + 100 ms of the proxy coming up', async () => {
    const { proxy, close } = await rig();
    await proxy.down();
    const cb = createTcpConnback(options(proxy.port));
    const rec = record(cb);
    try {
      await waitFor(() => rec.errors.length >= 6, 'six refused attempts');
      expect(rec.codes().slice(0, 6)).toEqual(Array(6).fill('ECONNREFUSED'));
      expect(rec.count('offline')).toBe(1);
      expect(rec.count('connect')).toBe(0);
      const waited = gaps(connbackSockets().map((entry) => entry.openedAt));
      [50, 50, 100, 150, 200].forEach((delay, i) => {
        expect(waited[i]).toBeGreaterThanOrEqual(delay - 2);
        expect(waited[i]).toBeLessThanOrEqual(delay + SLACK);
      });
      await proxy.up();
      const upAt = now();
      const inForce = cb.stats.nextDelay ?? MAX_DELAY;
      await waitFor(() => cb.connected, 'the connection once the proxy is up', 2000);
      expect(rec.lastAt('connect') - upAt).toBeLessThanOrEqual(inForce + 100);
      expect(rec.count('offline')).toBe(1);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('connect hangs (row 3, tcp: a note): the proxy cannot make a TCP connect hang (its listener completes the handshake), so with a blackhole in force before connecting the connect succeeds and the keepalive closes the silent connection within 2 × keepalive + 250 ms; the hanging connect itself is covered in packages/tcp with a full accept backlog', async () => {
    const { proxy, close } = await rig();
    proxy.blackhole();
    const cb = createTcpConnback(options(proxy.port));
    const rec = record(cb);
    try {
      await waitFor(() => rec.errors.length >= 2, 'two keepalive timeouts', 3000);
      expect(rec.codes().slice(0, 2)).toEqual(Array(2).fill(ErrorCode.KeepaliveTimeout));
      const connects = rec.times('connect');
      rec.errors.slice(0, 2).forEach(({ at }, i) => {
        const silentFor = at - (connects[i] as number);
        // Opening counts as a heartbeat: a ping at K, dead at 2K.
        expect(silentFor).toBeGreaterThanOrEqual(2 * K_MS - 20);
        expect(silentFor).toBeLessThanOrEqual(2 * K_MS + 250);
      });
      expect(rec.codes()).not.toContain(ErrorCode.ConnectTimeout);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('reset mid-stream (row 5): a resetPeer toxic resets each connection 100 ms after it opens; each reset gives exactly one error (ECONNRESET), one onclose(true) and one reconnect, and once the toxic is removed the connection stays up', async () => {
    const { proxy, close } = await rig();
    const cb = createTcpConnback(options(proxy.port));
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the connection');
      const reset = proxy.resetPeer(100);
      await waitFor(() => rec.count('close(true)') >= 4, 'four resets', 5000);
      reset.remove();
      await waitFor(() => cb.connected, 'the connection after the last reset');
      const drops = rec.count('close(true)');
      await holdsFor(
        () => cb.connected && rec.count('close(true)') === drops,
        'the connection after the toxic is removed',
        3 * K_MS,
      );
      // Each reset: error, close, offline (a new outage: the client had connected), one attempt.
      const oneReset = 'error:ECONNRESET,close\\(true\\),offline,reconnect,connect';
      expect(rec.events().join(',')).toMatch(new RegExp(`^connect(,${oneReset}){${drops}}$`));
      expect(rec.count('close(false)')).toBe(0);
      // One socket per attempt, one attempt per reset: no duplicate reconnect.
      expect(connbackSockets()).toHaveLength(drops + 1);
      expect(cb.stats.drops).toBe(drops);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('graceful remote close (row 6): dropAll closes the client side with a FIN, which the client sees as a clean close: onclose(false), no error, and a reconnect after the backoff delay (100 ms); the server ending its side through the proxy does the same', async () => {
    const DELAY = 100;
    const { server, proxy, close } = await rig();
    const cb = createTcpConnback(
      options(proxy.port, {
        initialDelay: DELAY,
        maxDelay: DELAY,
        delayFirstAttempt: true,
        minUptime: 100,
      }),
    );
    const rec = record(cb);
    const text = receivedText(cb);
    try {
      for (const how of ['dropAll', 'server end'] as const) {
        await waitFor(() => cb.connected && text(cb.client).includes('p'), 'a ping echoed');
        // Past minUptime: the drop starts a fresh outage, with its first (delayed) attempt.
        const before = rec.log.length;
        if (how === 'dropAll') proxy.dropAll();
        else for (const socket of server.open) socket.end();
        await waitFor(() => rec.log.length >= before + 4 && cb.connected, `the reconnect (${how})`);
        const log = rec.log.slice(before);
        expect(log.map((e) => e.name)).toEqual(['close(false)', 'offline', 'reconnect', 'connect']);
        const waited = (log[2]?.at as number) - (log[0]?.at as number);
        expect(waited).toBeGreaterThanOrEqual(DELAY - 2);
        expect(waited).toBeLessThanOrEqual(DELAY + SLACK);
      }
      expect(rec.errors).toEqual([]);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('half-open / blackhole (row 7, R3): a blackhole at a different point of the ping cycle in each of 20 trials is detected with CONNBACK_KEEPALIVE_TIMEOUT within 2 × keepalive + 250 ms, and the client is connected and echoing again once the blackhole is removed', async () => {
    const TRIALS = 20;
    const { proxy, close } = await rig();
    const cb = createTcpConnback(options(proxy.port));
    const rec = record(cb);
    const arrivals = dataTimes(cb);
    const detections: number[] = [];
    const recoveries: number[] = [];
    try {
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const since = now();
        await waitFor(
          () => cb.connected && arrivals(cb.client).some((t) => t > since),
          `trial ${trial + 1}: an echo`,
          3000,
        );
        const echoedAt = arrivals(cb.client).at(-1) as number;
        const offset = (trial * K_MS) / TRIALS;
        await waitFor(() => now() - echoedAt >= offset, 'the phase offset');
        const errorsBefore = rec.errors.length;
        const hole = proxy.blackhole();
        const holeAt = now();
        await waitFor(() => rec.errors.length > errorsBefore, 'the keepalive timeout', 3000);
        const detected = rec.errors[errorsBefore] as { at: number; error: Error };
        expect(codeOf(detected.error)).toBe(ErrorCode.KeepaliveTimeout);
        const took = detected.at - holeAt;
        detections.push(took);
        // A ping sent just before the blackhole whose echo it swallowed: dead K after that ping.
        expect(took).toBeGreaterThanOrEqual(K_MS - 100);
        expect(took).toBeLessThanOrEqual(2 * K_MS + 250);
        hole.remove();
        const removedAt = now();
        await waitFor(
          () => cb.connected && arrivals(cb.client).some((t) => t > removedAt),
          'connected and echoing again',
          3000,
        );
        recoveries.push(now() - removedAt);
      }
      figure('R3', 'tcp half-open (proxy blackhole) detection, bound 650 ms', detections, 'ms');
      figure(
        'R3',
        'tcp connected and echoing again after the blackhole is removed',
        recoveries,
        'ms',
      );
      // Only keepalive timeouts: a connection made while the blackhole was in force died too.
      expect(new Set(rec.codes())).toEqual(new Set([ErrorCode.KeepaliveTimeout]));
      expect(rec.count('end')).toBe(0);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('server restart (row 8, R4): down + dropAll, then up, three times: the client reconnects within the backoff delay in force + 100 ms of the port coming back, one client socket at a time', async () => {
    const { proxy, close } = await rig();
    const cb = createTcpConnback(options(proxy.port));
    const rec = record(cb);
    const text = receivedText(cb);
    const recoveries: number[] = [];
    try {
      for (let restart = 1; restart <= 3; restart += 1) {
        await waitFor(() => cb.connected, `connection ${restart}`);
        const socket = cb.client as net.Socket;
        socket.write('hello\n');
        await waitFor(() => text(socket).includes('hello\n'), 'the echo');
        const errorsBefore = rec.errors.length;
        const refusals = () =>
          rec.errors.slice(errorsBefore).filter((e) => codeOf(e.error) === 'ECONNREFUSED');
        const downed = proxy.down();
        proxy.dropAll();
        await within(downed, 3000, 'the proxy to stop listening');
        await waitFor(() => refusals().length >= 3, 'three refused attempts', 3000);
        const connectsBefore = rec.count('connect');
        await proxy.up();
        const upAt = now();
        // jitter none: the wait in progress, or (an attempt in flight) at most maxDelay.
        const inForce = cb.stats.nextDelay ?? MAX_DELAY;
        await waitFor(() => rec.count('connect') > connectsBefore, 'the reconnect', 3000);
        const took = rec.lastAt('connect') - upAt;
        recoveries.push(took);
        expect(took).toBeLessThanOrEqual(inForce + 100);
        for (const { error } of rec.errors.slice(errorsBefore)) {
          expect(codeOf(error)).toBe('ECONNREFUSED');
        }
      }
      figure(
        'R4',
        'tcp recovery after a proxy restart, from up() (bound: delay in force + 100 ms)',
        recoveries,
        'ms',
      );
      expect(rec.count('connect')).toBe(4);
      expect(rec.count('close(false)')).toBe(3);
      expect(rec.count('offline')).toBe(3);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('slow close (row 9): with slowClose(1000) end() returns at once with onend once while the FIN crawls through the proxy; end(true) destroys the socket at once; a graceful close slower than closeTimeout is cut short by it', async () => {
    const { proxy, close } = await rig();
    proxy.slowClose(1000);
    const graceful = createTcpConnback(options(proxy.port, { closeTimeout: 5000 }));
    const forced = createTcpConnback(options(proxy.port));
    const bounded = createTcpConnback(options(proxy.port, { closeTimeout: 300 }));
    const recs = [graceful, forced, bounded].map((cb) => record(cb));
    try {
      await waitFor(
        () => graceful.connected && forced.connected && bounded.connected,
        'three connections',
      );
      const closedAt = new Map<net.Socket, number>();
      const sockets = [graceful, forced, bounded].map((cb) => cb.client as net.Socket);
      for (const socket of sockets) socket.once('close', () => closedAt.set(socket, now()));
      const [gracefulSocket, forcedSocket, boundedSocket] = sockets as [
        net.Socket,
        net.Socket,
        net.Socket,
      ];

      let t0 = now();
      graceful.end();
      expect(now() - t0).toBeLessThan(50);
      expect(graceful.state).toBe('ended');
      expect(recs[0]?.events()).toEqual(['connect', 'close(false)', 'end']);
      // Ending, not destroyed: our FIN waits 1 s in the proxy, then the server's FIN 1 s more.
      expect(gracefulSocket.destroyed).toBe(false);
      expect(gracefulSocket.writableEnded).toBe(true);
      await waitFor(() => closedAt.has(gracefulSocket), 'the graceful close', 4000);
      const gracefulTook = (closedAt.get(gracefulSocket) as number) - t0;
      expect(gracefulTook).toBeGreaterThanOrEqual(1000 - 5);
      expect(gracefulTook).toBeLessThanOrEqual(2000 + 500);
      graceful.end();
      expect(recs[0]?.count('end')).toBe(1);

      t0 = now();
      forced.end(true);
      expect(now() - t0).toBeLessThan(50);
      expect(forcedSocket.destroyed).toBe(true);
      expect(recs[1]?.events()).toEqual(['connect', 'close(false)', 'end']);

      t0 = now();
      bounded.end();
      expect(boundedSocket.destroyed).toBe(false);
      await waitFor(() => closedAt.has(boundedSocket), 'the close cut short', 2000);
      const boundedTook = (closedAt.get(boundedSocket) as number) - t0;
      expect(boundedTook).toBeGreaterThanOrEqual(300 - 5);
      expect(boundedTook).toBeLessThanOrEqual(300 + SLACK);
      expect(recs[2]?.events()).toEqual(['connect', 'close(false)', 'end']);
      figure(
        'row 9',
        'tcp graceful end() through slowClose(1000): socket closed after',
        gracefulTook,
        'ms',
      );
    } finally {
      for (const cb of [graceful, forced, bounded]) cb.end(true);
      await close();
    }
    for (const rec of recs) {
      expect(rec.errors).toEqual([]);
      expect(grammarViolations(rec)).toEqual([]);
    }
  });

  it('error + close both arrive (row 16): after resetAll the socket emits error (ECONNRESET) and then close(true), and connback reports one error, one onclose(true) and makes exactly one new attempt', async () => {
    const { proxy, close } = await rig();
    const cb = createTcpConnback(options(proxy.port));
    const rec = record(cb);
    try {
      await waitFor(() => cb.connected, 'the connection');
      const socket = cb.client as net.Socket;
      const seen: string[] = [];
      socket.on('error', (error) => seen.push(`error:${codeOf(error)}`));
      socket.on('close', (hadError) => seen.push(`close(${hadError})`));
      proxy.resetAll();
      await waitFor(() => seen.length === 2 && cb.connected, 'the socket events and the reconnect');
      expect(seen).toEqual(['error:ECONNRESET', 'close(true)']);
      await holdsFor(() => cb.connected, 'the new connection', 3 * K_MS);
      expect(rec.events()).toEqual([
        'connect',
        'error:ECONNRESET',
        'close(true)',
        'offline',
        'reconnect',
        'connect',
      ]);
      expect(connbackSockets()).toHaveLength(2);
      expect(cb.stats.drops).toBe(1);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      cb.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('latency K/4 ± K/8 (row 27, R5): with latency(50, 25) each way (round trip 50-150 ms, keepalive 0.2 s) there is no false keepalive close over 50 × keepalive = 10 s', async () => {
    const server = await startTcpServer();
    const seed = 27;
    const proxy = await ChaosProxy.start({ upstream: server.port, random: seededRandom(seed) });
    const cb = createTcpConnback(options(proxy.port));
    const rec = record(cb);
    const arrivals = dataTimes(cb);
    try {
      await waitFor(() => cb.connected, 'the connection');
      proxy.latency(50, 25);
      const from = now();
      await holdsFor(() => rec.errors.length === 0, 'no keepalive close', 50 * K_MS);
      const echoes = arrivals(cb.client).filter((t) => t > from);
      figure(
        'R5',
        'false keepalive closes over 50 × K with latency K/4 ± K/8',
        rec.errors.length,
        'closes',
      );
      figure('R5', 'echoed pings in those 10 s', echoes.length, 'pings');
      expect(rec.events()).toEqual(['connect']);
      // Pings every K, each echoed through the latency.
      expect(echoes.length).toBeGreaterThanOrEqual(40);
    } finally {
      cb.end(true);
      await within(proxy.close(), 5000, 'the proxy to close');
      await server.close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('flapping server (row 28, R6): a server that accepts and drops at once gets growing delays (minUptime), not a storm: over 5 s, with initialDelay 100 ms, at most 1.2 × the attempts made against a refused port', async () => {
    const WINDOW = 5000;
    const flapping = await rig((socket) => socket.destroy());
    const refused = await rig();
    await refused.proxy.down();
    const flap = createTcpConnback(
      options(flapping.proxy.port, { initialDelay: 100, maxDelay: 30_000 }),
    );
    const control = createTcpConnback(
      options(refused.proxy.port, { initialDelay: 100, maxDelay: 30_000 }),
    );
    const flapRec = record(flap);
    const controlRec = record(control);
    try {
      await sleep(WINDOW);
      const flapAttempts = flap.stats.attempts;
      const refusedAttempts = control.stats.attempts;
      const ratio = flapAttempts / refusedAttempts;
      figure(
        'R6',
        `tcp flapping server over 5 s: attempts (flapping, refused) = (${flapAttempts}, ${refusedAttempts}), ratio`,
        ratio,
        '',
      );
      expect(ratio).toBeLessThanOrEqual(1.2);
      // The server did accept: these are connects that dropped, not refusals.
      expect(flapRec.count('connect')).toBeGreaterThanOrEqual(5);
      expect(flapRec.codes().filter((code) => code === 'ECONNREFUSED')).toEqual([]);
      // Growing delays: fibonacci from 100 ms, never reset by a connection shorter than minUptime.
      const waited = gaps(flapRec.times('reconnect'));
      waited.slice(1).forEach((gap, i) => {
        expect(gap).toBeGreaterThanOrEqual((waited[i] as number) - 20);
      });
      expect(waited.at(-1)).toBeGreaterThanOrEqual(800);
      expect(controlRec.count('connect')).toBe(0);
    } finally {
      flap.end(true);
      control.end(true);
      await flapping.close();
      await refused.close();
    }
    expect(grammarViolations(flapRec)).toEqual([]);
  });

  it('slow trickle (row 29): through slicer(1, 20) a 100-byte greeting takes 2 s (10 × keepalive) and each 1-byte chunk is a heartbeat: no keepalive close while it trickles, and one within 2 × keepalive once it stops (the server is otherwise silent, no ping payload)', async () => {
    const GREETING = 'g'.repeat(100);
    const { proxy, close } = await rig((socket) => socket.write(GREETING));
    proxy.slicer(1, 20, { direction: 'downstream' });
    const cb = createTcpConnback(options(proxy.port, { ping: undefined }));
    const rec = record(cb);
    const arrivals = dataTimes(cb);
    const text = receivedText(cb);
    try {
      await waitFor(() => rec.errors.length >= 1, 'the keepalive once the trickle stopped', 5000);
      const socket = rec.clients[0];
      const chunks = arrivals(socket);
      expect(text(socket)).toBe(GREETING);
      expect(chunks.length).toBeGreaterThanOrEqual(50);
      const trickled = (chunks.at(-1) as number) - (chunks[0] as number);
      expect(trickled).toBeGreaterThanOrEqual(1900);
      expect(Math.max(...gaps(chunks))).toBeLessThan(K_MS);
      expect(rec.codes()[0]).toBe(ErrorCode.KeepaliveTimeout);
      const afterLastChunk = (rec.errors[0]?.at as number) - (chunks.at(-1) as number);
      expect(afterLastChunk).toBeGreaterThanOrEqual(K_MS - 20);
      expect(afterLastChunk).toBeLessThanOrEqual(2 * K_MS + SLACK);
      expect(rec.events().slice(0, 2)).toEqual(['connect', 'error:CONNBACK_KEEPALIVE_TIMEOUT']);
    } finally {
      cb.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('slow trickle through bandwidth (row 29): bandwidth(50 B/s) on 5-byte slices (slicer(5, 0)) trickles a 100-byte greeting over 2 s; no keepalive close while it trickles. (bandwidth alone would hold the whole 100-byte chunk for 2 s and send it at once: a silence, not a trickle)', async () => {
    const GREETING = 'b'.repeat(100);
    const { proxy, close } = await rig((socket) => socket.write(GREETING));
    proxy.slicer(5, 0, { direction: 'downstream' });
    proxy.bandwidth(50, { direction: 'downstream' });
    const cb = createTcpConnback(options(proxy.port, { ping: undefined }));
    const rec = record(cb);
    const arrivals = dataTimes(cb);
    const text = receivedText(cb);
    try {
      await waitFor(() => rec.errors.length >= 1, 'the keepalive once the trickle stopped', 5000);
      const socket = rec.clients[0];
      const chunks = arrivals(socket);
      expect(text(socket)).toBe(GREETING);
      expect(chunks.length).toBeGreaterThanOrEqual(15);
      expect((chunks.at(-1) as number) - (chunks[0] as number)).toBeGreaterThanOrEqual(1800);
      expect(rec.codes()[0]).toBe(ErrorCode.KeepaliveTimeout);
      expect(rec.errors[0]?.at as number).toBeGreaterThan(chunks.at(-1) as number);
    } finally {
      cb.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });
});

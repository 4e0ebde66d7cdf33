import { ChaosProxy } from '@connback/chaos';
import { ErrorCode } from '@connback/core';
import { createWsConnback, WsCloseError, type WsConnbackOptions } from '@connback/ws';
import { describe, expect, it } from 'vitest';
import {
  CT,
  codeOf,
  connbackSockets,
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
  type RawWsServer,
  record,
  SLACK,
  sleep,
  startRawWsServer,
  startWsServer,
  type WsServer,
  type WsServerConnection,
  waitFor,
  within,
} from './support.js';

/**
 * RELIABILITY.md rows on loopback, through the chaos proxy, with createWsConnback (the `ws`
 * client on Node 20) against a `ws` server: keepalive 0.2 s with protocol pings (the server's
 * automatic pongs are the heartbeat), connectTimeout 300 ms, backoff 50..200 ms without jitter.
 */
function options(more: WsConnbackOptions = {}): WsConnbackOptions {
  return {
    keepalive: K,
    connectTimeout: CT,
    jitter: 'none',
    initialDelay: INITIAL_DELAY,
    maxDelay: MAX_DELAY,
    closeTimeout: 500,
    ...more,
  };
}

/** A ws server with the proxy in front of it. */
async function rig(onConnection?: (connection: WsServerConnection) => void): Promise<{
  server: WsServer;
  proxy: ChaosProxy;
  url: string;
  close(): Promise<void>;
}> {
  const server = await startWsServer(onConnection);
  const proxy = await ChaosProxy.start({ upstream: server.port });
  return {
    server,
    proxy,
    url: `ws://${host}:${proxy.port}/`,
    close: async () => {
      await within(proxy.close(), 5000, 'the proxy to close');
      await within(server.close(), 5000, 'the server to close');
    },
  };
}

function closeCodeOf(error: Error | undefined): number | undefined {
  return error instanceof WsCloseError ? error.close.code : undefined;
}

describe('ws through the chaos proxy', () => {
  it('connection refused (row 1): with the proxy down every attempt fails with ECONNREFUSED, onoffline fires once, attempts back off 50, 50, 100, 150, 200 ms, and the client connects within the delay in force + 100 ms of the proxy coming up', async () => {
    const { proxy, url, close } = await rig();
    await proxy.down();
    const wsc = createWsConnback(url, options());
    const rec = record(wsc.connback);
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
      const inForce = wsc.connback.stats.nextDelay ?? MAX_DELAY;
      await waitFor(() => wsc.connback.connected, 'the connection once the proxy is up', 2000);
      expect(rec.lastAt('connect') - upAt).toBeLessThanOrEqual(inForce + 100);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('handshake hangs (row 3): a blackhole in force before connecting lets the TCP connect succeed and swallows the upgrade; each attempt fails with CONNBACK_CONNECT_TIMEOUT at connectTimeout, one attempt at a time, and the client connects once the blackhole is removed', async () => {
    const { proxy, url, close } = await rig();
    const hole = proxy.blackhole();
    const wsc = createWsConnback(url, options());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => rec.errors.length >= 3, 'three timed-out attempts', 5000);
      hole.remove();
      await waitFor(() => wsc.connback.connected, 'the connection after the blackhole', 3000);
      const timeouts = rec.errors.filter(({ error }) => codeOf(error) === ErrorCode.ConnectTimeout);
      expect(timeouts.length).toBe(rec.errors.length);
      const attempts = connbackSockets();
      timeouts.forEach(({ at }, i) => {
        const failedAfter = at - (attempts[i]?.openedAt as number);
        // The socket opens once the connector has the WebSocket class and the URL (awaited).
        expect(failedAfter).toBeGreaterThanOrEqual(CT - 50);
        expect(failedAfter).toBeLessThanOrEqual(CT + SLACK);
        // The socket of a timed-out attempt is destroyed at the timeout.
        expect(attempts[i]?.socket.destroyed).toBe(true);
      });
      expect(rec.count('connect')).toBe(1);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('reset mid-stream (row 5): a resetPeer toxic resets each connection 100 ms after it opens; each reset gives exactly one error (CONNBACK_WS_CLOSED, code 1006), one onclose(true) and one reconnect, and once the toxic is removed the connection stays up', async () => {
    const { proxy, url, close } = await rig();
    const wsc = createWsConnback(url, options());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const reset = proxy.resetPeer(100);
      await waitFor(() => rec.count('close(true)') >= 4, 'four resets', 5000);
      reset.remove();
      await waitFor(() => wsc.connback.connected, 'the connection after the last reset');
      const drops = rec.count('close(true)');
      await holdsFor(
        () => wsc.connback.connected && rec.count('close(true)') === drops,
        'the connection after the toxic is removed',
        3 * K_MS,
      );
      const oneReset = 'error:CONNBACK_WS_CLOSED,close\\(true\\),offline,reconnect,connect';
      expect(rec.events().join(',')).toMatch(new RegExp(`^connect(,${oneReset}){${drops}}$`));
      expect(rec.errors.map(({ error }) => closeCodeOf(error))).toEqual(Array(drops).fill(1006));
      expect(connbackSockets()).toHaveLength(drops + 1);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('graceful remote close (row 6): the server closing with 1001 through the proxy gives onclose(false), no error, and a reconnect after the backoff delay (100 ms); dropAll, a TCP close without a close frame, is an abnormal closure for a WebSocket (1006): one error and onclose(true), then the reconnect', async () => {
    const DELAY = 100;
    const { server, proxy, url, close } = await rig();
    const wsc = createWsConnback(
      url,
      options({ initialDelay: DELAY, maxDelay: DELAY, delayFirstAttempt: true, minUptime: 100 }),
    );
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      await waitFor(() => server.last().pings.length >= 1, 'a ping (past minUptime)');
      let before = rec.log.length;
      server.last().socket.close(1001, 'going away');
      await waitFor(
        () => rec.log.length >= before + 4 && wsc.connback.connected,
        'the reconnect after 1001',
      );
      const graceful = rec.log.slice(before);
      expect(graceful.map((e) => e.name)).toEqual([
        'close(false)',
        'offline',
        'reconnect',
        'connect',
      ]);
      const waited = (graceful[2]?.at as number) - (graceful[0]?.at as number);
      expect(waited).toBeGreaterThanOrEqual(DELAY - 2);
      expect(waited).toBeLessThanOrEqual(DELAY + SLACK);
      expect(rec.errors).toEqual([]);

      await waitFor(() => server.last().pings.length >= 1, 'a ping on the new connection');
      before = rec.log.length;
      proxy.dropAll();
      await waitFor(
        () => rec.log.length >= before + 5 && wsc.connback.connected,
        'the reconnect after dropAll',
      );
      expect(rec.log.slice(before).map((e) => e.name)).toEqual([
        'error:CONNBACK_WS_CLOSED',
        'close(true)',
        'offline',
        'reconnect',
        'connect',
      ]);
      expect(closeCodeOf(rec.errors[0]?.error)).toBe(1006);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('half-open / blackhole (row 7, R3): a blackhole at a different point of the ping cycle in each of 20 trials is detected with CONNBACK_KEEPALIVE_TIMEOUT within 2 × keepalive + 250 ms, and the client is connected and pinged again once the blackhole is removed', async () => {
    const TRIALS = 20;
    const { server, proxy, url, close } = await rig();
    const wsc = createWsConnback(url, options());
    const rec = record(wsc.connback);
    const detections: number[] = [];
    const recoveries: number[] = [];
    try {
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const since = now();
        // A ping reached the server on the live connection, and its pong came back.
        await waitFor(
          () => wsc.connback.connected && (server.last().pings.at(-1) ?? 0) > since,
          `trial ${trial + 1}: a ping`,
          3000,
        );
        const pingedAt = server.last().pings.at(-1) as number;
        const offset = (trial * K_MS) / TRIALS;
        await waitFor(() => now() - pingedAt >= offset, 'the phase offset');
        const errorsBefore = rec.errors.length;
        const hole = proxy.blackhole();
        const holeAt = now();
        await waitFor(() => rec.errors.length > errorsBefore, 'the keepalive timeout', 3000);
        const detected = rec.errors[errorsBefore] as { at: number; error: Error };
        expect(codeOf(detected.error)).toBe(ErrorCode.KeepaliveTimeout);
        const took = detected.at - holeAt;
        detections.push(took);
        expect(took).toBeGreaterThanOrEqual(K_MS - 100);
        expect(took).toBeLessThanOrEqual(2 * K_MS + 250);
        hole.remove();
        const removedAt = now();
        await waitFor(
          () => wsc.connback.connected && (server.last().pings.at(-1) ?? 0) > removedAt,
          'connected and pinged again',
          3000,
        );
        recoveries.push(now() - removedAt);
      }
      figure('R3', 'ws half-open (proxy blackhole) detection, bound 650 ms', detections, 'ms');
      figure(
        'R3',
        'ws connected and pinged again after the blackhole is removed',
        recoveries,
        'ms',
      );
      // Keepalive timeouts, and handshakes swallowed by the blackhole before it was removed.
      for (const code of rec.codes()) {
        expect([ErrorCode.KeepaliveTimeout, ErrorCode.ConnectTimeout]).toContain(code);
      }
      expect(rec.count('end')).toBe(0);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('server restart (row 8, R4): down + dropAll, then up, three times: the client reconnects within the backoff delay in force + 100 ms of the port coming back, one client socket at a time', async () => {
    const { proxy, url, close } = await rig();
    const wsc = createWsConnback(url, options());
    const rec = record(wsc.connback);
    const recoveries: number[] = [];
    try {
      for (let restart = 1; restart <= 3; restart += 1) {
        await waitFor(() => wsc.connback.connected, `connection ${restart}`);
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
        const inForce = wsc.connback.stats.nextDelay ?? MAX_DELAY;
        await waitFor(() => rec.count('connect') > connectsBefore, 'the reconnect', 3000);
        const took = rec.lastAt('connect') - upAt;
        recoveries.push(took);
        expect(took).toBeLessThanOrEqual(inForce + 100);
        // The drop (1006: no close frame), then refusals only.
        const codes = rec.codes().slice(errorsBefore);
        expect(codes[0]).toBe('CONNBACK_WS_CLOSED');
        expect(new Set(codes.slice(1))).toEqual(new Set(['ECONNREFUSED']));
      }
      figure(
        'R4',
        'ws recovery after a proxy restart, from up() (bound: delay in force + 100 ms)',
        recoveries,
        'ms',
      );
      expect(rec.count('connect')).toBe(4);
      expect(rec.count('close(true)')).toBe(3);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('slow close (row 9): with slowClose(1000) end() returns at once with onend once while the closing handshake ends slowly behind the proxy; end(true) destroys the socket at once', async () => {
    const { proxy, url, close } = await rig();
    proxy.slowClose(1000);
    const graceful = createWsConnback(url, options({ closeTimeout: 5000 }));
    const forced = createWsConnback(url, options());
    const recs = [graceful, forced].map((wsc) => record(wsc.connback));
    try {
      await waitFor(
        () => graceful.connback.connected && forced.connback.connected,
        'two connections',
      );
      const [gracefulEntry, forcedEntry] = connbackSockets();
      const gracefulSocket = gracefulEntry?.socket;
      const forcedSocket = forcedEntry?.socket;
      if (gracefulSocket === undefined || forcedSocket === undefined) throw new Error('no sockets');
      let closedAt = 0;
      gracefulSocket.once('close', () => {
        closedAt = now();
      });

      let t0 = now();
      graceful.end();
      expect(now() - t0).toBeLessThan(50);
      expect(graceful.connback.state).toBe('ended');
      expect(recs[0]?.events()).toEqual(['connect', 'close(false)', 'end']);
      expect(gracefulSocket.destroyed).toBe(false);
      await waitFor(() => closedAt > 0, 'the graceful close', 4000);
      const took = closedAt - t0;
      // The close frames pass at once; the FIN that follows waits 1 s in the proxy.
      expect(took).toBeGreaterThanOrEqual(1000 - 5);
      expect(took).toBeLessThanOrEqual(2000 + 500);
      graceful.end();
      expect(recs[0]?.count('end')).toBe(1);

      t0 = now();
      forced.end(true);
      expect(now() - t0).toBeLessThan(50);
      expect(forcedSocket.destroyed).toBe(true);
      expect(recs[1]?.events()).toEqual(['connect', 'close(false)', 'end']);
      figure('row 9', 'ws graceful end() through slowClose(1000): socket closed after', took, 'ms');
    } finally {
      graceful.end(true);
      forced.end(true);
      await close();
    }
    for (const rec of recs) {
      expect(rec.errors).toEqual([]);
      expect(grammarViolations(rec)).toEqual([]);
    }
  });

  it('error + close both arrive (row 16): after resetAll the TCP socket under the WebSocket emits error (ECONNRESET) and close, the WebSocket closes with 1006, and connback reports one error, one onclose(true) and makes exactly one new attempt', async () => {
    const { proxy, url, close } = await rig();
    const wsc = createWsConnback(url, options());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const socket = connbackSockets()[0]?.socket;
      if (socket === undefined) throw new Error('no socket');
      const seen: string[] = [];
      socket.on('error', (error) => seen.push(`error:${codeOf(error)}`));
      socket.on('close', () => seen.push('close'));
      proxy.resetAll();
      await waitFor(
        () => seen.length >= 2 && wsc.connback.connected,
        'the events and the reconnect',
      );
      expect(seen).toEqual(['error:ECONNRESET', 'close']);
      await holdsFor(() => wsc.connback.connected, 'the new connection', 3 * K_MS);
      expect(rec.events()).toEqual([
        'connect',
        'error:CONNBACK_WS_CLOSED',
        'close(true)',
        'offline',
        'reconnect',
        'connect',
      ]);
      expect(connbackSockets()).toHaveLength(2);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('error + close both arrive (row 16): a frame ws rejects (reserved opcode) makes the WebSocket emit error and then close; connback reports one error (the close, with the protocol error as its cause), one onclose(true) and makes exactly one new attempt', async () => {
    const raw: RawWsServer = await startRawWsServer();
    const proxy = await ChaosProxy.start({ upstream: raw.port });
    // No keepalive: this bare server does not answer pings.
    const wsc = createWsConnback(`ws://${host}:${proxy.port}/`, options({ keepalive: 0 }));
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const client = wsc.connback.client;
      const seen: string[] = [];
      client?.addEventListener('error', () => seen.push('error'));
      client?.addEventListener('close', () => seen.push('close'));
      raw.sendBadFrame();
      await waitFor(
        () => seen.length >= 2 && rec.count('connect') === 2,
        'the events and the reconnect',
      );
      expect(seen).toEqual(['error', 'close']);
      await holdsFor(() => wsc.connback.connected, 'the new connection', 3 * K_MS);
      expect(rec.events()).toEqual([
        'connect',
        'error:CONNBACK_WS_CLOSED',
        'close(true)',
        'offline',
        'reconnect',
        'connect',
      ]);
      const error = rec.errors[0]?.error as WsCloseError;
      expect(error.cause).toBeInstanceOf(Error);
      expect(codeOf(error.cause)).toBe('WS_ERR_INVALID_OPCODE');
      expect(connbackSockets()).toHaveLength(2);
      expect(maxClientsAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await within(proxy.close(), 5000, 'the proxy to close');
      await raw.close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  it('flapping server (row 28, R6): a server that accepts the upgrade and drops at once gets growing delays (minUptime), not a storm: over 5 s, with initialDelay 100 ms, at most 1.2 × the attempts made against a refused port', async () => {
    const WINDOW = 5000;
    const flapping = await rig(({ socket }) => socket.terminate());
    const refused = await rig();
    await refused.proxy.down();
    const flap = createWsConnback(flapping.url, options({ initialDelay: 100, maxDelay: 30_000 }));
    const control = createWsConnback(refused.url, options({ initialDelay: 100, maxDelay: 30_000 }));
    const flapRec = record(flap.connback);
    try {
      await sleep(WINDOW);
      const flapAttempts = flap.connback.stats.attempts;
      const refusedAttempts = control.connback.stats.attempts;
      const ratio = flapAttempts / refusedAttempts;
      figure(
        'R6',
        `ws flapping server over 5 s: attempts (flapping, refused) = (${flapAttempts}, ${refusedAttempts}), ratio`,
        ratio,
        '',
      );
      expect(ratio).toBeLessThanOrEqual(1.2);
      expect(flapping.server.connections.length).toBeGreaterThanOrEqual(5);
      const waited = gaps(flapRec.times('reconnect'));
      waited.slice(1).forEach((gap, i) => {
        expect(gap).toBeGreaterThanOrEqual((waited[i] as number) - 20);
      });
      expect(waited.at(-1)).toBeGreaterThanOrEqual(800);
    } finally {
      flap.end(true);
      control.end(true);
      await flapping.close();
      await refused.close();
    }
    expect(grammarViolations(flapRec)).toEqual([]);
  });

  it('slow trickle (row 29): with slicer(1, 20) and then bandwidth(60 B/s) both ways, small messages every 100 ms keep arriving whole within each keepalive period: no false keepalive close over 2 × 10 × keepalive', async () => {
    const { proxy, url, close } = await rig(({ socket }) => {
      const timer = setInterval(() => socket.send('x'), 100);
      socket.on('close', () => clearInterval(timer));
    });
    const wsc = createWsConnback(url, options());
    const rec = record(wsc.connback);
    const messages: number[] = [];
    wsc.connback.onconnect((socket) =>
      socket.addEventListener('message', () => messages.push(now())),
    );
    try {
      await waitFor(() => wsc.connback.connected && messages.length > 0, 'the first message');
      for (const toxic of [() => proxy.slicer(1, 20), () => proxy.bandwidth(60)]) {
        const from = now();
        const added = toxic();
        await holdsFor(() => rec.errors.length === 0, 'no keepalive close', 10 * K_MS);
        added.remove();
        const got = messages.filter((t) => t > from);
        expect(got.length).toBeGreaterThanOrEqual(10);
      }
      expect(rec.events()).toEqual(['connect']);
    } finally {
      wsc.end(true);
      await close();
    }
    expect(grammarViolations(rec)).toEqual([]);
  });

  // Regression: the ws connector once took only whole messages and pongs as heartbeats, so one
  // message trickling in for longer than the keepalive window was a false keepalive close. Every
  // chunk of the TCP socket beneath now counts.
  it('slow trickle of one large message (row 29): a 100-byte message trickling through slicer(1, 20) for 2 s is no reason for a keepalive close', async () => {
    const { server, proxy, url, close } = await rig();
    const wsc = createWsConnback(url, options());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      const got: string[] = [];
      wsc.connback.client?.addEventListener('message', (event: { data: unknown }) =>
        got.push(String(event.data)),
      );
      proxy.slicer(1, 20, { direction: 'downstream' });
      server.last().socket.send('y'.repeat(100));
      await waitFor(() => got.length === 1 || rec.errors.length > 0, 'the message', 5000);
      expect(rec.errors.map(({ error }) => codeOf(error))).toEqual([]);
      expect(got).toEqual(['y'.repeat(100)]);
    } finally {
      wsc.end(true);
      await close();
    }
  });
});

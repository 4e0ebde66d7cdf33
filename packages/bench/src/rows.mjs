// One function per row of the table: each runs one variant once (a fresh server process and a
// fresh client process) and returns that run's figures. The run loop and the report are elsewhere.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { now, startChild } from './children.mjs';

const KEEPALIVE_S = 1;

/** A server process (echo or flap) and a client process of `variant`, both stopped afterwards. */
async function withPair(variant, serverMode, body, clientFlags = []) {
  const server = startChild('server.mjs', [serverMode]);
  let client;
  try {
    const { port } = await server.ask({ type: 'listen' }, 'listening');
    client = startChild('client.mjs', [variant], clientFlags);
    await client.next('ready');
    return await body({ server, client, port });
  } finally {
    await client?.stop();
    await server.stop();
  }
}

/**
 * Heap, RSS and CPU of `conns` idle connections pinging every second, to the TCP echo server or
 * (`serverMode` 'ws') to a WebSocket server answering protocol pings.
 */
export function idle(variant, size, serverMode = 'echo') {
  return withPair(
    variant,
    serverMode,
    async ({ client, port }) => {
      const result = await client.ask(
        {
          type: 'idle',
          port,
          conns: size.idleConns,
          keepalive: KEEPALIVE_S,
          settleMs: 2.5 * KEEPALIVE_S * 1000,
          cpuMs: size.idleCpuMs,
        },
        'idled',
        300_000,
      );
      const { type: _type, ...figures } = result;
      return figures;
    },
    ['--expose-gc'],
  );
}

/** Runs a script of this folder in its own process and parses the JSON line it prints. */
function runScript(script, nodeFlags, args) {
  const path = fileURLToPath(new URL(script, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, path, ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`bench: ${script} ${args.join(' ')} exited with ${code}`));
      else resolve(JSON.parse(out));
    });
  });
}

/** The framework cost of a connect/close cycle, with an in-memory connector (its own process). */
export function cycle(variant, size) {
  return runScript(
    'cycle.mjs',
    ['--expose-gc', '--max-semi-space-size=64'],
    [variant, size.cycles],
  );
}

/** Failover between three loopback endpoints when the current one is refused or blackholed. */
export function failover(variant, mode) {
  return runScript('failover.mjs', [], [variant, mode]);
}

/**
 * The framework cost of a short-lived client: a new instance, connected in memory, then ended
 * (its own process, as the reconnect cycle).
 */
export function create(variant, size) {
  return runScript(
    'cycle.mjs',
    ['--expose-gc', '--max-semi-space-size=64'],
    [variant, size.cycles, 'create'],
  );
}

/** The keepalive's own CPU per minute, in-memory connections, no sockets (its own process). */
export function ticks(variant, size) {
  return runScript('ticks.mjs', [], [variant, size.idleConns, size.ticksMs]);
}

/** MiB/s of `echoBytes` sent through one connection to the echo server and read back. */
export function echo(variant, size) {
  return withPair(variant, 'echo', async ({ client, port }) => {
    const result = await client.ask(
      { type: 'echo', port, bytes: size.echoBytes, chunkBytes: 64 * 1024 },
      'echoed',
      300_000,
    );
    return { mibPerSecond: result.mibPerSecond, drops: result.drops };
  });
}

/**
 * `herdClients` connected clients; the server drops them all and stays down `HERD_DOWN_MS`.
 * Attempts are counted per 100 ms from the drop; "back" is the last reconnect after the server is up.
 */
export function herd(variant, size, policy, budget) {
  return withPair(variant, 'echo', async ({ server, client, port }) => {
    await client.ask(
      { type: 'open', port, conns: size.herdClients, keepalive: KEEPALIVE_S, policy, budget },
      'opened',
      120_000,
    );
    const { downAt, upAt } = await server.ask({ type: 'down', ms: 1000 }, 'up');
    const back = await client.ask(
      { type: 'await-back', since: downAt, timeoutMs: size.herdGiveUpMs },
      'back',
      size.herdGiveUpMs + 10_000,
    );
    const buckets = new Map();
    for (const at of back.attempts) {
      const bucket = Math.floor((at - downAt) / 100);
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
    }
    return {
      peakAttemptsPer100ms: Math.max(0, ...buckets.values()),
      attempts: back.attempts.length,
      // Not all back before the suite gave up: no figure (the report says so).
      allBackSeconds: back.lastBackAt === null ? Number.NaN : (back.lastBackAt - upAt) / 1000,
      connectedAtEnd: back.connected,
      waitMaxOverMean: back.waitMaxOverMean ?? Number.NaN,
    };
  });
}

/**
 * The server process is frozen (SIGSTOP): how long until the client gives up on the connection,
 * then (SIGCONT) whether it is healthy again: connected, with a pong on the new connection.
 */
export function halfOpen(variant) {
  return withPair(variant, 'echo', async ({ server, client, port }) => {
    await client.ask(
      { type: 'open', port, conns: 1, keepalive: KEEPALIVE_S, policy: 'default' },
      'opened',
    );
    const first = await client.ask(
      { type: 'await-healthy', since: now(), timeoutMs: 5000 },
      'healthy',
      10_000,
    );
    if (first.at === null) {
      throw new Error(`bench: ${variant} never heard a pong before the freeze`);
    }
    // A peer dies at any moment of the keepalive period, not just after a pong.
    await sleep(Math.random() * KEEPALIVE_S * 1000);
    const frozenAt = now();
    server.signal('SIGSTOP');
    const detected = await client.ask(
      { type: 'await-detect', since: frozenAt, timeoutMs: 15_000 },
      'detected',
      20_000,
    );
    await sleep(200);
    const resumedAt = now();
    server.signal('SIGCONT');
    const healthy = await client.ask(
      { type: 'await-healthy', since: resumedAt, timeoutMs: 6000 },
      'healthy',
      10_000,
    );
    return {
      detectSeconds: (detected.at - frozenAt) / 1000,
      healthyAfter: healthy.at !== null,
      healthySeconds: healthy.at === null ? Number.NaN : (healthy.at - resumedAt) / 1000,
    };
  });
}

/** One client against a server that accepts and drops at once: connects per second after the first. */
export function flap(variant, size) {
  return withPair(variant, 'flap', async ({ client, port }) => {
    const result = await client.ask(
      { type: 'flap', port, seconds: size.flapSeconds },
      'flapped',
      60_000,
    );
    return {
      connectsPerSecond: result.connectsAfterFirstSecond / (result.seconds - 1),
      cpuPercent: result.cpuPercent,
    };
  });
}

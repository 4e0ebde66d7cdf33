// The client of every network row, in its own process: `node client.mjs <variant>` opens clients
// of that variant (raw, 0.1.7 or connback over TCP; ws-raw, ws-connback or ws-socket over
// WebSockets) as the parent asks, and reports what it measured.
import { setTimeout as sleep } from 'node:timers/promises';
import { now, serve } from './children.mjs';
import { DEFAULT_POLICY, FULL_JITTER_POLICY, HERD_POLICY } from './policy.mjs';

const VARIANT_FILES = {
  raw: 'raw.mjs',
  '0.1.7': 'v017.mjs',
  connback: 'connback.mjs',
  'ws-raw': 'ws-raw.mjs',
  'ws-connback': 'ws-connback.mjs',
  'ws-socket': 'ws-socket.mjs',
};
const variantName = process.argv[2] ?? '';
if (!(variantName in VARIANT_FILES)) {
  throw new Error(
    `bench client: unknown variant "${variantName}" (known: ${Object.keys(VARIANT_FILES).join(', ')})`,
  );
}
const variant = await import(`./variants/${VARIANT_FILES[variantName]}`);
/** The WebSocket variants: only the idle row runs them, and the harness reads no data of theirs. */
const overTcp = !variantName.startsWith('ws-');
const POLICIES = { default: DEFAULT_POLICY, herd: HERD_POLICY, fullJitter: FULL_JITTER_POLICY };
const OPEN_BATCH = 500;

/** Resolves when `check()` holds, polling; rejects with `what` after `timeoutMs`. */
async function until(check, what, timeoutMs) {
  const deadline = now() + timeoutMs;
  while (!check()) {
    if (now() > deadline) throw new Error(`${variantName}: ${what} not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

function collectGarbage() {
  globalThis.gc?.();
  globalThis.gc?.();
}

/** The clients of one row, with what happened to them. */
const fleet = {
  clients: [],
  sockets: [],
  connected: 0,
  attempts: [],
  connects: [],
  /** The last connect of each client. */
  connectedAt: [],
  closes: 0,
  lastDataAt: 0,
  /** Opens `count` more clients; waits for them in batches so the server's backlog never overflows. */
  async open(port, count, options) {
    for (let i = 0; i < count; i++) {
      const index = this.clients.length;
      this.clients.push(
        variant.open(port, options, {
          onAttempt: () => this.attempts.push(now()),
          onConnect: (socket) => {
            this.connected++;
            this.connects.push(now());
            this.connectedAt[index] = now();
            this.sockets[index] = socket;
            if (overTcp) {
              socket.on('data', () => {
                if (this.sockets[index] === socket) this.lastDataAt = now();
              });
            }
          },
          onClose: () => {
            this.connected--;
            this.closes++;
          },
        }),
      );
      if ((i + 1) % OPEN_BATCH === 0) {
        const target = this.clients.length;
        await until(() => this.connects.length >= target, `${target} connections`, 60_000);
      }
    }
  },
  end() {
    for (const client of this.clients) client.end();
  },
};

async function idle({ port, conns, keepalive, settleMs, cpuMs }) {
  collectGarbage();
  const before = process.memoryUsage();
  await fleet.open(port, conns, { keepalive, policy: DEFAULT_POLICY });
  await until(() => fleet.connected === conns, `${conns} connections`, 120_000);
  // Every connection pings and hears its pong at least once before memory is read.
  await sleep(settleMs);
  collectGarbage();
  const after = process.memoryUsage();
  const cpuBefore = process.cpuUsage();
  const start = now();
  await sleep(cpuMs);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsed = now() - start;
  return {
    type: 'idled',
    heapPerConn: (after.heapUsed - before.heapUsed) / conns,
    rssPerConn: (after.rss - before.rss) / conns,
    cpuPerMinute: ((cpu.user + cpu.system) / 1e6) * (60_000 / elapsed),
    // The kernel's share (system) is most of it on loopback: sending the pings, reading the pongs.
    userPerMinute: (cpu.user / 1e6) * (60_000 / elapsed),
    systemPerMinute: (cpu.system / 1e6) * (60_000 / elapsed),
    drops: fleet.closes,
  };
}

async function openFleet({ port, conns, keepalive, policy, budget }) {
  await fleet.open(port, conns, { keepalive, policy: POLICIES[policy], budget });
  await until(() => fleet.connected === conns, `${conns} connections`, 120_000);
  return { type: 'opened' };
}

/** After an outage: waits until every client is connected again, reports attempts and connects. */
async function awaitBack({ since, timeoutMs }) {
  const conns = fleet.clients.length;
  const backSince = () => fleet.connects.filter((t) => t > since).length;
  let allBack = true;
  try {
    await until(() => backSince() >= conns && fleet.connected === conns, 'all back', timeoutMs);
  } catch {
    allBack = false;
  }
  // How long each client waited to be back, from the drop: a starved one shows in the maximum.
  const waits = fleet.connectedAt.filter((t) => t > since).map((t) => t - since);
  const mean = waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length);
  return {
    type: 'back',
    waitMaxOverMean: allBack ? Math.max(...waits) / mean : null,
    attempts: fleet.attempts.filter((t) => t > since),
    lastBackAt: allBack ? Math.max(...fleet.connects.filter((t) => t > since)) : null,
    connected: fleet.connected,
  };
}

/**
 * The peer froze at `since`: waits for the client to give up on the connection, by closing it or by
 * starting a new attempt (0.1.7 ends a dead socket gracefully, so its close may never come).
 */
async function awaitDetect({ since, timeoutMs }) {
  const closes = fleet.closes;
  const attempts = fleet.attempts.length;
  await until(
    () => fleet.closes > closes || fleet.attempts.length > attempts,
    'the dead peer detected',
    timeoutMs,
  );
  return { type: 'detected', at: now(), since };
}

/** Healthy: connected, and a pong arrived on the current connection after `since`. */
async function awaitHealthy({ since, timeoutMs }) {
  try {
    await until(() => fleet.connected === 1 && fleet.lastDataAt > since, 'healthy', timeoutMs);
    return { type: 'healthy', at: now() };
  } catch {
    return { type: 'healthy', at: null };
  }
}

async function flap({ port, seconds }) {
  const cpuBefore = process.cpuUsage();
  const start = now();
  await fleet.open(port, 1, { keepalive: 1, policy: DEFAULT_POLICY });
  await sleep(seconds * 1000);
  const cpu = process.cpuUsage(cpuBefore);
  fleet.end();
  const elapsed = now() - start;
  return {
    type: 'flapped',
    connectsAfterFirstSecond: fleet.connects.filter((t) => t - start > 1000).length,
    seconds: elapsed / 1000,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
  };
}

/** Sends `bytes` through one connection to the echo server and reads them all back. */
async function echo({ port, bytes, chunkBytes }) {
  await fleet.open(port, 1, { keepalive: 1, policy: DEFAULT_POLICY });
  await until(() => fleet.connected === 1, 'connected', 10_000);
  const socket = fleet.sockets[0];
  const chunk = Buffer.alloc(chunkBytes, 0x61);
  let received = 0;
  const start = now();
  const done = new Promise((resolve) => {
    socket.on('data', (data) => {
      received += data.length;
      if (received >= bytes) resolve();
    });
  });
  let sent = 0;
  while (sent < bytes) {
    sent += chunk.length;
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await done;
  const seconds = (now() - start) / 1000;
  const drops = fleet.closes;
  fleet.end();
  return { type: 'echoed', mibPerSecond: bytes / 2 ** 20 / seconds, drops };
}

const SCENARIOS = {
  idle,
  open: openFleet,
  'await-back': awaitBack,
  'await-detect': awaitDetect,
  'await-healthy': awaitHealthy,
  flap,
  echo,
};

serve(async (message) => {
  const scenario = SCENARIOS[message.type];
  if (!scenario) throw new Error(`unknown message ${message.type}`);
  return scenario(message);
});
process.send({ type: 'ready' });

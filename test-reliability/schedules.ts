import type net from 'node:net';
import { ChaosProxy, type Direction, seededRandom, type Toxic } from '@connback/chaos';
import { ErrorCode } from '@connback/core';
import { createTcpConnback } from '@connback/tcp';
import { expect } from 'vitest';
import {
  CT,
  connbackSockets,
  grammarViolations,
  host,
  INITIAL_DELAY,
  K,
  K_MS,
  MAX_DELAY,
  maxClientsAtOnce,
  now,
  receivedText,
  record,
  sleep,
  startTcpServer,
  waitFor,
  within,
} from './support.js';

/**
 * Random fault schedules (R2): a seeded list of at most 10 faults, each added, left for a dwell
 * time of 50-500 ms, then removed (some are left in force until the final heal, so that faults
 * also overlap), against a createTcpConnback (keepalive 0.2 s, jitter none, initialDelay 50,
 * maxDelay 200, connectTimeout 300) connected through the proxy to an echo server.
 */

/**
 * After the heal the client must be connected, and echo a probe written after the heal, within:
 * a dead connection found by the keepalive (2 × keepalive = 400 ms) + the longest backoff delay
 * (maxDelay 200 ms) + a connect (connectTimeout 300 ms) + 600 ms of slack (loaded 2-core machine,
 * a chunk still sleeping in a latency or bandwidth toxic from before the heal).
 */
export const RECOVERY_BOUND_MS = 2 * K_MS + MAX_DELAY + CT + 600;

export type FaultKind =
  | 'latency'
  | 'blackhole'
  | 'resetPeer'
  | 'down'
  | 'slowClose'
  | 'slicer'
  | 'limitData'
  | 'bandwidth';

const KINDS: readonly FaultKind[] = [
  'latency',
  'blackhole',
  'resetPeer',
  'down',
  'slowClose',
  'slicer',
  'limitData',
  'bandwidth',
];

export interface Fault {
  readonly kind: FaultKind;
  /** The toxic's parameters, in the order its ChaosProxy method takes them. */
  readonly params: readonly number[];
  readonly direction: Direction | 'both';
  /** Chance that a given connection is affected. */
  readonly probability: number;
  /** Milliseconds the fault stays before it is removed. */
  readonly dwell: number;
  /** Left in force until the final heal (faults then overlap). */
  readonly keep: boolean;
}

export interface Schedule {
  readonly seed: number;
  readonly faults: readonly Fault[];
}

/** The schedule a seed gives: the same seed, the same faults, parameters and dwell times. */
export function generateSchedule(seed: number): Schedule {
  const random = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[int(0, list.length - 1)] as T;
  const faults: Fault[] = [];
  const count = int(1, 10);
  for (let i = 0; i < count; i += 1) {
    const kind = pick(KINDS);
    let params: number[];
    switch (kind) {
      case 'latency': {
        const ms = int(0, 300);
        params = [ms, int(0, Math.floor(ms / 2))];
        break;
      }
      case 'resetPeer':
        params = [int(0, 300)];
        break;
      case 'slowClose':
        params = [int(0, 1000)];
        break;
      case 'slicer':
        params = [int(1, 8), int(0, 50)];
        break;
      case 'limitData':
        params = [int(0, 64)];
        break;
      case 'bandwidth':
        params = [int(5, 1000)];
        break;
      default:
        params = [];
    }
    faults.push({
      kind,
      params,
      direction: pick(['both', 'both', 'upstream', 'downstream'] as const),
      probability: random() < 0.7 ? 1 : Math.round(random() * 100) / 100,
      dwell: int(50, 500),
      keep: random() < 0.2,
    });
  }
  return { seed, faults };
}

export function describeFault(fault: Fault): string {
  // down() + dropAll() acts on the whole proxy: no direction, no probability.
  const toxic = fault.kind !== 'down';
  const where = toxic ? ` ${fault.direction}` : '';
  const chance = toxic && fault.probability < 1 ? ` p${fault.probability}` : '';
  const kept = fault.keep ? ' kept' : '';
  return `${fault.kind}(${fault.params.join(', ')})${where}${chance} ${fault.dwell}ms${kept}`;
}

/** Adds the fault; returns what removes it. */
async function inject(proxy: ChaosProxy, fault: Fault): Promise<() => Promise<void>> {
  if (fault.kind === 'down') {
    // A restart as clients see it: stop accepting and drop every live connection.
    const downed = proxy.down();
    proxy.dropAll();
    await within(downed, 3000, 'the proxy to stop listening');
    return () => proxy.up();
  }
  const options = { direction: fault.direction, probability: fault.probability };
  const [a = 0, b = 0] = fault.params;
  let toxic: Toxic;
  switch (fault.kind) {
    case 'latency':
      toxic = proxy.latency(a, b, options);
      break;
    case 'blackhole':
      toxic = proxy.blackhole(options);
      break;
    case 'resetPeer':
      toxic = proxy.resetPeer(a, options);
      break;
    case 'slowClose':
      toxic = proxy.slowClose(a, options);
      break;
    case 'slicer':
      toxic = proxy.slicer(a, b, options);
      break;
    case 'limitData':
      toxic = proxy.limitData(a, options);
      break;
    case 'bandwidth':
      toxic = proxy.bandwidth(a, options);
      break;
  }
  return async () => toxic.remove();
}

/** What one schedule measured. */
export interface ScheduleResult {
  /** From the heal to the echo of a probe written after it. */
  readonly recovery: number;
  readonly attempts: number;
  readonly connects: number;
}

/** Errors that mean a bug of connback, never a fault of the network. */
const BUG_CODES: readonly string[] = [
  ErrorCode.ListenerFailed,
  ErrorCode.CloseFailed,
  ErrorCode.PingFailed,
  ErrorCode.NoClient,
];

/**
 * Runs one schedule: connect, apply each fault in order, heal everything, then require the
 * client to be connected and echoing within RECOVERY_BOUND_MS, never two client sockets open at
 * once, and a clean end (the after-each check then looks for leaks).
 */
export async function runSchedule(schedule: Schedule): Promise<ScheduleResult> {
  const server = await startTcpServer((socket) => {
    socket.write('g');
    socket.pipe(socket);
  });
  // The proxy's own draws (probabilities, latency jitter) replay from the schedule's seed too.
  const proxy = await ChaosProxy.start({
    upstream: server.port,
    random: seededRandom(schedule.seed ^ 0x5bd1e995),
  });
  const cb = createTcpConnback({
    host,
    port: proxy.port,
    keepalive: K,
    ping: 'p',
    connectTimeout: CT,
    jitter: 'none',
    initialDelay: INITIAL_DELAY,
    maxDelay: MAX_DELAY,
    closeTimeout: 500,
  });
  const rec = record(cb);
  const text = receivedText(cb);
  let recovery = Number.NaN;
  let cleanup: string | undefined;
  try {
    await waitFor(() => cb.connected, 'the first connection', 2000);
    for (const fault of schedule.faults) {
      const remove = await inject(proxy, fault);
      await sleep(fault.dwell);
      if (!fault.keep) await remove();
    }
    proxy.clear();
    await proxy.up();
    const healedAt = now();
    // A probe written after the heal on the current connection, and its echo: the path works
    // end to end. A connection that drops meanwhile is probed again on its successor.
    let probed: net.Socket | undefined;
    let probe = '';
    let probes = 0;
    await waitFor(
      () => {
        const socket = cb.client;
        if (socket === undefined) return false;
        if (socket !== probed) {
          probed = socket;
          probes += 1;
          probe = `<probe ${probes}>`;
          socket.write(probe);
        }
        return text(socket).includes(probe);
      },
      `connected and echoing within ${RECOVERY_BOUND_MS} ms of the heal`,
      RECOVERY_BOUND_MS,
    );
    recovery = now() - healedAt;
  } finally {
    // Graceful: the healed connection closes with a FIN exchange (closeTimeout 500 ms bounds it).
    cb.end();
    try {
      await waitFor(
        () => connbackSockets().every((entry) => entry.socket.destroyed),
        'every client socket closed after end()',
        2000,
      );
    } catch (error) {
      cleanup = String(error);
    }
    await within(proxy.close(), 5000, 'the proxy to close');
    await within(server.close(), 5000, 'the server to close');
  }
  expect(cleanup).toBeUndefined();
  expect(maxClientsAtOnce()).toBeLessThanOrEqual(1);
  // One socket per attempt: the filter above counts exactly the Connback's sockets.
  expect(connbackSockets()).toHaveLength(cb.stats.attempts);
  expect(grammarViolations(rec)).toEqual([]);
  expect(rec.count('close(true)') + rec.count('close(false)')).toBe(rec.count('connect'));
  expect(rec.codes().filter((code) => BUG_CODES.includes(code))).toEqual([]);
  expect(rec.count('fail:CONNBACK_ATTEMPTS_EXHAUSTED')).toBe(0);
  return { recovery, attempts: cb.stats.attempts, connects: rec.count('connect') };
}

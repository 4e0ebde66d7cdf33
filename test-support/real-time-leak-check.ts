import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, expect } from 'vitest';

/**
 * The after-each check of every real-time test (tcp and ws: real loopback sockets, real time):
 * the process's active resources must come back to what they were before the test (polled for up
 * to 1 s, as handles drain asynchronously), every client socket the test created must be closed,
 * and no promise rejection may go unhandled.
 */

/** One client socket created by `net.connect` (published on the `net.client.socket` channel). */
export interface LedgerEntry {
  readonly socket: Socket;
  readonly openedAt: number;
  closedAt: number | undefined;
}

const ledger: LedgerEntry[] = [];
diagnostics.subscribe('net.client.socket', (message) => {
  const { socket } = message as { socket: Socket };
  const now = performance.now();
  // 'close' comes a tick after destroy(): a socket already destroyed when the next one is created
  // is closed as far as overlap goes.
  for (const earlier of ledger) {
    if (earlier.closedAt === undefined && earlier.socket.destroyed) earlier.closedAt = now;
  }
  const entry: LedgerEntry = { socket, openedAt: now, closedAt: undefined };
  ledger.push(entry);
  socket.once('close', () => {
    entry.closedAt ??= performance.now();
  });
});

/** Client sockets created by `net.connect` since the test began (TLS sockets are not listed). */
export function clientSockets(): readonly LedgerEntry[] {
  return ledger;
}

/** The most client sockets that were open at the same moment, among those `keep` selects. */
export function maxOpenAtOnce(keep: (entry: LedgerEntry) => boolean = () => true): number {
  const edges: [number, number][] = [];
  for (const entry of ledger.filter(keep)) {
    edges.push([entry.openedAt, 1]);
    edges.push([entry.closedAt ?? Number.POSITIVE_INFINITY, -1]);
  }
  // Closing before opening at the same instant: a replacement is not an overlap.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, delta] of edges) {
    open += delta;
    max = Math.max(max, open);
  }
  return max;
}

const rejections: unknown[] = [];
process.on('unhandledRejection', (reason) => rejections.push(reason));

function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo())
    counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

function excess(baseline: Map<string, number>): string[] {
  const extra: string[] = [];
  for (const [name, count] of resourceCounts()) {
    const more = count - (baseline.get(name) ?? 0);
    if (more > 0) extra.push(`${more} × ${name}`);
  }
  return extra;
}

let baseline = new Map<string, number>();

beforeEach(() => {
  ledger.length = 0;
  rejections.length = 0;
  baseline = resourceCounts();
});

afterEach(async () => {
  const problems: string[] = [];
  const deadline = performance.now() + 1000;
  let extra = excess(baseline);
  while (extra.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    extra = excess(baseline);
  }
  if (extra.length > 0) problems.push(`resources left behind: ${extra.join(', ')}`);
  const open = ledger.filter((entry) => !entry.socket.destroyed);
  if (open.length > 0) problems.push(`${open.length} client socket(s) still open`);
  for (const reason of rejections) problems.push(`unhandled rejection: ${String(reason)}`);
  for (const entry of open) entry.socket.destroy();
  expect(problems, 'after-each leak check').toEqual([]);
});

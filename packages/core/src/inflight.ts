import { follow } from './results.js';

/**
 * The connector's work a Connback still waits on: the promises of `connect` and `close` that have
 * not settled. `await using` waits for it to be done, so that when the block exits every client
 * connback opened is closed — the one `end()` closed, one still closing from an earlier drop, and
 * one a cancelled attempt delivers late (connback closes it as it arrives).
 */
interface InFlight {
  count: number;
  /** Callers of `settledAll` waiting for the count to reach 0. */
  idle: (() => void)[] | undefined;
}

// Keyed by the state machine, so that neither it nor its helpers carry a field for what only
// `await using` reads; a machine nobody holds any more is forgotten with its record.
const records = new WeakMap<object, InFlight>();

function settledOne(record: InFlight): void {
  record.count -= 1;
  if (record.count > 0 || record.idle === undefined) return;
  const idle = record.idle;
  record.idle = undefined;
  for (const resolve of idle) resolve();
}

/**
 * Counts `promise` (from `promiseOf`) as work of `owner` until it settles. Call it after the
 * owner's own `follow` of the promise: then a client that a late connect delivers is being closed
 * (and counted) before the connect stops counting.
 */
export function track(owner: object, promise: Promise<unknown>): void {
  let record = records.get(owner);
  if (record === undefined) {
    record = { count: 0, idle: undefined };
    records.set(owner, record);
  }
  record.count += 1;
  const done = () => settledOne(record);
  follow(promise, done, done);
}

/** Resolves once nothing of `owner`'s is in flight (at once when nothing is). */
export function settledAll(owner: object): Promise<void> {
  const record = records.get(owner);
  if (record === undefined || record.count === 0) return Promise.resolve();
  return new Promise((resolve) => {
    record.idle ??= [];
    record.idle.push(resolve);
  });
}

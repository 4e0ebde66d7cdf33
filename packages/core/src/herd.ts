/**
 * The first retry after a stable connection, spread across the Connbacks of one process
 * (DESIGN.md semantic 5). The first Connback to drop in a quiet process retries at once, as a
 * single client always did; each one that drops while earlier ones are still waiting takes the
 * next slot, {@link SLOT_MS} later, so a herd of 2,000 that drops together retries evenly over a
 * second instead of in one instant. A slot is never later than `window` (the strategy's first
 * delay): past it, the retry lands uniformly inside the window, as full jitter would place it.
 *
 * Process-wide state is one number: no timer, no list.
 */

/** Half a millisecond per slot: up to 2,000 first retries per second, evenly. */
export const SLOT_MS = 0.5;

/** Monotonic time (ms) of the next free slot. */
let nextSlot = Number.NEGATIVE_INFINITY;
/** The time of the last call, to notice a clock that went back. */
let lastNow = Number.NEGATIVE_INFINITY;

/**
 * Milliseconds until this Connback's first retry: 0 when no other Connback of the process is
 * waiting for its own, else the next slot, within `window` ms.
 */
export function firstRetryDelay(now: number, window: number): number {
  // A process's monotonic clock never goes back; a fake one does (tests start each at real time
  // again), and a slot taken in its future must not push every later retry to the window's end.
  if (now < lastNow) nextSlot = Number.NEGATIVE_INFINITY;
  lastNow = now;
  const start = Math.max(now, nextSlot);
  const delay = start - now;
  if (delay >= window) return Math.round(Math.random() * window);
  nextSlot = start + SLOT_MS;
  return Math.round(delay);
}

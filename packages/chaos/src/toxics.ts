/**
 * The faults a {@link ChaosProxy} injects, in toxiproxy's vocabulary. Upstream is the client → server
 * direction, downstream server → client.
 */
export type Direction = 'upstream' | 'downstream';

/** Where a toxic applies and how often. */
export interface ToxicOptions {
  /**
   * The direction(s) the toxic acts on.
   * @default 'both'
   */
  direction?: Direction | 'both' | undefined;
  /**
   * The chance (0 to 1) that a given connection is affected, drawn once per connection and toxic.
   * @default 1
   */
  probability?: number | undefined;
}

/** What each kind of toxic does, with its parameters. */
export type ToxicSpec =
  /** Delays every chunk by `ms` ± `jitter` (order kept). */
  | { readonly kind: 'latency'; readonly ms: number; readonly jitter: number }
  /** Drops every chunk: the sockets stay open and nothing arrives. */
  | { readonly kind: 'blackhole' }
  /** Resets the connection (RST both ways) `afterMs` after the toxic or the connection started. */
  | { readonly kind: 'resetPeer'; readonly afterMs: number }
  /** Delays passing a close (FIN or reset) on by `ms`. */
  | { readonly kind: 'slowClose'; readonly ms: number }
  /** Closes the connection once `bytes` went through in the direction. */
  | { readonly kind: 'limitData'; readonly bytes: number }
  /** Cuts data into pieces of `size` bytes, `delayMs` apart. */
  | { readonly kind: 'slicer'; readonly size: number; readonly delayMs: number }
  /** Limits the rate to `bytesPerSecond`. */
  | { readonly kind: 'bandwidth'; readonly bytesPerSecond: number };

/** A toxic in force; `remove()` takes it away (live connections are affected at once). */
export interface Toxic {
  readonly id: number;
  readonly spec: ToxicSpec;
  readonly directions: readonly Direction[];
  readonly probability: number;
  remove(): void;
}

function invalid(what: string, got: unknown): TypeError {
  return new TypeError(`connback/chaos: ${what} (got ${String(got)})`);
}

/** Node turns a longer timer into 1 ms: durations past it are refused. */
const MAX_TIMER_MS = 2_147_483_647;

/** Checks a number parameter of a toxic (`ms`: a duration, at most the longest timer). */
export function checkAmount(name: string, value: unknown, min: number, ms = false): number {
  const max = ms ? MAX_TIMER_MS : Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`${name} must be a finite number from ${min} to ${max}`, value);
  }
  return value;
}

/** The directions and probability of toxic options, checked. */
export function resolveToxicOptions(options: ToxicOptions = {}): {
  directions: Direction[];
  probability: number;
} {
  const direction = options.direction ?? 'both';
  if (direction !== 'both' && direction !== 'upstream' && direction !== 'downstream') {
    throw invalid('direction must be "upstream", "downstream" or "both"', direction);
  }
  const probability = options.probability ?? 1;
  if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
    throw invalid('probability must be a number from 0 to 1', probability);
  }
  return {
    directions: direction === 'both' ? ['upstream', 'downstream'] : [direction],
    probability,
  };
}

/**
 * A small seeded random generator (mulberry32), so that probabilities, jitter and generated fault
 * schedules replay exactly from a printed seed.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

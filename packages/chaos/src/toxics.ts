/**
 * A direction of a proxied connection, in toxiproxy's vocabulary: `upstream` is client → server,
 * `downstream` server → client.
 */
export type Direction = 'upstream' | 'downstream';

/** Where a toxic applies and how often: the last, optional argument of each toxic method. */
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

/**
 * What a toxic does, with its parameters: the `spec` of a {@link Toxic}. `kind` tells the variants
 * apart. Durations are in milliseconds, sizes in bytes; the values are the ones passed to the
 * {@link ChaosProxy} method that added the toxic, already checked.
 */
export type ToxicSpec =
  /** Delays every chunk by `ms` ± `jitter` (order kept): {@link ChaosProxy.latency}. */
  | {
      /** The kind of toxic. */
      readonly kind: 'latency';
      /** The delay added to each chunk, in ms. */
      readonly ms: number;
      /** The most the delay varies either way, in ms (uniform, drawn per chunk); 0 for none. */
      readonly jitter: number;
    }
  /** Drops every chunk: the sockets stay open and nothing arrives ({@link ChaosProxy.blackhole}). */
  | {
      /** The kind of toxic. */
      readonly kind: 'blackhole';
    }
  /**
   * Resets the connection (RST both ways) `afterMs` after the toxic or the connection started:
   * {@link ChaosProxy.resetPeer}.
   */
  | {
      /** The kind of toxic. */
      readonly kind: 'resetPeer';
      /** The wait before the reset, in ms, from the toxic's start or the connection's accept. */
      readonly afterMs: number;
    }
  /** Delays passing a close (FIN or reset) on by `ms`: {@link ChaosProxy.slowClose}. */
  | {
      /** The kind of toxic. */
      readonly kind: 'slowClose';
      /** The delay before a close is passed on, in ms. */
      readonly ms: number;
    }
  /** Closes the connection once `bytes` went through in the direction: {@link ChaosProxy.limitData}. */
  | {
      /** The kind of toxic. */
      readonly kind: 'limitData';
      /** The bytes let through per direction, counted from the start of the connection. */
      readonly bytes: number;
    }
  /** Cuts data into pieces of `size` bytes, `delayMs` apart: {@link ChaosProxy.slicer}. */
  | {
      /** The kind of toxic. */
      readonly kind: 'slicer';
      /** The size of each piece, in bytes (the last piece of a chunk is the rest). */
      readonly size: number;
      /** The wait between two pieces of a chunk, in ms. */
      readonly delayMs: number;
    }
  /** Limits the rate to `bytesPerSecond`: {@link ChaosProxy.bandwidth}. */
  | {
      /** The kind of toxic. */
      readonly kind: 'bandwidth';
      /** The rate, in bytes per second. */
      readonly bytesPerSecond: number;
    };

/**
 * A toxic in force, as a {@link ChaosProxy} method returns it. `remove()` takes it away; live
 * connections are affected from their next chunk on.
 */
export interface Toxic {
  /** The toxic's number in its proxy: 1 for the first one added, then 2, 3… (never reused). */
  readonly id: number;
  /** What the toxic does, with its parameters (`{ kind: 'latency', ms: 100, jitter: 10 }`). */
  readonly spec: ToxicSpec;
  /** The directions it acts on: one of them, or both for `direction: 'both'` (the default). */
  readonly directions: readonly Direction[];
  /** The chance (0 to 1) that a given connection is affected, drawn once per connection. */
  readonly probability: number;
  /**
   * Takes the toxic away: the connections already open are affected no more from their next chunk
   * on, and a `resetPeer` not yet fired does nothing. A second call does nothing.
   */
  remove(): void;
}

function invalid(what: string, got: unknown): TypeError {
  return new TypeError(`connback/chaos: ${what} (got ${String(got)})`);
}

/** Node turns a longer timer into 1 ms: durations past it are refused. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Checks a number parameter of a toxic (internal).
 * @param name - The parameter's name, for the message.
 * @param value - The value given.
 * @param min - The smallest value allowed.
 * @param ms - A duration: at most the longest timer (2147483647 ms).
 * @returns The value, checked.
 * @throws TypeError naming the parameter and the value when it is not a finite number in range.
 */
export function checkAmount(name: string, value: unknown, min: number, ms = false): number {
  const max = ms ? MAX_TIMER_MS : Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`${name} must be a finite number from ${min} to ${max}`, value);
  }
  return value;
}

/**
 * The directions and probability of toxic options, checked (internal).
 * @param options - The options given to a toxic method.
 * @throws TypeError naming `direction` or `probability` when it is not valid.
 */
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
 * schedules replay exactly from a printed seed. Pass it as {@link ChaosProxyOptions.random}.
 * @param seed - Any number; it is taken as a 32-bit unsigned integer (`seed >>> 0`).
 * @returns A function returning numbers in [0, 1); the same seed gives the same sequence.
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random(); // the same first number on every run
 * ```
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

import { connecting } from './diagnostics.js';
import { ConnbackError, ErrorCode, isConnbackError } from './errors.js';
import { redactText } from './redact.js';
import { TIMERS } from './timers.js';

/**
 * How a pool picks the endpoint of an attempt among those not waiting their own delay:
 * - `'in-order'`: the first of the list (the primary), then the next. connback never drops a
 *   live connection to go back to the primary; at the next attempt the primary is tried first
 *   again once its own delay since its last failure has passed.
 * - `'round-robin'`: each attempt the next one after the last used.
 * - `'random'`: the list shuffled once, when the pool is made, then round-robin over that order.
 */
export type EndpointPolicy = 'in-order' | 'round-robin' | 'random';

/** Options of an {@link EndpointPool}. */
export interface EndpointPoolOptions<E> {
  /**
   * How each attempt picks its endpoint (see {@link EndpointPolicy}).
   * @default 'in-order'
   */
  policy?: EndpointPolicy | undefined;
  /**
   * Milliseconds an endpoint waits after its first failed attempt before it is picked again
   * (unless every endpoint is waiting); it doubles with each further failure, up to `maxDelay`.
   * @default 1000
   */
  initialDelay?: number | undefined;
  /**
   * Largest delay, in milliseconds, an endpoint waits after failures (at least `initialDelay`).
   * @default 30000
   */
  maxDelay?: number | undefined;
  /**
   * How an endpoint is named in `stats` and `onconnect` (credentials are redacted). Endpoints
   * with the same name share their counters.
   * @param endpoint One endpoint of the list, or one the function gave.
   * @returns Its name.
   * @default a string as it is, a `URL`'s `href`, `host:port`, or `unix:path`
   */
  describe?: ((endpoint: E) => string) | undefined;
  /**
   * The option name errors give, so that a transport's errors name its own option.
   * @default 'endpoints'
   */
  optionName?: string | undefined;
}

/** Counters of one endpoint, in `stats.endpoints`. */
export interface EndpointStats {
  /** The endpoint, credentials redacted. */
  readonly endpoint: string;
  /** Attempts that picked this endpoint. */
  readonly attempts: number;
  /** Attempts to it that failed (not those abandoned by `end()` or `reconnect()`). */
  readonly failures: number;
  /** Attempts to it that connected. */
  readonly connects: number;
  /** Failed attempts since its last success. */
  readonly consecutiveFailures: number;
  /** Milliseconds before the endpoint may be picked again; 0 when it may now. */
  readonly waitingFor: number;
}

interface Entry<E> {
  readonly endpoint: E;
  readonly name: string;
  attempts: number;
  failures: number;
  connects: number;
  consecutive: number;
  /** Monotonic ms before which the endpoint is not picked (unless all are waiting). */
  retryAt: number;
}

const POLICIES: readonly EndpointPolicy[] = ['in-order', 'round-robin', 'random'];

function invalid(name: string, message: string): ConnbackError {
  return new ConnbackError(ErrorCode.InvalidOption, `connback: option "${name}" ${message}`);
}

function defaultDescribe(endpoint: unknown): string {
  if (typeof endpoint === 'string') return endpoint;
  if (endpoint instanceof URL) return endpoint.href;
  if (typeof endpoint === 'object' && endpoint !== null) {
    const e = endpoint as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof e.path === 'string') return `unix:${e.path}`;
    if (e.port !== undefined) return `${String(e.host ?? 'localhost')}:${String(e.port)}`;
  }
  return String(endpoint);
}

/**
 * Several endpoints behind one connector (DESIGN.md semantic 20): each attempt picks one by the
 * policy, an endpoint that failed waits its own delay before it is picked again, and the
 * Connback's attempt budget (`maxNumOfAttempts`) counts the attempts of an outage whatever
 * endpoint they went to. A connector calls {@link pick} at the start of each attempt and
 * {@link failed} or {@link connected} at its end. With a function instead of a list, the
 * function chooses each attempt's endpoint and the pool only counts.
 */
export class EndpointPool<E> {
  /** How each attempt picks its endpoint. */
  readonly policy: EndpointPolicy;
  readonly #source: (() => E | null | undefined) | undefined;
  readonly #entries: Entry<E>[] = [];
  readonly #byName = new Map<string, Entry<E>>();
  readonly #describe: (endpoint: E) => string;
  readonly #initialDelay: number;
  readonly #maxDelay: number;
  readonly #optionName: string;
  #cursor = 0;

  /**
   * Makes a pool.
   * @param endpoints The endpoints, or a function called at each attempt that returns the one to
   *   try.
   * @param options `policy`, the delays (ms) and how endpoints are named.
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` for an empty list, an empty entry or an
   *   unknown policy.
   */
  constructor(
    endpoints: readonly E[] | (() => E | null | undefined),
    options: EndpointPoolOptions<E> = {},
  ) {
    const name = options.optionName ?? 'endpoints';
    this.#optionName = name;
    const policy = options.policy ?? 'in-order';
    if (!POLICIES.includes(policy)) {
      throw invalid(
        `${name}Policy`,
        `must be 'in-order', 'round-robin' or 'random' (got ${String(policy)})`,
      );
    }
    this.policy = policy;
    this.#describe = options.describe ?? defaultDescribe;
    this.#initialDelay = options.initialDelay ?? 1000;
    this.#maxDelay = Math.max(options.maxDelay ?? 30_000, this.#initialDelay);
    if (typeof endpoints === 'function') {
      this.#source = endpoints;
      return;
    }
    this.#source = undefined;
    if (!Array.isArray(endpoints) || endpoints.length === 0) {
      throw invalid(name, 'must be a non-empty list or a function called per attempt');
    }
    const list = [...endpoints];
    if (policy === 'random') {
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [list[i], list[j]] = [list[j] as E, list[i] as E];
      }
    }
    for (const endpoint of list) {
      if (endpoint === undefined || endpoint === null) {
        throw invalid(name, 'must not hold an empty entry');
      }
      this.#entry(endpoint);
    }
  }

  #entry(endpoint: E): Entry<E> {
    const name = redactText(this.#describe(endpoint));
    let entry = this.#byName.get(name);
    if (entry === undefined) {
      entry = { endpoint, name, attempts: 0, failures: 0, connects: 0, consecutive: 0, retryAt: 0 };
      this.#byName.set(name, entry);
      this.#entries.push(entry);
    }
    return entry;
  }

  /** The list, in the order the policy walks it (shuffled for `'random'`); empty for a function. */
  get endpoints(): readonly E[] {
    return this.#source === undefined ? this.#entries.map((e) => e.endpoint) : [];
  }

  /**
   * The endpoint of the attempt starting now, counted as an attempt: the first ready one in
   * policy order, else the one whose delay ends first.
   * @returns The endpoint to connect to.
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` when the function gave no endpoint.
   */
  pick(): E {
    if (this.#source !== undefined) {
      const endpoint = this.#source();
      if (endpoint === undefined || endpoint === null || (endpoint as unknown) === '') {
        throw invalid(this.#optionName, `function returned no endpoint (got ${String(endpoint)})`);
      }
      const entry = this.#entry(endpoint);
      entry.attempts += 1;
      this.#traced(entry.name);
      return endpoint;
    }
    const now = TIMERS.now();
    const entries = this.#entries;
    const n = entries.length;
    const start = this.policy === 'in-order' ? 0 : this.#cursor;
    let chosen: Entry<E> | undefined;
    let index = 0;
    // The first ready one in policy order, else the one whose delay ends first.
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      const entry = entries[i] as Entry<E>;
      if (entry.retryAt <= now) {
        chosen = entry;
        index = i;
        break;
      }
      if (chosen === undefined || entry.retryAt < chosen.retryAt) {
        chosen = entry;
        index = i;
      }
    }
    const entry = chosen as Entry<E>;
    this.#cursor = (index + 1) % n;
    entry.attempts += 1;
    this.#traced(entry.name);
    return entry.endpoint;
  }

  /** Names the endpoint on the context of the traced attempt picking it, if any (diagnostics). */
  #traced(name: string): void {
    const context = connecting.context;
    if (context !== undefined) context.endpoint = name;
  }

  /**
   * Milliseconds until some endpoint may be picked: 0 when one may now; undefined for a function
   * (it decides alone).
   */
  readyIn(): number | undefined {
    if (this.#source !== undefined) return undefined;
    const now = TIMERS.now();
    let soonest = Number.POSITIVE_INFINITY;
    for (const entry of this.#entries) {
      if (entry.retryAt <= now) return 0;
      soonest = Math.min(soonest, entry.retryAt - now);
    }
    return soonest;
  }

  /**
   * An attempt to `endpoint` failed with `error`: it waits its own, growing delay. An attempt
   * abandoned by `end()` or `reconnect()` (`CONNBACK_ENDED`, `CONNBACK_CANCELLED`) says nothing
   * about the endpoint and is not counted; a timeout or any other error is.
   * @param endpoint The endpoint {@link pick} gave.
   * @param error Why the attempt failed.
   */
  failed(endpoint: E, error?: unknown): void {
    if (isConnbackError(error, ErrorCode.Ended) || isConnbackError(error, ErrorCode.Cancelled)) {
      return;
    }
    const entry = this.#byName.get(redactText(this.#describe(endpoint)));
    if (entry === undefined) return;
    entry.failures += 1;
    entry.consecutive += 1;
    const delay = Math.min(this.#maxDelay, this.#initialDelay * 2 ** (entry.consecutive - 1));
    entry.retryAt = TIMERS.now() + delay;
  }

  /**
   * An attempt to `endpoint` connected: its delay starts over.
   * @param endpoint The endpoint {@link pick} gave.
   */
  connected(endpoint: E): void {
    const entry = this.#byName.get(redactText(this.#describe(endpoint)));
    if (entry === undefined) return;
    entry.connects += 1;
    entry.consecutive = 0;
    entry.retryAt = 0;
  }

  /**
   * The endpoint's name as `stats` and `onconnect` give it, credentials redacted.
   * @param endpoint Any endpoint, listed or not.
   */
  describe(endpoint: E): string {
    return redactText(this.#describe(endpoint));
  }

  /** Counters of every endpoint tried or listed. */
  stats(): EndpointStats[] {
    const now = TIMERS.now();
    return this.#entries.map((e) => ({
      endpoint: e.name,
      attempts: e.attempts,
      failures: e.failures,
      connects: e.connects,
      consecutiveFailures: e.consecutive,
      waitingFor: Math.max(0, e.retryAt - now),
    }));
  }
}

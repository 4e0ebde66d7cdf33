import { RetryBudget } from './budget.js';
import { ALWAYS_ONLINE, type ConnbackEnvironment } from './environment.js';
import { ConnbackError, ErrorCode } from './errors.js';

/** The delays a backoff strategy produces; `reset()` starts the sequence over. */
export interface BackoffStrategyLike {
  /** The next delay in milliseconds, before jitter and before the `maxDelay` cap. */
  next(): number;
  /** Starts the sequence over, as after a stable connection. */
  reset(): void;
}

/** What a custom strategy class is constructed with (the resolved options). */
export interface BackoffStrategyOptions {
  /** The `initialDelay` option: the first delay, in ms. */
  readonly initialDelay: number;
  /** The `maxDelay` option: the largest delay, in ms (connback caps every delay at it too). */
  readonly maxDelay: number;
  /** The `factor` option: the growth factor (at least 1). */
  readonly factor: number;
}

/**
 * A custom backoff strategy: a class constructed with the resolved delay options.
 * @param options `initialDelay`, `maxDelay` (ms) and `factor`, resolved.
 */
export type BackoffStrategyClass = new (options: BackoffStrategyOptions) => BackoffStrategyLike;

/** Built-in strategy names. */
export type BackoffStrategyName = 'fibonacci' | 'exponential';

/**
 * Built-in jitter names: `full` draws uniformly from [0, delay]; `equal` from [delay / 2, delay]
 * (never an immediate retry: gentler on a restarting server when many clients drop together);
 * `none` keeps the delay as it is.
 */
export type JitterName = 'full' | 'equal' | 'none';

/**
 * A custom jitter: receives the capped delay (ms), returns the delay to wait (ms).
 * @param delay The backoff delay after the `maxDelay` cap, in ms.
 * @returns The delay to wait, in ms.
 */
export type JitterFunction = (delay: number) => number;

/**
 * Options of a Connback. Every option is optional; defaults are those of `@connback/core` 0.1.7
 * plus the additions `minUptime`, `retry`, `lazyConnect`, `unref`, `probeTimeout` and
 * `environment`.
 */
export interface ConnbackOptions {
  /**
   * Keepalive period in **seconds** (fractions allowed); `0` disables the heartbeat. A dead peer
   * is detected within 2 × keepalive.
   * @default 60
   */
  keepalive?: number | undefined;
  /**
   * Milliseconds a probe waits for an answer before the connection is dropped with
   * `CONNBACK_KEEPALIVE_TIMEOUT`, capped at `keepalive`. A probe goes out on a wake-up (the
   * process was stopped or the machine slept), when the environment says the network changed
   * or the page became visible, and on `probe()`.
   * @default 5000
   */
  probeTimeout?: number | undefined;
  /**
   * Network and visibility signals ({@link ConnbackEnvironment}); none needed in Node. In a
   * browser pass `browserEnvironment()` of `@connback/ws` (its `createWsConnback` does by itself).
   * @default an environment that is always online and visible
   */
  environment?: ConnbackEnvironment | undefined;
  /**
   * Milliseconds an attempt may take before its token is cancelled and it fails with
   * `CONNBACK_CONNECT_TIMEOUT`; `0` disables the timeout.
   * @default 30000
   */
  connectTimeout?: number | undefined;
  /**
   * Backoff strategy: `'fibonacci'`, `'exponential'` or a strategy class, constructed with the
   * resolved delay options, whose prototype has `next()` and `reset()`. A strategy that throws is
   * reported through `onerror` and gives `maxDelay` for that delay.
   * @default 'fibonacci'
   * @throws ConnbackError `CONNBACK_INVALID_OPTION` at construction for any other value (an arrow
   *   function, a class without `next()` or `reset()`).
   */
  strategy?: BackoffStrategyName | BackoffStrategyClass | undefined;
  /**
   * Jitter applied to every backoff delay: `'full'`, `'equal'`, `'none'` or a function. A jitter
   * function that throws is reported through `onerror` and that delay goes without jitter.
   * @default 'full'
   */
  jitter?: JitterName | JitterFunction | undefined;
  /**
   * First backoff delay in milliseconds (at least 1).
   * @default 1000
   */
  initialDelay?: number | undefined;
  /**
   * Largest backoff delay in milliseconds (at least `initialDelay`).
   * @default 30000
   */
  maxDelay?: number | undefined;
  /**
   * Attempts allowed in one outage before the Connback fails (`onfail`); `Infinity` never fails.
   * @default Infinity
   */
  maxNumOfAttempts?: number | undefined;
  /**
   * Growth factor of the `'exponential'` strategy (at least 1).
   * @default 2
   */
  factor?: number | undefined;
  /**
   * Wait a backoff delay before the first attempt after a drop too. The very first connect is never
   * delayed.
   * @default false
   */
  delayFirstAttempt?: boolean | undefined;
  /**
   * Milliseconds a connection must stay up before the attempt counter and the backoff reset. A
   * server that accepts and drops at once therefore sees growing delays, never a storm.
   * @default 1000
   */
  minUptime?: number | undefined;
  /**
   * Called after each failed attempt, with its error and number (1 for the first of an outage),
   * and after a live connection is lost with an error (a reset, a keepalive timeout...), with the
   * attempts counted in the outage so far (0 after a stable connection). Return `false` to stop:
   * the Connback fails with that error. A throw is reported and counts as `true`.
   * @param error The error of the failed attempt or of the lost connection.
   * @param attempt The attempt's number within the outage (0 after a stable connection).
   * @returns False to stop reconnecting.
   * @default () => true
   */
  retry?: ((error: Error, attempt: number) => boolean) | undefined;
  /**
   * Do not connect until `start()`, `ready()` or `reconnect()` is called.
   * @default false
   */
  lazyConnect?: boolean | undefined;
  /**
   * Unref connback's timers (Node), so that a reconnecting Connback alone does not keep the process
   * alive.
   * @default false
   */
  unref?: boolean | undefined;
  /**
   * A {@link RetryBudget} shared with other Connbacks: every automatic attempt waits its backoff
   * delay and then for the budget (the later of the two wins). `'default'` uses the process
   * default set with `RetryBudget.setDefault()`, if any, at construction; `'none'` uses none.
   * @default 'default'
   */
  budget?: RetryBudget | 'default' | 'none' | undefined;
}

/** The 0.1.7 name of {@link ConnbackOptions}. */
export type ConnbackOpts = ConnbackOptions;

/** Options with every default filled in, as the `options` getter returns them. */
export type ResolvedConnbackOptions = {
  readonly [K in keyof ConnbackOptions]-?: Exclude<ConnbackOptions[K], undefined>;
};

/** Node clamps larger timer delays to 1 ms; refusing them beats a surprise storm. */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** The defaults of every option (frozen); what `options` holds when none is given. */
export const DEFAULT_OPTIONS: ResolvedConnbackOptions = Object.freeze({
  keepalive: 60,
  probeTimeout: 5000,
  environment: ALWAYS_ONLINE,
  connectTimeout: 30_000,
  strategy: 'fibonacci',
  jitter: 'full',
  initialDelay: 1000,
  maxDelay: 30_000,
  maxNumOfAttempts: Number.POSITIVE_INFINITY,
  factor: 2,
  delayFirstAttempt: false,
  minUptime: 1000,
  retry: () => true,
  lazyConnect: false,
  unref: false,
  budget: 'default',
});

/** How a bad value is shown in a message: a function by its name, never by its source. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') {
    const kind = /^class[\s{]/.test(Function.prototype.toString.call(value)) ? 'class' : 'function';
    return value.name === '' ? `an anonymous ${kind}` : `${kind} ${value.name}`;
  }
  return String(value);
}

function invalid(name: string, expected: string, got: unknown): ConnbackError {
  return new ConnbackError(
    ErrorCode.InvalidOption,
    `connback: option "${name}" must be ${expected} (got ${show(got)})`,
  );
}

function checkNumber(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `between ${min} and ${max}`;
    throw invalid(name, `a number ${range}`, value);
  }
}

function checkBoolean(name: string, value: unknown): void {
  if (typeof value !== 'boolean') throw invalid(name, 'a boolean', value);
}

function checkChoice(name: string, value: unknown, names: readonly string[], kind: string): void {
  if (typeof value === 'function') return;
  if (typeof value !== 'string' || !names.includes(value)) {
    throw invalid(name, `${names.map((n) => `'${n}'`).join(', ')} or a ${kind}`, value);
  }
}

const STRATEGY_NAMES: readonly BackoffStrategyName[] = ['fibonacci', 'exponential'];

/**
 * A strategy is a name or a class whose prototype has `next()` and `reset()`: an arrow
 * function (no prototype) or a class without them would only fail at the first backoff delay.
 */
function checkStrategy(value: unknown): void {
  checkChoice('strategy', value, STRATEGY_NAMES, 'class with next() and reset() methods');
  if (typeof value !== 'function') return;
  const prototype: unknown = (value as { prototype?: unknown }).prototype;
  if (typeof prototype !== 'object' || prototype === null) {
    throw invalid('strategy', 'a class (an arrow function cannot be constructed)', value);
  }
  const methods = prototype as Partial<BackoffStrategyLike>;
  if (typeof methods.next !== 'function' || typeof methods.reset !== 'function') {
    throw invalid('strategy', 'a class with next() and reset() methods', value);
  }
}

/**
 * Options resolved before, by the names and values given, in the order given: applications make
 * many Connbacks with the same options, and each would otherwise pay for a copy of the defaults
 * and its checks. Only primitive values are remembered (a function is never kept alive by this),
 * and at most {@link MEMO_LIMIT} sets. A lookup allocates nothing.
 */
interface Memo {
  next: Map<string, Map<unknown, Memo>> | undefined;
  resolved: ResolvedConnbackOptions | undefined;
}
const memo: Memo = { next: undefined, resolved: undefined };
const MEMO_LIMIT = 256;
let memoSize = 0;

function isPrimitive(value: unknown): boolean {
  return value === undefined || (typeof value !== 'object' && typeof value !== 'function');
}

function remembered(options: object): ResolvedConnbackOptions | undefined {
  let node: Memo | undefined = memo;
  for (const key in options) {
    node = node.next?.get(key)?.get((options as Record<string, unknown>)[key]);
    if (node === undefined) return undefined;
  }
  return node.resolved;
}

function remember(options: object, resolved: ResolvedConnbackOptions): void {
  if (memoSize >= MEMO_LIMIT) return;
  let node = memo;
  for (const key in options) {
    const value = (options as Record<string, unknown>)[key];
    if (!isPrimitive(value)) return;
    node.next ??= new Map();
    let byValue = node.next.get(key);
    if (byValue === undefined) {
      byValue = new Map();
      node.next.set(key, byValue);
    }
    let child = byValue.get(value);
    if (child === undefined) {
      child = { next: undefined, resolved: undefined };
      byValue.set(value, child);
    }
    node = child;
  }
  if (node.resolved === undefined) memoSize += 1;
  node.resolved = resolved;
}

/**
 * Fills in the defaults and validates every option. Equal options give the same frozen object.
 * @throws ConnbackError `CONNBACK_INVALID_OPTION`, naming the option, for an unknown option or a
 *   value out of range.
 */
export function resolveOptions(options: ConnbackOptions | undefined): ResolvedConnbackOptions {
  // The defaults are valid and frozen already: nothing to copy or check.
  if (options === undefined) return DEFAULT_OPTIONS;
  if (typeof options !== 'object' || options === null) {
    throw invalid('options', 'an object', options);
  }
  const known = remembered(options);
  if (known !== undefined) return known;
  const resolved = check(options);
  remember(options, resolved);
  return resolved;
}

function check(options: ConnbackOptions): ResolvedConnbackOptions {
  const o = { ...DEFAULT_OPTIONS } as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(DEFAULT_OPTIONS, key)) {
      throw new ConnbackError(
        ErrorCode.InvalidOption,
        `connback: unknown option "${key}" (known: ${Object.keys(DEFAULT_OPTIONS).join(', ')})`,
      );
    }
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) o[key] = value;
  }
  const r = o as { -readonly [K in keyof ResolvedConnbackOptions]: ResolvedConnbackOptions[K] };

  checkNumber('keepalive', r.keepalive, 0, MAX_TIMER_DELAY / 1000);
  checkNumber('probeTimeout', r.probeTimeout, 1, MAX_TIMER_DELAY);
  if (typeof r.environment !== 'object' || r.environment === null) {
    throw invalid('environment', 'an object', r.environment);
  }
  checkNumber('connectTimeout', r.connectTimeout, 0, MAX_TIMER_DELAY);
  checkNumber('initialDelay', r.initialDelay, 1, MAX_TIMER_DELAY);
  checkNumber('maxDelay', r.maxDelay, 1, MAX_TIMER_DELAY);
  if (r.maxDelay < r.initialDelay) {
    throw invalid('maxDelay', `at least initialDelay (${r.initialDelay})`, r.maxDelay);
  }
  checkNumber('maxNumOfAttempts', r.maxNumOfAttempts, 1, Number.POSITIVE_INFINITY);
  if (r.maxNumOfAttempts !== Number.POSITIVE_INFINITY && !Number.isInteger(r.maxNumOfAttempts)) {
    throw invalid('maxNumOfAttempts', 'a whole number or Infinity', r.maxNumOfAttempts);
  }
  checkNumber('factor', r.factor, 1, Number.MAX_VALUE);
  checkNumber('minUptime', r.minUptime, 0, MAX_TIMER_DELAY);
  checkStrategy(r.strategy);
  checkChoice('jitter', r.jitter, ['full', 'equal', 'none'], 'function');
  checkBoolean('delayFirstAttempt', r.delayFirstAttempt);
  checkBoolean('lazyConnect', r.lazyConnect);
  checkBoolean('unref', r.unref);
  if (r.budget !== 'default' && r.budget !== 'none' && !(r.budget instanceof RetryBudget)) {
    throw invalid('budget', "a RetryBudget, 'default' or 'none'", r.budget);
  }
  if (typeof r.retry !== 'function') throw invalid('retry', 'a function', r.retry);
  return Object.freeze(r);
}

import type {
  AttemptToken,
  BackoffStrategyOptions,
  Connback,
  ConnbackOptions,
  JitterFunction,
} from '../../src/index.js';
import { ErrorCode, isConnbackError } from '../../src/index.js';
import { type FakeClient, FakeConnector, thenable } from '../support/fake-connector.js';
import { type Harness, harness } from '../support/harness.js';

/**
 * The system under test of the model: a Connback on a fake connector, the ledger of what the
 * connector saw, and (for the re-entrant model, R10) the hooks: one-shot actions that run at the
 * next place connback calls out to, and call back into it.
 */

/** Every place connback calls out to: listeners, the connector, the token, the options. */
export const PLACES = [
  'onstatechange',
  'onconnect',
  'onreconnect',
  'onclose',
  'onerror',
  'onoffline',
  'onend',
  'onfail',
  'connect',
  'close',
  'ping',
  'canPing',
  'retryable',
  'token',
  'retry',
  'strategy',
  'jitter',
  'then',
] as const;
export type Place = (typeof PLACES)[number];

/** What a hook does there, in order; `throw` throws from that place. */
export const CALLS = [
  'end',
  'end(true)',
  'reconnect',
  'start',
  'ready',
  'feedError',
  'feedClose',
  'feedClose(true)',
  'feedHeartbeat',
  'throw',
] as const;
export type Call = (typeof CALLS)[number];

/** How many hooks fired at each place, and how often each call was made, over a property. */
export const coverage = {
  places: new Map<Place, number>(),
  calls: new Map<Call, number>(),
};

export interface Hook {
  readonly place: Place;
  readonly calls: readonly Call[];
}

export interface ModelOptions {
  keepalive: number;
  connectTimeout: number;
  initialDelay: number;
  maxDelay: number;
  maxNumOfAttempts: number;
  minUptime: number;
  jitter: 'none' | 'full' | 'hooked';
  strategy: 'fibonacci' | 'hooked';
  lazyConnect: false;
}

export interface Model {
  readonly options: ModelOptions;
  /** True for the re-entrant model: hooks, markers and the grammar of semantic 15. */
  readonly reentrant: boolean;
  /** Log length right after end(); until a reconnect() no connect may appear after it (R1). */
  endMark: number | undefined;
  /** Positions (among events) of the onreconnect of a reconnect() that replaced an attempt. */
  readonly replaced: Set<number>;
  /** The live client and the fake time it last showed life (its connect or a fed heartbeat). */
  life: { client: FakeClient; at: number } | undefined;
}

/** A promise a command or a hook got from ready() or reconnect(), and how it settled. */
export interface Tracked {
  readonly made: string;
  outcome: { client: FakeClient } | { error: unknown } | undefined;
}

export interface Real {
  readonly h: Harness;
  readonly connector: ModelConnector;
  /** Every client that was the argument of an onconnect event. */
  readonly emitted: Set<FakeClient>;
  /** Clients the test resolved after their attempt was cancelled. */
  readonly late: Set<FakeClient>;
  /** Rules broken inside this test's own listeners. */
  readonly problems: string[];
  /** Hooks armed, oldest first; each fires once. */
  readonly hooks: Hook[];
  /** Hooks that fired so far. */
  fired: number;
  readonly promises: Tracked[];
  /** Numbers the errors the test creates, so each one is found in the log by its message. */
  seq: number;
}

/**
 * The fake connector of the model: it remembers which attempt token produced each client and
 * how many `close` calls failed because of its close script; with hooks it runs them inside
 * every one of its methods and the token's listeners.
 */
export class ModelConnector extends FakeConnector {
  readonly tokenOf = new Map<FakeClient, AttemptToken>();
  closeFailures = 0;
  /** Runs the hooks armed at a place (the re-entrant model sets it). */
  at: ((place: Place) => void) | undefined;

  constructor(reentrant: boolean) {
    super();
    const close = this.close;
    this.close = (client: FakeClient, force?: boolean) => {
      const failing = this.closeScript === 'throw' || this.closeScript === 'reject';
      if (failing) this.closeFailures += 1;
      const result = close(client, force);
      try {
        this.at?.('close');
      } catch (error) {
        // The hook's throw replaces what close returned: one failure either way.
        if (result instanceof Promise) result.catch(() => undefined);
        if (!failing) this.closeFailures += 1;
        throw error;
      }
      return result;
    };
    this.onConnect = () => this.at?.('connect');
    this.onPing = () => this.at?.('ping');
    const connect = this.connect;
    this.connect = (connback: Connback<FakeClient>, token: AttemptToken) => {
      if (reentrant) {
        token.onCancellationRequested(() => {
          this.cancelled?.();
          this.at?.('token');
        });
      }
      const result = connect(connback, token);
      if (result instanceof Promise) {
        // Registered before connback's own `then`, so it runs first.
        result.then(
          (client) => {
            if (client !== undefined) this.tokenOf.set(client, token);
          },
          () => undefined,
        );
      } else if (isFakeClient(result)) {
        this.tokenOf.set(result, token);
      } else if (hasThen(result)) {
        // A hostile thenable: the client it may give is recorded when it gives it.
        return this.#watched(result, token) as Promise<FakeClient>;
      }
      return result;
    };
    if (reentrant) {
      const model = this as unknown as {
        canPing: (client: FakeClient) => boolean;
        retryable: (error: Error) => boolean;
      };
      model.canPing = () => {
        this.at?.('canPing');
        return true;
      };
      model.retryable = () => {
        this.at?.('retryable');
        return true;
      };
    }
  }

  /** Set by the model to mark each cancellation in the log. */
  cancelled: (() => void) | undefined;

  /** The same thenable, whose `then` also runs the hooks and records the client it gives. */
  #watched(inner: PromiseLike<FakeClient>, token: AttemptToken): PromiseLike<FakeClient> {
    return thenable(
      (onFulfilled: (client: FakeClient) => unknown, onRejected: (e: unknown) => unknown) => {
        try {
          this.at?.('then');
        } catch (error) {
          // Connback never follows this connect again: it must never give a client either.
          for (const pending of this.pending) if (pending.token === token) pending.settled = true;
          throw error;
        }
        const record = (client: FakeClient) => {
          if (isFakeClient(client)) this.tokenOf.set(client, token);
          return onFulfilled(client);
        };
        return (inner.then as (a: unknown, b: unknown) => unknown).call(inner, record, onRejected);
      },
    );
  }
}

/** A thenable whose `then` can be read (one whose getter throws is passed on as it is). */
function hasThen(value: unknown): value is PromiseLike<FakeClient> {
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}

function isFakeClient(value: unknown): value is FakeClient {
  return typeof value === 'object' && value !== null && 'id' in value && 'open' in value;
}

/** The options of a run: the hooked strategy and jitter call out to the hooks too. */
function connbackOptions(options: ModelOptions, at: (place: Place) => void): ConnbackOptions {
  const { jitter, strategy, ...rest } = options;
  const full: JitterFunction = (delay) => Math.random() * delay;
  class HookedStrategy {
    readonly #initial: number;
    #delay = 0;

    constructor({ initialDelay }: BackoffStrategyOptions) {
      this.#initial = initialDelay;
    }

    next(): number {
      at('strategy');
      this.#delay = this.#delay === 0 ? this.#initial : this.#delay * 2;
      return this.#delay;
    }

    reset(): void {
      at('strategy');
      this.#delay = 0;
    }
  }
  return {
    ...rest,
    jitter:
      jitter === 'hooked'
        ? (delay) => {
            at('jitter');
            return full(delay);
          }
        : jitter,
    strategy: strategy === 'hooked' ? HookedStrategy : strategy,
    retry: () => {
      at('retry');
      return true;
    },
  };
}

/** Runs the first hook armed at `place`, if any (the hook is gone afterwards). */
function runHook(m: Model, r: Real, place: Place): void {
  const index = r.hooks.findIndex((hook) => hook.place === place);
  if (index < 0) return;
  const [hook] = r.hooks.splice(index, 1);
  if (hook === undefined) return;
  r.fired += 1;
  coverage.places.set(place, (coverage.places.get(place) ?? 0) + 1);
  for (const call of hook.calls) {
    coverage.calls.set(call, (coverage.calls.get(call) ?? 0) + 1);
    perform(m, r, call, place);
  }
}

/** Makes one call into the Connback, with its marker in the log first. */
export function perform(m: Model, r: Real, call: Call, from: string): void {
  const { cb, log } = r.h;
  if (call === 'throw') throw new Error(`hook threw in ${from}`);
  log.push(`x:${call} in ${from}`);
  switch (call) {
    case 'end':
      cb.end();
      break;
    case 'end(true)':
      cb.end(true);
      break;
    case 'reconnect':
      track(r, `reconnect() in ${from}`, cb.reconnect());
      break;
    case 'ready':
      track(r, `ready() in ${from}`, cb.ready());
      break;
    case 'start':
      cb.start();
      break;
    case 'feedError':
      cb.feedError(new Error(`hook-${++r.seq}`));
      break;
    case 'feedClose':
      cb.feedClose();
      break;
    case 'feedClose(true)':
      cb.feedClose(true);
      break;
    case 'feedHeartbeat': {
      const client = cb.client;
      cb.feedHeartbeat();
      if (client !== undefined && m.life?.client === client) m.life.at = Date.now();
      break;
    }
  }
}

/** Records how a promise of ready() or reconnect() settles. */
export function track(r: Real, made: string, promise: Promise<FakeClient>): void {
  const tracked: Tracked = { made, outcome: undefined };
  r.promises.push(tracked);
  promise.then(
    (client) => {
      tracked.outcome = { client };
    },
    (error: unknown) => {
      tracked.outcome = { error };
    },
  );
}

export function createReal(m: Model): Real {
  const { options } = m;
  const connector = new ModelConnector(m.reentrant);
  const hooks: Hook[] = [];
  let real: Real | undefined;
  const at = (place: Place) => {
    if (real !== undefined) runHook(m, real, place);
  };
  const h = harness(connbackOptions(options, at), connector);
  real = {
    h,
    connector,
    emitted: new Set(),
    late: new Set(),
    problems: [],
    hooks,
    fired: 0,
    promises: [],
    seq: 0,
  };
  const r = real;
  // Subscribed after the harness recorder, so the log already holds this connect.
  h.cb.onconnect((client) => {
    const token = connector.tokenOf.get(client);
    if (token === undefined) {
      r.problems.push(`connect#${client.id}: no connect call gave this client`);
    } else if (token.isCancellationRequested) {
      r.problems.push(`connect#${client.id}: emitted although its attempt token was cancelled`);
    }
    if (r.late.has(client)) r.problems.push(`connect#${client.id}: a late client was emitted`);
    if (r.emitted.has(client)) r.problems.push(`connect#${client.id}: emitted twice`);
    r.emitted.add(client);
    // Opening counts as a sign of life (7).
    m.life = { client, at: Date.now() };
  });
  h.cb.onerror((error) => {
    if (!isConnbackError(error) || error.code !== ErrorCode.KeepaliveTimeout) return;
    // 7: only a peer silent for a whole period after a ping is declared dead.
    const silent = m.life === undefined ? Number.NaN : Date.now() - m.life.at;
    if (!(silent >= 1000 * options.keepalive)) {
      r.problems.push(`7: keepalive timeout after only ${silent} ms of silence`);
    }
  });
  if (m.reentrant) {
    connector.at = at;
    connector.cancelled = () => h.log.push('x:cancel');
    // The hooks' own listeners come last: every other listener has seen the event by then,
    // unless a hook's call delivers the rest first (which is what semantic 15 demands).
    const { cb } = h;
    cb.onstatechange(() => at('onstatechange'));
    cb.onconnect(() => at('onconnect'));
    cb.onreconnect(() => at('onreconnect'));
    cb.onclose(() => at('onclose'));
    cb.onerror(() => at('onerror'));
    cb.onoffline(() => at('onoffline'));
    cb.onend(() => at('onend'));
    cb.onfail(() => at('onfail'));
  }
  return real;
}

import type { AttemptToken, Connback, Connector } from '../../src/index.js';

/** A client the fake connector created; `open` until connback closes it. */
export interface FakeClient {
  readonly id: number;
  open: boolean;
  closedWithForce: boolean | undefined;
}

/**
 * Thenables no well-behaved connector returns (DESIGN.md semantic 16): connback must treat each
 * as `Promise.resolve` would.
 * - `then-throws`, `then-getter-throws`: a failed attempt with what they threw;
 * - `then-resolves-at-once`: `then` calls its resolve callback before returning (with a client);
 * - `then-resolves-then-throws`: resolves, then throws (the throw must be ignored);
 * - `then-rejects-at-once`: `then` calls its reject callback before returning;
 * - `foreign-pending`: a plain thenable over a connect the test settles by hand.
 */
export type HostileThenable =
  | 'then-throws'
  | 'then-getter-throws'
  | 'then-resolves-at-once'
  | 'then-resolves-then-throws'
  | 'then-rejects-at-once'
  | 'foreign-pending';

/** An object with the given `then`: a thenable no well-behaved code would write. */
export function thenable(then: (...args: never[]) => unknown): PromiseLike<never> {
  return Object.defineProperty({}, 'then', { value: then, enumerable: true }) as PromiseLike<never>;
}

/** What the next `connect` call does. */
export type ConnectScript =
  | { kind: 'pending' }
  | { kind: 'resolve' }
  | { kind: 'resolve-sync' }
  | { kind: 'resolve-undefined' }
  | { kind: 'reject'; error: Error }
  | { kind: 'throw'; error: Error }
  | { kind: 'hostile'; how: HostileThenable };

/** A connect call the test settles by hand (or never). */
export interface PendingConnect {
  readonly token: AttemptToken;
  settled: boolean;
  /** Creates a client and resolves the attempt with it; returns the client. */
  resolve(): FakeClient;
  reject(error?: Error): void;
}

export type CloseScript = 'ok' | 'throw' | 'reject' | 'hang';
export type PingScript = 'ok' | 'throw' | 'reject';

/**
 * A scripted connector: each `connect` follows the next script in the queue (default: pending,
 * settled by the test). It keeps a ledger of every client it created and which are still open.
 */
export class FakeConnector implements Connector<FakeClient> {
  readonly scripts: ConnectScript[] = [];
  readonly pending: PendingConnect[] = [];
  readonly clients: FakeClient[] = [];
  readonly closes: { client: FakeClient; force: boolean }[] = [];
  readonly pings: FakeClient[] = [];
  connects = 0;
  closeScript: CloseScript = 'ok';
  pingScript: PingScript = 'ok';
  /** Set by a test to run inside `connect`, e.g. to re-enter the Connback. */
  onConnect: ((connback: Connback<FakeClient>) => void) | undefined;
  /** Set by a test to run inside `close`, after the client was marked closed. */
  onClose: ((client: FakeClient, force: boolean) => void) | undefined;
  /** Set by a test to run inside `ping`, before the ping script. */
  onPing: ((client: FakeClient) => void) | undefined;
  #nextId = 1;

  /** Queues what the next connect calls do. */
  script(...scripts: ConnectScript[]): this {
    this.scripts.push(...scripts);
    return this;
  }

  get openClients(): FakeClient[] {
    return this.clients.filter((c) => c.open);
  }

  /** Connect calls neither settled nor cancelled: an attempt connback still waits on. */
  get inFlight(): PendingConnect[] {
    return this.pending.filter((p) => !p.settled && !p.token.isCancellationRequested);
  }

  /** The newest connect call. */
  get lastPending(): PendingConnect {
    const last = this.pending.at(-1);
    if (last === undefined) throw new Error('no connect call yet');
    return last;
  }

  #newClient(): FakeClient {
    const client: FakeClient = { id: this.#nextId++, open: true, closedWithForce: undefined };
    this.clients.push(client);
    return client;
  }

  connect = (
    connback: Connback<FakeClient>,
    token: AttemptToken,
  ): Promise<FakeClient> | FakeClient => {
    this.connects += 1;
    this.onConnect?.(connback);
    const script = this.scripts.shift() ?? { kind: 'pending' };
    switch (script.kind) {
      case 'throw':
        throw script.error;
      case 'resolve-sync':
        return this.#newClient();
      case 'hostile':
        // Typed as a promise: to connback it is one, whatever it does.
        return this.#hostile(script.how, token) as Promise<FakeClient>;
      default:
        return this.#promise(script, token);
    }
  };

  /** A connect that is a promise, settled as the script says or later by the test. */
  #promise(script: ConnectScript, token: AttemptToken): Promise<FakeClient> {
    return new Promise<FakeClient>((resolve, reject) => {
      const pending: PendingConnect = {
        token,
        settled: false,
        resolve: () => {
          pending.settled = true;
          const client = this.#newClient();
          resolve(client);
          return client;
        },
        reject: (error = new Error('connect refused')) => {
          pending.settled = true;
          reject(error);
        },
      };
      this.pending.push(pending);
      if (script.kind === 'resolve') pending.resolve();
      else if (script.kind === 'reject') pending.reject(script.error);
      else if (script.kind === 'resolve-undefined') {
        pending.settled = true;
        resolve(undefined as unknown as FakeClient);
      }
    });
  }

  #hostile(how: HostileThenable, token: AttemptToken): unknown {
    switch (how) {
      case 'then-throws':
        return thenable(() => {
          throw new Error('then blew up');
        });
      case 'then-getter-throws':
        return Object.defineProperty({}, 'then', {
          get() {
            throw new Error('then getter blew up');
          },
        });
      case 'then-resolves-at-once':
        return thenable((resolve: (client: FakeClient) => void) => resolve(this.#newClient()));
      case 'then-resolves-then-throws':
        return thenable((resolve: (client: FakeClient) => void) => {
          resolve(this.#newClient());
          throw new Error('thrown after resolving');
        });
      case 'then-rejects-at-once':
        return thenable((_: unknown, reject: (error: Error) => void) =>
          reject(new Error('refused by a thenable')),
        );
      case 'foreign-pending': {
        const promise = this.#promise({ kind: 'pending' }, token);
        return thenable(
          (onFulfilled: (client: FakeClient) => unknown, onRejected: (e: unknown) => unknown) =>
            promise.then(onFulfilled, onRejected),
        );
      }
    }
  }

  close = (client: FakeClient, force?: boolean): unknown => {
    this.closes.push({ client, force: force === true });
    if (client.open) {
      client.open = false;
      client.closedWithForce = force === true;
    }
    this.onClose?.(client, force === true);
    switch (this.closeScript) {
      case 'throw':
        throw new Error('close blew up');
      case 'reject':
        return Promise.reject(new Error('close rejected'));
      case 'hang':
        return new Promise(() => undefined);
      default:
        return undefined;
    }
  };

  ping = (client: FakeClient): unknown => {
    this.pings.push(client);
    this.onPing?.(client);
    if (this.pingScript === 'throw') throw new Error('ping blew up');
    if (this.pingScript === 'reject') return Promise.reject(new Error('ping rejected'));
    return undefined;
  };
}

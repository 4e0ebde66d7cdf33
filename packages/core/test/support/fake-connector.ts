import type { AttemptToken, Connback, Connector } from '../../src/index.js';

/** A client the fake connector created; `open` until connback closes it. */
export interface FakeClient {
  readonly id: number;
  open: boolean;
  closedWithForce: boolean | undefined;
}

/** What the next `connect` call does. */
export type ConnectScript =
  | { kind: 'pending' }
  | { kind: 'resolve' }
  | { kind: 'resolve-sync' }
  | { kind: 'resolve-undefined' }
  | { kind: 'reject'; error: Error }
  | { kind: 'throw'; error: Error };

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
      default:
    }
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
  };

  close = (client: FakeClient, force?: boolean): unknown => {
    this.closes.push({ client, force: force === true });
    if (client.open) {
      client.open = false;
      client.closedWithForce = force === true;
    }
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
    if (this.pingScript === 'throw') throw new Error('ping blew up');
    if (this.pingScript === 'reject') return Promise.reject(new Error('ping rejected'));
    return undefined;
  };
}

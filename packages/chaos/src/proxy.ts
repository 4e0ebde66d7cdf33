import net from 'node:net';
import { asyncDisposeSymbol } from '@connback/core';
import { Link } from './link.js';
import {
  checkAmount,
  type Direction,
  resolveToxicOptions,
  type Toxic,
  type ToxicOptions,
  type ToxicSpec,
} from './toxics.js';

/** Where a {@link ChaosProxy} listens and what it forwards to. */
export interface ChaosProxyOptions {
  /**
   * The server the proxy forwards to: a port on 127.0.0.1 (a whole number from 1 to 65535), or
   * `{ host, port }`. Required.
   */
  upstream:
    | number
    | {
        /**
         * The server's host name or address: a non-empty string.
         * @default '127.0.0.1'
         */
        host?: string;
        /** The server's port: a whole number from 1 to 65535. */
        port: number;
      };
  /**
   * Port to listen on (loopback only): a whole number from 0 to 65535, 0 for any free port.
   * @default 0
   */
  port?: number;
  /**
   * Random source for probabilities and latency jitter: a function returning numbers in [0, 1).
   * Pass `seededRandom(seed)` to replay a run.
   * @default Math.random
   */
  random?: () => number;
}

const OPTION_NAMES: readonly string[] = ['upstream', 'port', 'random'];

function invalidOption(name: string, expected: string, got: unknown): TypeError {
  const shown = typeof got === 'string' ? JSON.stringify(got) : String(got);
  return new TypeError(`connback/chaos: option "${name}" must be ${expected} (got ${shown})`);
}

function isPort(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= 65535;
}

/**
 * Checks every option of {@link ChaosProxy.start}. A bad port would otherwise be found only at
 * the first client, as an `ERR_SOCKET_BAD_PORT` thrown where nobody can catch it.
 */
function checkProxyOptions(options: unknown): ChaosProxyOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `connback/chaos: ChaosProxy.start(options) takes an options object with "upstream" (got ${String(options)})`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new TypeError(
        `connback/chaos: unknown option "${key}" (known: ${OPTION_NAMES.join(', ')})`,
      );
    }
  }
  const o = options as Record<string, unknown>;
  const upstream = o['upstream'];
  const shape = 'a port from 1 to 65535 or { host, port }';
  if (typeof upstream === 'object' && upstream !== null) {
    const { host, port, ...rest } = upstream as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) {
      throw new TypeError(
        `connback/chaos: option "upstream" has an unknown key "${extra}" (known: host, port)`,
      );
    }
    if (host !== undefined && (typeof host !== 'string' || host === '')) {
      throw invalidOption('upstream.host', 'a non-empty host name or address', host);
    }
    if (!isPort(port, 1))
      throw invalidOption('upstream.port', 'a whole number from 1 to 65535', port);
  } else if (!isPort(upstream, 1)) {
    throw invalidOption('upstream', shape, upstream);
  }
  if (o['port'] !== undefined && !isPort(o['port'], 0)) {
    throw invalidOption('port', 'a whole number from 0 to 65535 (0: any free port)', o['port']);
  }
  if (o['random'] !== undefined && typeof o['random'] !== 'function') {
    throw invalidOption('random', 'a function returning numbers in [0, 1)', o['random']);
  }
  return options as ChaosProxyOptions;
}

/**
 * An in-process TCP proxy on loopback that injects faults, with toxiproxy's vocabulary. Each fault
 * is a toxic added with one call, for one direction or both, with a probability per connection,
 * and can be added or removed while connections are live. `close()` closes everything it opened.
 * Made with {@link ChaosProxy.start}; the constructor is private.
 *
 * ```ts
 * const proxy = await ChaosProxy.start({ upstream: serverPort });
 * const slow = proxy.latency(200, 50, { direction: 'downstream' });
 * // ... connect your client to proxy.port, then:
 * slow.remove();
 * await proxy.close();
 * ```
 */
export class ChaosProxy {
  /** The listener of the current `up()`; each `up()` makes a new one (see `down()`). */
  #server: net.Server | undefined;
  /** Every listener ever made, so `close()` can wait for all of them. */
  readonly #servers = new Set<net.Server>();
  readonly #upstream: { host: string; port: number };
  readonly #random: () => number;
  readonly #links = new Set<Link>();
  readonly #toxics = new Map<number, Toxic>();
  #nextId = 1;
  #port: number;
  #listening = false;
  #closed = false;

  private constructor(options: ChaosProxyOptions) {
    const upstream =
      typeof options.upstream === 'number' ? { port: options.upstream } : options.upstream;
    this.#upstream = { host: upstream.host ?? '127.0.0.1', port: upstream.port };
    this.#random = options.random ?? Math.random;
    this.#port = options.port ?? 0;
  }

  /**
   * Starts a proxy listening on 127.0.0.1. Each connection it accepts gets its own connection to
   * `upstream`, and the bytes are forwarded both ways, half-closes included.
   * @param options - The upstream server, the port to listen on and the random source.
   * @returns The proxy, listening.
   * @throws (rejects) TypeError naming a bad or unknown option, before anything listens; the
   *   `listen` error (such as `EADDRINUSE`) when the port is taken.
   */
  static async start(options: ChaosProxyOptions): Promise<ChaosProxy> {
    const proxy = new ChaosProxy(checkProxyOptions(options));
    await proxy.up();
    return proxy;
  }

  /** The port clients connect to, on 127.0.0.1 (kept across `down()` / `up()`). */
  get port(): number {
    return this.#port;
  }

  /** The number of connections proxied now. */
  get connections(): number {
    return this.#links.size;
  }

  /** The toxics in force, in the order they were added (a copy). */
  get toxics(): readonly Toxic[] {
    return [...this.#toxics.values()];
  }

  /**
   * Stops accepting: new connections are refused (`ECONNREFUSED`); live ones go on. Resolves once
   * the port is closed (not when the live connections end, as `server.close()` alone would). Call
   * {@link ChaosProxy.dropAll} too to simulate a server that went away. Does nothing when down.
   */
  async down(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    this.#listening = false;
    server.close();
    // The listening handle closes asynchronously: give it a turn before the port is reused.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * Accepts connections again, on the same port. Does nothing when up already, or after `close()`.
   * @throws (rejects) the `listen` error (such as `EADDRINUSE`) when another process took the port.
   */
  async up(): Promise<void> {
    if (this.#listening || this.#closed) return;
    const server = net.createServer({ allowHalfOpen: true }, (client) => this.#accept(client));
    this.#servers.add(server);
    server.once('close', () => this.#servers.delete(server));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#listening = true;
    this.#port = (server.address() as net.AddressInfo).port;
  }

  /**
   * Closes every live connection, with a FIN to the client and to the server (a server restart, as
   * clients see it). Data still waiting in the proxy is dropped; the proxy keeps accepting.
   */
  dropAll(): void {
    for (const link of [...this.#links]) link.destroy();
  }

  /** Resets every live connection: an RST to both sides, which see `ECONNRESET`. */
  resetAll(): void {
    for (const link of [...this.#links]) link.reset();
  }

  /**
   * Delays each chunk by `ms` ± `jitter` (uniform, drawn per chunk), in order. With `'both'`, a
   * round trip takes 2 × `ms` more. Several latency toxics add up.
   * @param ms - The delay, in ms: a finite number from 0 to 2147483647.
   * @param jitter - The most the delay varies either way, in ms (default 0: none).
   * @param options - The direction(s) and the probability per connection.
   * @returns The toxic, in force until its `remove()`.
   * @throws TypeError naming the parameter and the value for a bad `ms`, `jitter`, `direction`
   *   or `probability`; nothing is added.
   */
  latency(ms: number, jitter = 0, options?: ToxicOptions): Toxic {
    return this.#add(
      {
        kind: 'latency',
        ms: checkAmount('ms', ms, 0, true),
        jitter: checkAmount('jitter', jitter, 0, true),
      },
      options,
    );
  }

  /**
   * Stops forwarding: the sockets stay open and nothing gets through. The data is dropped, not
   * held: after `remove()`, only new data flows. A close (FIN or reset) still goes through.
   * @param options - The direction(s) and the probability per connection.
   * @returns The toxic, in force until its `remove()`.
   * @throws TypeError naming `direction` or `probability` when it is not valid; nothing is added.
   */
  blackhole(options?: ToxicOptions): Toxic {
    return this.#add({ kind: 'blackhole' }, options);
  }

  /**
   * Resets affected connections (an RST to the client and to the server): a live one `afterMs`
   * after the toxic is added, a new one `afterMs` after it is accepted, while the toxic is still
   * there. It applies to the whole connection whatever its direction.
   * @param afterMs - The wait before the reset, in ms (default 0: at once).
   * @param options - The direction(s) and the probability per connection.
   * @returns The toxic, in force until its `remove()`.
   * @throws TypeError naming the parameter and the value for a bad `afterMs`, `direction` or
   *   `probability`; nothing is added.
   */
  resetPeer(afterMs = 0, options?: ToxicOptions): Toxic {
    const toxic = this.#add(
      { kind: 'resetPeer', afterMs: checkAmount('afterMs', afterMs, 0, true) },
      options,
    );
    for (const link of this.#links) this.#armReset(link, toxic);
    return toxic;
  }

  /**
   * Delays passing a close on by `ms`: a FIN (after the data before it), or a reset. The direction
   * is the one the close travels: when the server closes (downstream), the client sees it later.
   * @param ms - The delay, in ms: a finite number from 0 to 2147483647.
   * @param options - The direction(s) and the probability per connection.
   * @returns The toxic, in force until its `remove()`.
   * @throws TypeError naming the parameter and the value for a bad `ms`, `direction` or
   *   `probability`; nothing is added.
   */
  slowClose(ms: number, options?: ToxicOptions): Toxic {
    return this.#add({ kind: 'slowClose', ms: checkAmount('ms', ms, 0, true) }, options);
  }

  /**
   * Lets `bytes` bytes through in a direction, then closes the connection on both sides; the chunk
   * that reaches the limit is cut at it. Counted per direction from the start of the connection.
   * @param bytes - The bytes let through: a finite number ≥ 0 (0 closes at the first chunk).
   * @param options - The direction(s) and the probability per connection.
   * @returns The toxic, in force until its `remove()`.
   * @throws TypeError naming the parameter and the value for a bad `bytes`, `direction` or
   *   `probability`; nothing is added.
   */
  limitData(bytes: number, options?: ToxicOptions): Toxic {
    return this.#add({ kind: 'limitData', bytes: checkAmount('bytes', bytes, 0) }, options);
  }

  /**
   * Cuts each chunk into pieces of `size` bytes (the last one is the rest), sent `delayMs` apart.
   * @param size - The size of a piece, in bytes: a finite number ≥ 1.
   * @param delayMs - The wait between two pieces, in ms: a finite number from 0 to 2147483647.
   * @param options - The direction(s) and the probability per connection.
   * @returns The toxic, in force until its `remove()`.
   * @throws TypeError naming the parameter and the value for a bad `size`, `delayMs`, `direction`
   *   or `probability`; nothing is added.
   */
  slicer(size: number, delayMs: number, options?: ToxicOptions): Toxic {
    return this.#add(
      {
        kind: 'slicer',
        size: checkAmount('size', size, 1),
        delayMs: checkAmount('delayMs', delayMs, 0, true),
      },
      options,
    );
  }

  /**
   * Limits the rate: each chunk (or slicer piece) is sent after `length / bytesPerSecond` seconds;
   * without a slicer, data trickles in pieces of a tenth of a second's worth.
   * @param bytesPerSecond - The rate, in bytes per second: a finite number ≥ 1.
   * @param options - The direction(s) and the probability per connection.
   * @returns The toxic, in force until its `remove()`.
   * @throws TypeError naming the parameter and the value for a bad `bytesPerSecond`, `direction`
   *   or `probability`; nothing is added.
   */
  bandwidth(bytesPerSecond: number, options?: ToxicOptions): Toxic {
    return this.#add(
      { kind: 'bandwidth', bytesPerSecond: checkAmount('bytesPerSecond', bytesPerSecond, 1) },
      options,
    );
  }

  /** Removes every toxic; live connections are affected from their next chunk on. */
  clear(): void {
    this.#toxics.clear();
  }

  /**
   * Removes every toxic, closes every connection and every timer it armed (a pending latency, slow
   * close or reset included) and stops listening, for good: `up()` does nothing afterwards. A
   * second call does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#toxics.clear();
    this.dropAll();
    await this.down();
    // With every connection dropped, each listener's 'close' comes promptly.
    await Promise.all(
      [...this.#servers].map(
        (server) => new Promise<void>((resolve) => server.close(() => resolve())),
      ),
    );
  }

  /** `await using proxy = await ChaosProxy.start(…)`: `close()`. The key is core's `asyncDisposeSymbol`. */
  async [asyncDisposeSymbol](): Promise<void> {
    await this.close();
  }

  #add(spec: ToxicSpec, options: ToxicOptions | undefined): Toxic {
    const { directions, probability } = resolveToxicOptions(options);
    const id = this.#nextId++;
    const toxic: Toxic = {
      id,
      spec,
      directions,
      probability,
      remove: () => {
        this.#toxics.delete(id);
      },
    };
    this.#toxics.set(id, toxic);
    return toxic;
  }

  #toxicsFor(direction: Direction): readonly Toxic[] {
    const found: Toxic[] = [];
    for (const toxic of this.#toxics.values()) {
      if (toxic.directions.includes(direction)) found.push(toxic);
    }
    return found;
  }

  #armReset(link: Link, toxic: Toxic): void {
    if (toxic.spec.kind !== 'resetPeer' || !link.applies(toxic)) return;
    link.after(toxic.spec.afterMs, () => {
      if (this.#toxics.has(toxic.id)) link.reset();
    });
  }

  #accept(client: net.Socket): void {
    if (this.#closed) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ ...this.#upstream, allowHalfOpen: true });
    const link = new Link(
      { toxics: (direction) => this.#toxicsFor(direction), random: this.#random },
      client,
      upstream,
      () => this.#links.delete(link),
    );
    this.#links.add(link);
    // The upstream refusing (server down) closes the client's connection too. Errors after the
    // connect (a reset by the server) are the link's to pass on, as a reset.
    const refused = () => link.destroy();
    upstream.once('error', refused);
    upstream.once('connect', () => upstream.off('error', refused));
    for (const toxic of this.#toxics.values()) this.#armReset(link, toxic);
  }
}

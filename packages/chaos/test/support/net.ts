import { createHook } from 'node:async_hooks';
import net from 'node:net';

export { waitFor } from '../../../../test-support/wait.js';

/** A real-time pause (for "nothing happens for that long" checks). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` settles within `ms` (its timer is always cleared). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One chunk a socket received, stamped with `performance.now()`. */
export interface Arrival {
  readonly at: number;
  readonly size: number;
}

/** Everything one socket (client or server side) received and went through, as it happened. */
export interface Watched {
  readonly socket: net.Socket;
  readonly arrivals: Arrival[];
  /** When 'end' (the peer's FIN) came; undefined until then. */
  readonly endedAt: number | undefined;
  /** When 'close' came; undefined until then. */
  readonly closedAt: number | undefined;
  /** The `hadError` of 'close'. */
  readonly hadError: boolean | undefined;
  /** The first 'error' (ECONNRESET...), with when it came. */
  readonly error: NodeJS.ErrnoException | undefined;
  readonly errorAt: number | undefined;
  /** Bytes received so far. */
  received(): Buffer;
  /** Bytes received so far, as latin1 text. */
  text(): string;
  /** How many bytes were received so far. */
  readonly bytes: number;
}

/** Records what `socket` receives and its end, close and first error (it keeps an error listener). */
export function watch(socket: net.Socket): Watched {
  const chunks: Buffer[] = [];
  const state = {
    socket,
    arrivals: [] as Arrival[],
    endedAt: undefined as number | undefined,
    closedAt: undefined as number | undefined,
    hadError: undefined as boolean | undefined,
    error: undefined as NodeJS.ErrnoException | undefined,
    errorAt: undefined as number | undefined,
    bytes: 0,
    received: () => Buffer.concat(chunks),
    text: () => Buffer.concat(chunks).toString('latin1'),
  };
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    state.bytes += chunk.length;
    state.arrivals.push({ at: performance.now(), size: chunk.length });
  });
  socket.on('end', () => {
    state.endedAt = performance.now();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (state.error !== undefined) return;
    state.error = error;
    state.errorAt = performance.now();
  });
  socket.once('close', (hadError: boolean) => {
    state.closedAt = performance.now();
    state.hadError = hadError;
  });
  return state;
}

/** A loopback server in this process; `close()` destroys its connections too. */
export interface LoopbackServer {
  readonly server: net.Server;
  readonly port: number;
  /** Every connection accepted, watched, in order. */
  readonly peers: Watched[];
  /** Connections currently open. */
  readonly open: Set<net.Socket>;
  close(): Promise<void>;
}

/** What a test server does with each connection it accepts (after it is watched). */
export type OnConnection = (socket: net.Socket) => void;

/** Echoes everything back (and ends when the client ends). */
export const echo: OnConnection = (socket) => socket.pipe(socket);

/** Records what arrives and sends nothing on its own. */
export const silent: OnConnection = () => {};

/**
 * Starts a server on 127.0.0.1, any free port: an echo server by default. Every accepted socket
 * is watched (see `peers`). `allowHalfOpen` keeps a socket writable after the client's FIN.
 */
export async function startServer(
  onConnection: OnConnection = echo,
  options: { allowHalfOpen?: boolean } = {},
): Promise<LoopbackServer> {
  const peers: Watched[] = [];
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    socket.setNoDelay(true);
    peers.push(watch(socket));
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as net.AddressInfo).port,
    peers,
    open,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it (bound, noted, closed). */
export async function refusedPort(): Promise<number> {
  const server = await startServer();
  await server.close();
  return server.port;
}

/** A plain client, connected and watched (Nagle off, so small writes leave at once). */
export async function connect(
  port: number,
  options: { allowHalfOpen?: boolean } = {},
): Promise<Watched> {
  const socket = net.connect({
    host: '127.0.0.1',
    port,
    allowHalfOpen: options.allowHalfOpen ?? false,
    noDelay: true,
  });
  const watched = watch(socket);
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      socket.off('connect', done);
      reject(error);
    };
    const done = () => {
      socket.off('error', fail);
      resolve();
    };
    socket.once('error', fail);
    socket.once('connect', done);
  });
  return watched;
}

/** The code a connect to `port` fails with (ECONNREFUSED...), or 'connected' (then closed). */
export async function connectOutcome(port: number): Promise<string> {
  try {
    const client = await connect(port);
    client.socket.destroy();
    return 'connected';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** Random bytes (deterministic), for byte-exact checks. */
export function bytes(length: number, seed = 1): Buffer {
  const buffer = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    buffer[i] = state >>> 24;
  }
  return buffer;
}

/**
 * Tracks the timers created from files whose path contains `from` (the proxy's sources), from now
 * until `stop()`: `pending()` is how many were created and have neither fired nor been cleared.
 * (Counting 'Timeout' in `process.getActiveResourcesInfo()` is off by vitest's own 100 ms
 * task-update timer, which comes and goes.)
 */
export function trackTimers(from = '/packages/chaos/src/'): {
  pending(): number;
  stop(): void;
} {
  const live = new Set<number>();
  const hook = createHook({
    init(asyncId, type) {
      if (type === 'Timeout' && (new Error().stack ?? '').includes(from)) live.add(asyncId);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  return { pending: () => live.size, stop: () => hook.disable() };
}

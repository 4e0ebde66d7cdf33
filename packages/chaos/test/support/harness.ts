import { ChaosProxy } from '../../src/index.js';
import {
  connect,
  echo,
  type LoopbackServer,
  type OnConnection,
  sleep,
  startServer,
  type Watched,
  waitFor,
} from './net.js';

/**
 * Upper slack of every real-time bound: timers were seen 17 ms late under load on these 2 noisy
 * cores, and the test files run in parallel; with five engineers' test runs on the same cores a
 * 200 ms latency was seen arriving 265 ms late, so the bound is 250 ms (the lower bounds, which
 * show that a toxic acts at all, are unchanged).
 */
export const SLACK = 250;

/** Lower slack: a timer never fires early, but `performance.now()` and timer rounding differ by ~1 ms. */
export const EARLY = 3;

/** A server, a ChaosProxy in front of it, and the clients a test opened through it. */
export interface Harness {
  readonly server: LoopbackServer;
  readonly proxy: ChaosProxy;
  /** A client through the proxy (closed by `close()`). */
  client(options?: { allowHalfOpen?: boolean }): Promise<Watched>;
  /**
   * A client through the proxy and the server's side of the same connection, once the server
   * accepted it and the proxy's upstream 'connect' has run.
   */
  pair(options?: { allowHalfOpen?: boolean }): Promise<{ client: Watched; peer: Watched }>;
  /** Destroys the clients, closes the proxy, then the server. */
  close(): Promise<void>;
}

/** Starts a server (echo by default) and a proxy in front of it. */
export async function harness(
  options: { onConnection?: OnConnection; allowHalfOpen?: boolean; random?: () => number } = {},
): Promise<Harness> {
  const server = await startServer(options.onConnection ?? echo, {
    allowHalfOpen: options.allowHalfOpen ?? false,
  });
  const proxy = await ChaosProxy.start({
    upstream: server.port,
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const clients: Watched[] = [];
  const client = async (clientOptions: { allowHalfOpen?: boolean } = {}) => {
    const watched = await connect(proxy.port, clientOptions);
    clients.push(watched);
    return watched;
  };
  return {
    server,
    proxy,
    client,
    pair: async (clientOptions = {}) => {
      const before = server.peers.length;
      const watched = await client(clientOptions);
      await waitFor(() => server.peers.length > before, 'the server to accept');
      // The proxy's own upstream 'connect' is handled in this same process: let it run.
      await sleep(10);
      return { client: watched, peer: server.peers[before] as Watched };
    },
    close: async () => {
      for (const watched of clients) watched.socket.destroy();
      await proxy.close();
      await server.close();
    },
  };
}

/** Writes `data` from `from` and measures how long until `to` has received `total` bytes. */
export async function timeToReceive(
  from: Watched,
  to: Watched,
  data: string | Buffer,
  total = to.bytes + Buffer.byteLength(data),
  timeoutMs = 5000,
): Promise<number> {
  const start = performance.now();
  from.socket.write(data);
  await waitFor(() => to.bytes >= total, `${total} bytes to arrive`, timeoutMs);
  return (to.arrivals.at(-1)?.at ?? Number.NaN) - start;
}

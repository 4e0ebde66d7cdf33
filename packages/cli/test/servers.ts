import net from 'node:net';
import { WebSocketServer } from 'ws';

/** Options of {@link EchoServer}. */
export interface EchoServerOptions {
  /** Besides the echo, a line `tick N` to each client every this many ms. */
  readonly tickEvery?: number;
}

/** A line echo server on 127.0.0.1 that can go down and come back on the same port. */
export class EchoServer {
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  readonly #tickEvery: number | undefined;
  #ticks = 0;
  port = 0;

  private constructor(options: EchoServerOptions) {
    this.#tickEvery = options.tickEvery;
  }

  static async start(options: EchoServerOptions = {}): Promise<EchoServer> {
    const echo = new EchoServer(options);
    await echo.up();
    return echo;
  }

  async up(): Promise<void> {
    const server = net.createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('error', () => {});
      const every = this.#tickEvery;
      const timer =
        every === undefined
          ? undefined
          : setInterval(() => socket.write(`tick ${this.#ticks++}\n`), every);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        clearInterval(timer);
      });
      socket.pipe(socket);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: this.port }, () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** Kills every connection and stops listening (a crashed server). */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.down();
  }
}

/** A WebSocket echo server; `onConnection` may replace the echo. */
export async function startWsServer(
  onConnection?: (
    socket: import('ws').WebSocket,
    request: import('node:http').IncomingMessage,
  ) => void,
): Promise<{
  port: number;
  close(): Promise<void>;
  requests: import('node:http').IncomingMessage[];
}> {
  const requests: import('node:http').IncomingMessage[] = [];
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket, request) => {
    requests.push(request);
    if (onConnection) {
      onConnection(socket, request);
      return;
    }
    socket.on('message', (data, binary) => socket.send(data, { binary }));
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

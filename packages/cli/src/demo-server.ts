import net from 'node:net';

/** What the demo server does with connections: serve them, hang them, or not listen at all. */
export type DemoServerMode = 'up' | 'frozen' | 'refusing';

/**
 * The demo's loopback server, which misbehaves on command. It speaks lines: `msg N` is recorded
 * and answered `ack N`, `ping` is answered `pong`. Frozen, it reads and answers nothing (the
 * kernel still accepts connections and data, as for a hung process); refusing, it does not listen.
 */
export class DemoServer {
  readonly received = new Set<number>();
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  #mode: DemoServerMode = 'up';
  #port = 0;

  get port(): number {
    return this.#port;
  }

  async listen(): Promise<void> {
    const server = net.createServer((socket) => this.#serve(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: this.#port }, () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
  }

  /** Drops every connection (a reset from the server's side). */
  dropAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Stops answering: every connection, and every new one, hangs. */
  freeze(): void {
    this.#mode = 'frozen';
    for (const socket of this.#sockets) socket.pause();
  }

  /** Answers again, starting with what piled up while frozen. */
  thaw(): void {
    this.#mode = 'up';
    for (const socket of this.#sockets) socket.resume();
  }

  /** Stops listening and drops every connection: attempts are refused until `restart()`. */
  async stop(): Promise<void> {
    this.#mode = 'refusing';
    const server = this.#server;
    this.#server = undefined;
    this.dropAll();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    await this.listen();
    this.#mode = 'up';
  }

  async close(): Promise<void> {
    await this.stop();
  }

  #serve(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => this.#sockets.delete(socket));
    if (this.#mode === 'frozen') socket.pause();
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString();
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        this.#answer(socket, pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    });
  }

  #answer(socket: net.Socket, line: string): void {
    if (line === 'ping') {
      socket.write('pong\n');
      return;
    }
    const match = /^msg (\d+)$/.exec(line);
    if (match) {
      const n = Number(match[1]);
      this.received.add(n);
      socket.write(`ack ${n}\n`);
    }
  }
}

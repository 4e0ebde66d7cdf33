import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export { waitFor } from '../../../../test-support/wait.js';

/** A loopback server in this process; `close()` destroys its connections too. */
export interface LoopbackServer {
  readonly server: net.Server;
  readonly port: number;
  /** Every connection accepted, in order. */
  readonly accepted: net.Socket[];
  /** Connections currently open. */
  readonly open: Set<net.Socket>;
  close(): Promise<void>;
  /** Listens again on the same port after `close()`. */
  listen(): Promise<void>;
}

/**
 * Starts a server (echo by default) on a loopback `port` (0: any free port) of `host`, or on a
 * Unix socket path for IPC (then `port` is 0; Node removes the path on close).
 */
export async function startServer(
  onConnection: (socket: net.Socket) => void = (socket) => socket.pipe(socket),
  at: number | string = 0,
  host = '127.0.0.1',
): Promise<LoopbackServer> {
  const accepted: net.Socket[] = [];
  const open = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted.push(socket);
    open.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => open.delete(socket));
    onConnection(socket);
  });
  const listen = (target: number | string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if (typeof target === 'string') server.listen(target, done);
      else server.listen(target, host, done);
    });
  await listen(at);
  const bound = typeof at === 'string' ? 0 : (server.address() as net.AddressInfo).port;
  return {
    server,
    port: bound,
    accepted,
    open,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
    listen: () => listen(typeof at === 'string' ? at : bound),
  };
}

/** A loopback port with nothing listening on it (bound, noted, closed). */
export async function refusedPort(): Promise<number> {
  const server = await startServer();
  await server.close();
  return server.port;
}

const echoChild = fileURLToPath(new URL('../fixtures/echo-server.mjs', import.meta.url));

/** An echo server in a child process, so it can be frozen (SIGSTOP) or killed (SIGKILL). */
export interface ChildServer {
  readonly child: ChildProcess;
  readonly port: number;
  /** Resolves once the process exited. */
  readonly exited: Promise<void>;
  /** SIGKILL, and wait for the exit (SIGCONT first, so a frozen child can die). */
  kill(): Promise<void>;
}

/** Forks the echo server fixture listening on `port` (0: any) with an accept `backlog`. */
export async function startChildServer(port = 0, backlog = 511): Promise<ChildServer> {
  const child = spawn(process.execPath, [echoChild, String(port), String(backlog)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const bound = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('child server did not start in 5 s')), 5000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child server exited early with ${code}`));
    });
  });
  return {
    child,
    port: bound,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

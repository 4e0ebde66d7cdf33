import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { recordFigure } from '../../../test-support/figures.js';

/**
 * DESIGN.md semantic 18 on real processes and real time (row 35): the client is SIGSTOPped, as a
 * paused VM or a stopped job would be (the monotonic clock goes on, its timers fire late), and the
 * server too where the test wants a silent peer (half-open: the kernel still holds the socket).
 */

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const K = 8; // keepalive, s
const PROBE_DEADLINE = 5000; // min(probeTimeout 5000, K)

interface Child {
  readonly proc: ChildProcess;
  readonly events: { at: number; e: string; [key: string]: unknown }[];
  /** Resolves with the arrival time of the first event `e` that arrived at or after `since`. */
  next(e: string, since: number, timeout: number): Promise<number>;
}

const children: ChildProcess[] = [];

function start(script: string, args: (string | number)[]): Child {
  const proc = spawn(process.execPath, [fixture(script), ...args.map(String)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(proc);
  const events: Child['events'] = [];
  const waiting = new Set<() => void>();
  let buffer = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const at = performance.now();
      events.push(line.startsWith('{') ? { at, ...JSON.parse(line) } : { at, e: line });
      for (const check of [...waiting]) check();
    }
  });
  const next = (e: string, since: number, timeout: number) =>
    new Promise<number>((resolve, reject) => {
      const check = () => {
        const found = events.find((x) => x.at >= since && x.e.startsWith(e));
        if (found === undefined) return;
        waiting.delete(check);
        clearTimeout(timer);
        resolve(found.at);
      };
      const timer = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`no ${e} within ${timeout} ms; events: ${JSON.stringify(events)}`));
      }, timeout);
      waiting.add(check);
      check();
    });
  return { proc, events, next };
}

async function stopAll(): Promise<void> {
  const exits = children.splice(0).map(
    (proc) =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  );
  await Promise.all(exits);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An echo server child on a loopback port (0: any); resolves with it and its port. */
async function echoServer(port = 0): Promise<{ server: Child; port: number }> {
  const server = start('echo-server.mjs', [port]);
  await server.next('listening', 0, 10_000);
  const line = server.events.find((x) => x.e.startsWith('listening'));
  return { server, port: Number(line?.e.split(' ')[1]) };
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return address.port;
}

/** A child connected to its own echo server, stopped for 3 × K, with the server stopped too or not. */
async function stoppedFor3K(serverAlive: boolean) {
  const { server, port } = await echoServer();
  const child = start('wake-child.mjs', [port, K, 1000]);
  await child.next('connect', 0, 10_000);
  if (!serverAlive) server.proc.kill('SIGSTOP');
  child.proc.kill('SIGSTOP');
  await sleep(3 * K * 1000);
  const resumed = performance.now();
  child.proc.kill('SIGCONT');
  return { server, child, resumed };
}

it('row 35: a client stopped 3 × K (K = 8 s) learns its silent peer is dead within the probe deadline + 300 ms of SIGCONT and reconnects once the server resumes; with the server alive, 0 false closes', async () => {
  try {
    const [dead, alive] = await Promise.all([stoppedFor3K(false), stoppedFor3K(true)]);

    // The silent peer: a wake-up, a probe, and a close within the probe deadline.
    const closed = await dead.child.next('close', dead.resumed, PROBE_DEADLINE + 2000);
    const detection = closed - dead.resumed;
    expect(dead.child.events.some((x) => x.e === 'wake')).toBe(true);
    expect(detection).toBeLessThanOrEqual(PROBE_DEADLINE + 300);
    recordFigure(
      'W1',
      'dead peer known after a 3K stop (K = 8 s), from SIGCONT',
      Math.round(detection),
      'ms',
    );
    dead.server.proc.kill('SIGCONT');
    // The reconnect may have reached the stopped server's backlog already: then it must
    // stay up once the server answers.
    await dead.child.next('connect', closed, 10_000);

    // The live peer: the wake-up probe is answered; nothing closes.
    await sleep(Math.max(0, alive.resumed + PROBE_DEADLINE + 500 - performance.now()));
    expect(alive.child.events.filter((x) => x.e === 'wake').length).toBeGreaterThanOrEqual(1);
    expect(alive.child.events.filter((x) => x.e === 'close')).toEqual([]);
    expect(alive.child.events.filter((x) => x.e === 'error')).toEqual([]);
    recordFigure('W2', 'false closes after a 3K stop with the server alive', 0, 'closes');
  } finally {
    await stopAll();
  }
}, 90_000);

it('row 35: a client waiting in a 20 s backoff, stopped 5 s while its server comes up, attempts within 1 s of SIGCONT', async () => {
  try {
    const port = await freePort();
    const child = start('wake-child.mjs', [port, K, 20_000]);
    await child.next('error', 0, 10_000);
    await sleep(200);
    child.proc.kill('SIGSTOP');
    const stopped = performance.now();
    await echoServer(port);
    await sleep(Math.max(0, stopped + 5000 - performance.now()));
    const resumed = performance.now();
    child.proc.kill('SIGCONT');
    const attempted = await child.next('reconnect', resumed, 5000);
    const connectedAt = await child.next('connect', resumed, 5000);
    expect(attempted - resumed).toBeLessThan(1000);
    recordFigure(
      'W3',
      'attempt after SIGCONT, 20 s backoff, 5 s stop',
      Math.round(attempted - resumed),
      'ms',
    );
    recordFigure(
      'W3c',
      'connected after SIGCONT, 20 s backoff, 5 s stop',
      Math.round(connectedAt - resumed),
      'ms',
    );
  } finally {
    await stopAll();
  }
}, 60_000);

import { setTimeout as sleep } from 'node:timers/promises';
import { createTcpStream } from '@connback/tcp';
import { DemoServer } from './demo-server.js';
import { type CliIo, ExitCode, exitCodeOf } from './io.js';
import type { Reporter } from './reporter.js';
import { guardRun } from './run-guard.js';

/** One line of the demo's schedule: at `at` ms, the server does `act`. */
interface Step {
  readonly at: number;
  readonly say: string;
  readonly act: (server: DemoServer) => unknown;
}

const KEEPALIVE_S = 1;
const SEND_EVERY_MS = 100;
const STOP_SENDING_AT_MS = 21_000;

/** What the server does, and when: every fault connback handles, within about 23 seconds. */
const SCHEDULE: readonly Step[] = [
  { at: 3000, say: 'the server drops the connection', act: (s) => s.dropAll() },
  { at: 6000, say: 'the server goes down for 1.5 s (restart)', act: (s) => s.stop() },
  { at: 7500, say: 'the server is back', act: (s) => s.restart() },
  {
    at: 10_000,
    say: `the server hangs for 3.5 s, longer than 2 × keepalive (${2 * KEEPALIVE_S} s): half-open`,
    act: (s) => s.freeze(),
  },
  { at: 13_500, say: 'the server answers again', act: (s) => s.thaw() },
  { at: 16_000, say: 'the server refuses connections for 2.5 s', act: (s) => s.stop() },
  { at: 18_500, say: 'the server listens again', act: (s) => s.restart() },
];

/**
 * `connback demo`: a loopback server that misbehaves on a schedule, and a client (createTcpStream)
 * that sends a numbered message every 100 ms through all of it. The lifecycle goes to standard
 * error as with `connback <url>`; the story and the summary go to standard output. About 22 s.
 * @param io - The streams and signals ({@link processIo}); Ctrl-C ends the demo at once.
 * @param reporter - Where the lifecycle is reported (standard error, in the chosen mode).
 * @returns (resolves with) the exit code: 0, 1 if the stream failed, 130 (129 for SIGHUP) when
 *   interrupted.
 */
export async function runDemo(io: CliIo, reporter: Reporter): Promise<number> {
  const say = (text: string) => io.stdout.write(`demo: ${text}\n`);
  const server = new DemoServer();
  await server.listen();
  const display = `tcp://127.0.0.1:${server.port}`;
  say(
    `a server on ${display}; the client sends "msg N" every ${SEND_EVERY_MS} ms, keepalive ${KEEPALIVE_S} s`,
  );

  const stream = createTcpStream({
    host: '127.0.0.1',
    port: server.port,
    keepalive: KEEPALIVE_S,
    ping: 'ping\n',
    initialDelay: 200,
    maxDelay: 1000,
    minUptime: 500,
  });
  const connback = stream.connback;
  reporter.watch(connback, display);
  let halfOpen = 0;
  connback.onerror((error) => {
    if ((error as { code?: string }).code === 'CONNBACK_KEEPALIVE_TIMEOUT') halfOpen += 1;
  });
  const acked = new Set<number>();
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    for (const match of pending.matchAll(/ack (\d+)\n/g)) acked.add(Number(match[1]));
    pending = pending.slice(pending.lastIndexOf('\n') + 1);
  });
  let streamError: Error | undefined;
  stream.on('error', (error) => {
    streamError = error;
  });

  // Ctrl-C, or standard output closed by its reader, stops the schedule and the client at once.
  const interrupt = new AbortController();
  const { signal } = interrupt;
  let stoppedWith: number = ExitCode.Ok;
  const stop = (code: number) => {
    if (signal.aborted) return;
    stoppedWith = code;
    interrupt.abort();
    stream.destroy();
  };
  const release = guardRun(io, reporter, {
    interrupted: (stopSignal) => stop(exitCodeOf(stopSignal)),
    outputClosed: (quiet, error) => {
      if (!quiet) streamError = error;
      stop(quiet ? ExitCode.Ok : ExitCode.Failed);
    },
  });
  const start = Date.now();
  const steps = SCHEDULE.map((step) =>
    sleep(step.at, undefined, { signal }).then(
      async () => {
        say(`t=${(step.at / 1000).toFixed(1)} s: ${step.say}`);
        await step.act(server);
      },
      () => undefined,
    ),
  );

  let sent = 0;
  const sentWhileDown: number[] = [];
  while (Date.now() - start < STOP_SENDING_AT_MS && !stream.destroyed) {
    sent += 1;
    if (!connback.connected) sentWhileDown.push(sent);
    stream.write(`msg ${sent}\n`);
    await sleep(SEND_EVERY_MS);
  }
  await Promise.all(steps);
  if (signal.aborted) {
    release();
    await server.close();
    if (streamError !== undefined) reporter.fatal(streamError);
    return stoppedWith;
  }
  // Let the last acks come back, then end: the stream flushes, the Connback ends gracefully.
  await sleep(500);
  const ended = new Promise<void>((resolve) => {
    if (stream.destroyed) resolve();
    else stream.once('finish', () => resolve()).once('close', () => resolve());
  });
  stream.end();
  await ended;
  release();
  await server.close();

  const stats = connback.stats;
  const delivered = server.received.size;
  const downDelivered = sentWhileDown.filter((n) => server.received.has(n)).length;
  say('summary');
  io.stdout.write(
    [
      `  drops survived:              ${stats.drops}`,
      `  reconnects:                  ${stats.reconnects}`,
      `  half-open detections:        ${halfOpen}`,
      `  messages sent:               ${sent}`,
      `  delivered to the server:     ${delivered}${delivered === sent ? ' (all)' : ''}`,
      `  acknowledged to the client:  ${acked.size}`,
      `  sent while down:             ${sentWhileDown.length}, delivered after the reconnect: ${downDelivered}`,
      `  took:                        ${((Date.now() - start) / 1000).toFixed(1)} s`,
      '',
    ].join('\n'),
  );
  if (delivered < sent) {
    say(
      `${sent - delivered} messages were written into a connection that then died: TCP cannot ` +
        'tell which of those arrived; a protocol that must not lose any resends what was not acknowledged.',
    );
  }
  if (streamError !== undefined) reporter.fatal(streamError);
  return streamError === undefined ? ExitCode.Ok : ExitCode.Failed;
}

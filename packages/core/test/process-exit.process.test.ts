import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const child = fileURLToPath(new URL('./fixtures/refused-port-child.mjs', import.meta.url));
const keepaliveChild = fileURLToPath(
  new URL('./fixtures/in-memory-keepalive-child.mjs', import.meta.url),
);

/** Runs the child to its exit; kills it (and so fails the test) if it is still alive after 10 s. */
async function runChild(args: string[], script = child) {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let endedAt: number | undefined;
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (endedAt === undefined && out.includes('ended')) endedAt = performance.now();
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  // Bounded: a child still alive 10 s after start is killed and the test fails.
  const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    proc.once('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(killer);
  return { code, signal, out, err, endedAt, exitedAt: performance.now() };
}

it('semantic 13: a process whose Connback ended after 3 refused attempts exits by itself within 2 s', async () => {
  const { code, signal, out, err, endedAt, exitedAt } = await runChild([]);
  expect(err).toBe('');
  expect(signal).toBeNull();
  expect(code).toBe(0);
  expect(out.trim().split('\n')).toEqual([
    'error ECONNREFUSED',
    'error ECONNREFUSED',
    'error ECONNREFUSED',
    'ended ended',
  ]);
  expect(endedAt).toBeDefined();
  expect(exitedAt - (endedAt ?? exitedAt)).toBeLessThan(2000);
});

it('unref: a Connback still reconnecting does not keep the process alive', async () => {
  const { code, signal, out, err } = await runChild(['unref']);
  expect(err).toBe('');
  expect(signal).toBeNull();
  expect(code).toBe(0);
  expect(out.trim().split('\n')).toEqual(['error ECONNREFUSED']);
});

it('a connected Connback keeps the process alive until its first ping, even before its keepalive timer is armed (the wake watcher holds it)', async () => {
  const { code, signal, out, err } = await runChild([], keepaliveChild);
  expect(err).toBe('');
  expect(signal).toBeNull();
  expect(code).toBe(0);
  expect(out.trim().split('\n')).toEqual(['connected', 'ping', 'ended']);
});

it('unref: a connected Connback does not keep the process alive, not even before its keepalive timer is armed', async () => {
  const { code, signal, out, err } = await runChild(['unref'], keepaliveChild);
  expect(err).toBe('');
  expect(signal).toBeNull();
  expect(code).toBe(0);
  expect(out.trim().split('\n')).toEqual(['connected']);
});

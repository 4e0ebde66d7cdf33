import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/await-using/', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Runs `node args` to its exit; killed (and so failing) if still alive after 20 s. */
async function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  clearTimeout(killer);
  return { code, out, err };
}

// Inside the repository, so that the output resolves @connback/core (the built package).
let outDir = '';

beforeAll(async () => {
  outDir = await mkdtemp(join(fixture, 'out-'));
});

afterAll(async () => {
  if (outDir !== '') await rm(outDir, { recursive: true, force: true });
});

it('await using, compiled by tsc with lib esnext.disposable, closes the client before the block exits; using ends without waiting', async () => {
  const compiled = await run([tsc, '-p', join(fixture, 'tsconfig.json'), '--outDir', outDir]);
  expect(compiled.out + compiled.err).toBe('');
  expect(compiled.code).toBe(0);
  const { code, out, err } = await run([join(outDir, 'using.js')]);
  expect(err).toBe('');
  expect(code).toBe(0);
  const lines = out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { check: string; value: unknown });
  expect(lines).toEqual([
    { check: 'same key', value: true },
    { check: 'await using', value: { state: 'ended', closed: [true] } },
    // Ended at once; the 50 ms close is still under way when the block exits.
    { check: 'using', value: { state: 'ended', closed: [false] } },
    {
      check: 'await using, block throws',
      value: { error: 'the block failed', state: 'ended', closed: [true] },
    },
  ]);
});

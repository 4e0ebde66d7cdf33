import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runNode } from '../../../test-support/run-node.js';

const fixture = fileURLToPath(new URL('./fixtures/await-using/', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

// Inside the repository, so that the output resolves @connback/core (the built package).
let outDir = '';

beforeAll(async () => {
  outDir = await mkdtemp(join(fixture, 'out-'));
});

afterAll(async () => {
  if (outDir !== '') await rm(outDir, { recursive: true, force: true });
});

it('await using, compiled by tsc with lib esnext.disposable, closes the client before the block exits; using ends without waiting', async () => {
  const compiled = await runNode(
    [tsc, '-p', join(fixture, 'tsconfig.json'), '--outDir', outDir],
    20_000,
  );
  expect(compiled.out + compiled.err).toBe('');
  expect(compiled.code).toBe(0);
  const { code, out, err } = await runNode([join(outDir, 'using.js')], 20_000);
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

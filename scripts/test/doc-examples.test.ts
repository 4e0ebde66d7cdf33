import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// scripts/doc-examples.mjs run as CI runs it, on the fixture Markdown files, against the built
// packages (npm test builds first) and real loopback echo servers.
const root = join(import.meta.dirname, '..', '..');
const fixture = (name: string) => join('scripts', 'test', 'fixtures', name);
const outs: string[] = [];

afterEach(() => {
  for (const dir of outs.splice(0)) rmSync(join(root, dir), { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  out: string;
  summary: { passed: number; failed: number; blocks: { line: number; ok: boolean; ms?: number }[] };
}

async function docExamples(...args: string[]): Promise<Run> {
  // Each run its own extraction directory, so that runs cannot clean up each other's files.
  const out = `.doc-examples-test-${process.pid}-${outs.length}`;
  outs.push(out);
  const json = join(tmpdir(), `doc-examples-${process.pid}-${outs.length}.json`);
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    execFile(
      process.execPath,
      ['scripts/doc-examples.mjs', '--out', out, ...args],
      { cwd: root, env: { ...process.env, DOC_EXAMPLES_JSON: json }, timeout: 50_000 },
      (error, stdout) => resolve({ code: error ? (error.code as number) : 0, stdout }),
    );
  });
  const summary = JSON.parse(readFileSync(json, 'utf8'));
  rmSync(json);
  return { code, stdout, out, summary };
}

describe('doc-examples', () => {
  it('passes blocks that compile, runs ```ts run blocks against the echo servers, skips other languages', async () => {
    const run = await docExamples(fixture('good.md'));
    expect(run.stdout).toContain('ok scripts/test/fixtures/good.md:5\n');
    expect(run.stdout).toMatch(/^ok scripts\/test\/fixtures\/good\.md:15 \(ran in/m);
    expect(run.stdout).toMatch(/^ok scripts\/test\/fixtures\/good\.md:37 \(ran in/m);
    expect(run.stdout).toContain('doc-examples: 3 passed, 0 failed');
    expect(run.code).toBe(0);
    expect(run.summary).toMatchObject({ passed: 3, failed: 0 });
    // Each block is a file named after its Markdown file and line; the placeholders of a run
    // block point at the loopback servers in the compiled file.
    const tcp = readFileSync(join(root, run.out, 'scripts-test-fixtures-good.md-L15.js'), 'utf8');
    expect(tcp).toMatch(/'tcp:\/\/127\.0\.0\.1:\d+'/);
    expect(tcp).not.toContain('localhost:7000');
    const ws = readFileSync(join(root, run.out, 'scripts-test-fixtures-good.md-L37.js'), 'utf8');
    expect(ws).toMatch(/'ws:\/\/127\.0\.0\.1:\d+\/chat'/);
    expect(existsSync(join(root, run.out, 'scripts-test-fixtures-good.md-L5.ts'))).toBe(true);
  });

  it('fails a block that does not compile at its Markdown line, a run block that exits 1, an unknown info word and a ```js block', async () => {
    const run = await docExamples(fixture('bad.md'));
    expect(run.stdout).toContain(
      "scripts/test/fixtures/bad.md:6: error TS2322: Type 'string' is not assignable to type 'number'.",
    );
    expect(run.stdout).toMatch(/^FAIL scripts\/test\/fixtures\/bad\.md:3: does not compile/m);
    expect(run.stdout).toMatch(/^FAIL scripts\/test\/fixtures\/bad\.md:10: exit code 1/m);
    expect(run.stdout).toContain('    | example failed on purpose');
    expect(run.stdout).toContain(
      'FAIL scripts/test/fixtures/bad.md:15: unknown info word "walk" after ```ts',
    );
    expect(run.stdout).toMatch(/^FAIL scripts\/test\/fixtures\/bad\.md:19: ```js block/m);
    expect(run.stdout).toContain('doc-examples: 0 passed, 4 failed');
    expect(run.code).toBe(1);
    expect(run.summary.blocks.map((b) => [b.line, b.ok])).toEqual([
      [3, false],
      [10, false],
      [15, false],
      [19, false],
    ]);
  });

  it('kills a run block that does not exit within the timeout', async () => {
    const run = await docExamples('--timeout-ms', '1500', fixture('hang.md'));
    expect(run.stdout).toMatch(
      /^FAIL scripts\/test\/fixtures\/hang\.md:3: timed out after 1500 ms \(killed\)/m,
    );
    expect(run.code).toBe(1);
    // Killed at the timeout (1.5 s), not at the 20 s default.
    const ms = run.summary.blocks[0]?.ms ?? 0;
    expect(ms).toBeGreaterThanOrEqual(1500);
    expect(ms).toBeLessThan(10_000);
    const pid = Number(/\| pid (\d+)/.exec(run.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('accepts a file given explicitly that has no blocks', async () => {
    const run = await docExamples(fixture('none.md'));
    expect(run.stdout).toContain('doc-examples: 0 passed, 0 failed');
    expect(run.code).toBe(0);
    expect(readdirSync(join(root, run.out)).filter((f) => f.endsWith('.ts'))).toEqual([]);
  });
});

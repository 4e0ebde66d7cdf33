// Counts the tests of a CI run: `node scripts/ci-count.mjs <out> <runtime>...`. Each runtime's
// reports sit in <out>/<runtime>/ (vitest JSON of the Node tests, the browser test and the
// reliability suite; smoke, package-check and mutant results). Prints one line per runtime with
// what it ran, then the plain total line "N passed, N failed" that CI reads. A report that is
// missing, or a step that failed without a failing test, counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

const [out, ...runtimes] = process.argv.slice(2);
const read = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

let passed = 0;
let failed = 0;
for (const runtime of runtimes) {
  const dir = `${out}/${runtime}`;
  const parts = [];
  let p = 0;
  let f = 0;
  const count = (name, ok, bad, present) => {
    if (!present) {
      parts.push(`${name} missing`);
      f += 1;
      return;
    }
    p += ok;
    f += bad;
    parts.push(`${name} ${ok}${bad > 0 ? ` (${bad} failed)` : ''}`);
  };
  for (const [name, file] of [
    ['node tests', 'vitest.json'],
    ['browser', 'browser.json'],
    ['reliability', 'reliability.json'],
  ]) {
    const report = read(`${dir}/${file}`);
    const bad = report?.numFailedTests ?? 0;
    // A run that broke before reporting a failing test (build or type errors) still fails.
    const broke = report !== undefined && report.success === false && bad === 0 ? 1 : 0;
    count(name, report?.numPassedTests ?? 0, bad + broke, report !== undefined);
  }
  const smoke = read(`${dir}/smoke.json`);
  count('smoke', smoke?.passed ?? 0, smoke?.failed ?? 0, smoke !== undefined);
  const pkg = read(`${dir}/check-pkg.json`);
  count('packages', pkg?.passed ?? 0, pkg?.failed ?? 0, pkg !== undefined);
  const mutants = read(`${dir}/mutants.json`);
  const caught = (mutants ?? []).filter((m) => m.caughtBy.length > 0).length;
  count(
    'mutants caught',
    caught,
    (mutants?.length ?? 0) - caught,
    mutants !== undefined && mutants.length > 0,
  );
  if (existsSync(`${dir}/step-failed`) && f === 0) {
    parts.push('a step failed');
    f += 1;
  }
  console.log(`${runtime}: ${p} passed, ${f} failed — ${parts.join(', ')}`);
  passed += p;
  failed += f;
}
if (existsSync(`${out}/lint-failed`)) {
  console.log('lint: biome ci failed');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;

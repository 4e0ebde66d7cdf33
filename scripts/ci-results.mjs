// The test counts of one runtime's CI reports (.ci/run writes them to .ci/out/<runtime>/): the
// Node tests, the browser test and the reliability suite (vitest JSON), the docs' code blocks,
// smoke, package checks and mutants. A report that is missing, or a step that failed without a
// failing test, counts as one failure. Used by ci-count.mjs (the CI's last lines) and
// reliability-report.mjs (R11).
import { existsSync, readFileSync } from 'node:fs';

function read(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `{ passed, failed, parts }` for the reports in `dir`; `parts` says what each step ran. */
export function countRuntime(dir) {
  const parts = [];
  let passed = 0;
  let failed = 0;
  const count = (name, ok, bad, present) => {
    if (!present) {
      parts.push(`${name} missing`);
      failed += 1;
      return;
    }
    passed += ok;
    failed += bad;
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
  // Every code block of the docs is one test.
  const examples = read(`${dir}/doc-examples.json`);
  count('doc examples', examples?.passed ?? 0, examples?.failed ?? 0, examples !== undefined);
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
  if (existsSync(`${dir}/step-failed`) && failed === 0) {
    parts.push('a step failed');
    failed += 1;
  }
  return { passed, failed, parts };
}

// Counts the tests of a CI run: `node scripts/ci-count.mjs <out> <runtime>...`. Prints one line
// per runtime with what it ran (see ci-results.mjs), TypeDoc's and Biome's results, then the
// plain total line "N passed, N failed" that CI reads.
import { existsSync, readFileSync } from 'node:fs';
import { countRuntime } from './ci-results.mjs';

const [out, ...runtimes] = process.argv.slice(2);
let passed = 0;
let failed = 0;
for (const runtime of runtimes) {
  const result = countRuntime(`${out}/${runtime}`);
  console.log(
    `${runtime}: ${result.passed} passed, ${result.failed} failed — ${result.parts.join(', ')}`,
  );
  passed += result.passed;
  failed += result.failed;
}
// TypeDoc runs once (not per runtime): one test; a run that never got to it fails.
let typedoc;
try {
  typedoc = JSON.parse(readFileSync(`${out}/typedoc.json`, 'utf8'));
} catch {
  typedoc = { passed: 0, failed: 1 };
}
console.log(`typedoc: ${typedoc.failed > 0 ? 'failed (see .ci/out/typedoc-all.log)' : 'ok'}`);
passed += typedoc.passed;
failed += typedoc.failed;
if (existsSync(`${out}/lint-failed`)) {
  console.log('lint: biome ci failed');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;

// Counts the tests of a CI run: `node scripts/ci-count.mjs <out> <runtime>...`. Prints one line
// per runtime with what it ran (see ci-results.mjs), then the plain total line
// "N passed, N failed" that CI reads.
import { existsSync } from 'node:fs';
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
if (existsSync(`${out}/lint-failed`)) {
  console.log('lint: biome ci failed');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;

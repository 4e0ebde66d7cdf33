// `npm run check:pkg`: every published package passes publint --strict (its package.json,
// exports and files agree with what is built) and attw with the esm-only profile (its types
// resolve for every TypeScript module resolution that can load an ES module). Offline.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const packages = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private);

const bin = (name) => join(root, 'node_modules', '.bin', name);
const tools = [
  // npm packs (pnpm is not on the PATH when installed through npx); what is packed is the same.
  ['publint --strict', (dir) => [bin('publint'), ['--strict', '--pack', 'npm', dir]]],
  [
    'attw esm-only',
    (dir) => [bin('attw'), ['--pack', dir, '--profile', 'esm-only', '--format', 'table-flipped']],
  ],
];

let passed = 0;
let failed = 0;
for (const dir of packages) {
  const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
  for (const [tool, command] of tools) {
    const [file, args] = command(dir);
    const result = spawnSync(file, args, { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    if (result.status === 0) {
      passed += 1;
      console.log(`check ok   ${name}: ${tool}`);
    } else {
      failed += 1;
      console.log(
        `check FAIL ${name}: ${tool}\n${result.stdout}${result.stderr}${result.error ?? ''}`,
      );
    }
  }
}
if (process.env.CHECK_PKG_JSON) {
  writeFileSync(process.env.CHECK_PKG_JSON, JSON.stringify({ passed, failed }));
}
console.log(`check:pkg: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;

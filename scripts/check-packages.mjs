// `npm run check:pkg`: every published package passes publint --strict (its package.json,
// exports and files agree with what is built) and attw with the esm-only profile (its types
// resolve for every TypeScript module resolution that can load an ES module), and its `npm pack`
// tarball holds README.md and LICENSE. Offline.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

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

// What npm shows and what the license requires: npm adds README.md and LICENSE to the tarball
// whatever `files` says, but only when they exist in the package's directory.
const tarballFiles = ['README.md', 'LICENSE'];

/** The paths in the tarball `npm pack` would make of `dir`, or the error that stopped it. */
function packedFiles(dir) {
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    encoding: 'utf8',
    cwd: dir,
    timeout: 120_000,
  });
  try {
    return { files: new Set(JSON.parse(result.stdout)[0].files.map((file) => file.path)) };
  } catch {
    return {
      error: `npm pack --dry-run failed\n${result.stdout}${result.stderr}${result.error ?? ''}`,
    };
  }
}

let passed = 0;
let failed = 0;
const report = (ok, name, what, detail) => {
  if (ok) {
    passed += 1;
    console.log(`check ok   ${name}: ${what}`);
  } else {
    failed += 1;
    console.log(`check FAIL ${name}: ${what}\n${detail}`);
  }
};
for (const dir of packages) {
  const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
  for (const [tool, command] of tools) {
    const [file, args] = command(dir);
    const result = spawnSync(file, args, { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    report(
      result.status === 0,
      name,
      tool,
      `${result.stdout}${result.stderr}${result.error ?? ''}`,
    );
  }
  const packed = packedFiles(dir);
  for (const file of tarballFiles) {
    report(
      packed.files?.has(file) ?? false,
      name,
      `${file} in the tarball`,
      packed.error ?? `  npm pack has no ${file}: add ${relative(root, join(dir, file))}`,
    );
  }
}
if (process.env.CHECK_PKG_JSON) {
  writeFileSync(process.env.CHECK_PKG_JSON, JSON.stringify({ passed, failed }));
}
console.log(`check:pkg: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;

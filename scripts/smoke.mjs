// Imports every built package in plain Node ESM, as a user would. vitest runs the TypeScript
// sources, so an export that only resolves there (a named import of a CommonJS dependency, a
// missing `exports` entry) would pass the tests and still fail for users; this catches it.
import { writeFileSync } from 'node:fs';

const checks = [
  [
    '@connback/core',
    async (m) => {
      const connector = { connect: () => ({}), close: () => undefined };
      const cb = new m.Connback(connector, { lazyConnect: true });
      cb.end();
      if (cb.state !== 'ended') throw new Error(`state ${cb.state} after end()`);
      for (const name of [
        'Connback',
        'ConnbackError',
        'ErrorCode',
        'isConnbackError',
        'toAbortSignal',
      ]) {
        if (!(name in m)) throw new Error(`missing export ${name}`);
      }
    },
  ],
  ['@connback/tcp', async (m) => void m.packageName],
  ['@connback/ws', async (m) => void m.packageName],
];

let passed = 0;
let failed = 0;
for (const [name, check] of checks) {
  try {
    await check(await import(name));
    passed += 1;
    console.log(`smoke ok   ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`smoke FAIL ${name}: ${error?.stack ?? error}`);
  }
}
if (process.env.SMOKE_JSON)
  writeFileSync(process.env.SMOKE_JSON, JSON.stringify({ passed, failed }));
process.exitCode = failed === 0 ? 0 : 1;

#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './main.js';

try {
  process.exitCode = await main(process.argv.slice(2), processIo());
} catch (error) {
  process.stderr.write(`connback: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
}
// Whatever the command left (a socket closing gracefully, a timer) must not hold the exit, but
// what was written to standard output must get out first.
process.stdout.write('', () => process.exit());

#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './main.js';
import { safeLine, sanitizeDebugOutput } from './sanitize.js';

sanitizeDebugOutput();
try {
  process.exitCode = await main(process.argv.slice(2), processIo());
} catch (error) {
  const text = (error as Error)?.stack ?? String(error);
  process.stderr.write(
    `connback: unexpected error: ${text.split('\n').map(safeLine).join('\n')}\n`,
  );
  process.exitCode = 1;
}
// Whatever the command left (a socket closing gracefully, a timer) must not hold the exit, but
// what was written to standard output must get out first.
process.stdout.write('', () => process.exit());

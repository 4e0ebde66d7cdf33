import { createRequire } from 'node:module';
import { ConnbackError } from '@connback/core';
import { type Command, HELP, parseCommandLine } from './args.js';
import { runDemo } from './demo.js';
import { type CliIo, ExitCode } from './io.js';
import { Reporter } from './reporter.js';
import { runTcp } from './run-tcp.js';
import { runWs } from './run-ws.js';
import { safeLine } from './sanitize.js';
import { UsageError } from './usage-error.js';

/** The version of this package, for --version. */
export function version(): string {
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}

function usage(io: CliIo, error: Error): number {
  // A message may quote what was typed (a URL, a flag's value): never a credential in it.
  io.stderr.write(`connback: ${safeLine(error.message)}\nTry 'connback --help'.\n`);
  return ExitCode.Usage;
}

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return usage(io, error);
    throw error;
  }
  switch (command.kind) {
    case 'help':
      io.stdout.write(HELP);
      return ExitCode.Ok;
    case 'version':
      io.stdout.write(`${version()}\n`);
      return ExitCode.Ok;
    case 'demo':
      return runDemo(io, new Reporter(io.stderr, command.report));
    case 'connect': {
      const reporter = new Reporter(io.stderr, command.report);
      const { target, options, ping } = command;
      try {
        return await (target.kind === 'ws'
          ? runWs(target, options, ping, io, reporter)
          : runTcp(target, options, ping, io, reporter));
      } catch (error) {
        // A bad combination of options is refused when the Connback is made: still a usage error.
        if (error instanceof ConnbackError && error.code === 'CONNBACK_INVALID_OPTION') {
          return usage(io, error);
        }
        throw error;
      }
    }
  }
}

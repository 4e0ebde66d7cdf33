import { createRequire } from 'node:module';
import { type ConnbackOptions, isConnbackError } from '@connback/core';
import { type Command, FLAG_OF_OPTION, parseCommandLine, type TlsFlags } from './args.js';
import { runDemo } from './demo.js';
import { isCertificateError } from './describe.js';
import { HELP } from './help.js';
import { type CliIo, ExitCode } from './io.js';
import { Reporter, type ReportMode } from './reporter.js';
import { runTcp } from './run-tcp.js';
import { runWs } from './run-ws.js';
import { safeLine } from './sanitize.js';
import { loadTls, type TlsConnectOptions } from './tls-files.js';
import { UsageError } from './usage-error.js';

/**
 * The version of this package, for `--version`.
 * @returns The `version` of `@connback/cli`'s package.json (`'0.2.0'`).
 */
export function version(): string {
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}

function usage(io: CliIo, message: string): number {
  // A message may quote what was typed (a URL, a flag's value): never a credential in it.
  io.stderr.write(`connback: ${safeLine(message)}\nTry 'connback --help'.\n`);
  return ExitCode.Usage;
}

/**
 * Core's message for an option it refused, in the command's words: the flag instead of the
 * option's name, and without core's own "connback: " in front of ours.
 */
function inFlagTerms(message: string): string {
  return message
    .replace(/^connback(\/\w+)?: /, '')
    .replace(/option "(\w+)"/g, (text, name: string) => FLAG_OF_OPTION[name] ?? text);
}

/** The retry policy of the TLS flags: a certificate error is final unless --retry-cert-errors. */
function withTlsPolicy(options: ConnbackOptions, flags: TlsFlags | undefined): ConnbackOptions {
  if (flags === undefined || flags.retryCertErrors) return options;
  return { ...options, retry: (error) => !isCertificateError(error) };
}

const INSECURE_WARNING =
  "-k (--insecure): the server's certificate is not verified; anyone on the way can read and change the data";

/**
 * Runs the command line, as the `connback` binary does, on the streams and signals of `io`.
 * @param argv - The arguments, without node and the script (`process.argv.slice(2)`).
 * @param io - The streams and signals: {@link processIo} for the process's own, or your own in a
 *   test.
 * @returns (resolves with) the exit code, one of {@link ExitCode}; a usage error resolves with 2
 *   after printing it.
 * @throws (rejects) only an unexpected error (a bug), which the binary prints as
 *   `connback: unexpected error: …` with exit code 1.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: Command;
  let tls: TlsConnectOptions = {};
  try {
    command = parseCommandLine(argv);
    if (command.kind === 'connect' && command.tls !== undefined) tls = loadTls(command.tls);
  } catch (error) {
    if (error instanceof UsageError) return usage(io, error.message);
    throw error;
  }
  const reporterFor = (mode: ReportMode) =>
    new Reporter(io.stderr, mode, {
      sharedTerminal: io.stdout.isTTY === true && io.stderr.isTTY === true,
    });
  switch (command.kind) {
    case 'help':
      io.stdout.write(HELP);
      return ExitCode.Ok;
    case 'version':
      io.stdout.write(`${version()}\n`);
      return ExitCode.Ok;
    case 'demo':
      return runDemo(io, reporterFor(command.report));
    case 'connect': {
      const { target, ping } = command;
      const options = withTlsPolicy(command.options, command.tls);
      let reporter: Reporter | undefined;
      try {
        reporter = reporterFor(command.report);
        if (command.tls?.insecure === true) reporter.warn(INSECURE_WARNING);
        return await (target.kind === 'ws'
          ? runWs(target, options, ping, io, reporter, tls)
          : runTcp(target, options, ping, io, reporter, tls));
      } catch (error) {
        // A bad combination of options is refused when the Connback is made: still a usage error.
        if (isConnbackError(error, 'CONNBACK_INVALID_OPTION')) {
          reporter?.close();
          return usage(io, inFlagTerms(error.message));
        }
        throw error;
      } finally {
        reporter?.close();
      }
    }
  }
}

import { parseArgs } from 'node:util';
import type { ConnbackOptions } from '@connback/core';
import { parseTarget, redact, type Target } from './target.js';
import { UsageError } from './usage-error.js';

/** How the lifecycle is reported on standard error. */
export type ReportMode = 'plain' | 'json' | 'quiet';

/** What the command line asks for. */
export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'demo'; readonly report: ReportMode }
  | {
      readonly kind: 'connect';
      readonly target: Target;
      readonly options: ConnbackOptions;
      /** The ping payload (TCP: bytes written as they are; WebSocket: a text message). */
      readonly ping: string | undefined;
      readonly report: ReportMode;
    };

/** The flags of core options: name, option, unit (for messages and --help). */
export const OPTION_FLAGS = [
  { flag: 'keepalive', option: 'keepalive', unit: 's', kind: 'number' },
  { flag: 'connect-timeout', option: 'connectTimeout', unit: 'ms', kind: 'number' },
  { flag: 'initial-delay', option: 'initialDelay', unit: 'ms', kind: 'number' },
  { flag: 'max-delay', option: 'maxDelay', unit: 'ms', kind: 'number' },
  { flag: 'max-attempts', option: 'maxNumOfAttempts', unit: '', kind: 'number' },
  { flag: 'min-uptime', option: 'minUptime', unit: 'ms', kind: 'number' },
  { flag: 'strategy', option: 'strategy', unit: '', kind: 'choice' },
  { flag: 'jitter', option: 'jitter', unit: '', kind: 'choice' },
] as const;

const CHOICES: Record<string, readonly string[]> = {
  strategy: ['fibonacci', 'exponential'],
  jitter: ['full', 'equal', 'none'],
};

function parseNumber(flag: string, text: string): number {
  const value = text === 'Infinity' ? Number.POSITIVE_INFINITY : Number(text);
  if (text.trim() === '' || Number.isNaN(value) || value < 0) {
    throw new UsageError(`--${flag} takes a number ≥ 0, not "${text}"`);
  }
  return value;
}

function parseChoice(flag: string, text: string): string {
  const choices = CHOICES[flag] ?? [];
  if (!choices.includes(text)) {
    throw new UsageError(`--${flag} is one of ${choices.join(', ')}, not "${text}"`);
  }
  return text;
}

/** @throws UsageError for an unknown flag, a bad value, a missing or bad URL. */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof FLAG_SPEC; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: FLAG_SPEC,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs names the flag; its own codes and wording stay out of the message.
    throw new UsageError((error as Error).message.replace(/\. To specify .*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (values.json && values.quiet) throw new UsageError('--json and --quiet exclude each other');
  const report: ReportMode = values.json ? 'json' : values.quiet ? 'quiet' : 'plain';
  const [first, ...rest] = positionals;
  if (first === undefined) throw new UsageError('a URL is required, or the command demo');
  if (rest.length > 0) {
    throw new UsageError(`one URL only; unexpected "${rest.map(redact).join(' ')}"`);
  }
  if (first === 'demo') {
    const given = OPTION_FLAGS.filter(({ flag }) => values[flag] !== undefined);
    if (given.length > 0 || values.ping !== undefined) {
      throw new UsageError('demo takes no connection options (only --json or --quiet)');
    }
    return { kind: 'demo', report };
  }

  const options: Record<string, unknown> = {};
  for (const { flag, option, kind } of OPTION_FLAGS) {
    const text = values[flag];
    if (text === undefined) continue;
    options[option] = kind === 'number' ? parseNumber(flag, text) : parseChoice(flag, text);
  }
  return {
    kind: 'connect',
    target: parseTarget(first),
    options: options as ConnbackOptions,
    ping: values.ping,
    report,
  };
}

const FLAG_SPEC = {
  keepalive: { type: 'string' },
  ping: { type: 'string' },
  'connect-timeout': { type: 'string' },
  'initial-delay': { type: 'string' },
  'max-delay': { type: 'string' },
  'max-attempts': { type: 'string' },
  'min-uptime': { type: 'string' },
  strategy: { type: 'string' },
  jitter: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export const HELP = `Usage: connback [options] <url>
       connback demo

Connects to <url> and keeps the connection alive: standard input goes to the connection (kept
while it is down, up to a bound), what arrives goes to standard output, and the lifecycle goes to
standard error.

URLs:
  tcp://host:port      TCP                    tls://host:port   TLS (certificates verified)
  unix:/path/to.sock   a Unix socket          ws://… wss://…    WebSocket, one message per line

Options:
  --keepalive <s>          ping period in seconds; a peer silent for 2 periods is dropped.
                           ws: default 60, with protocol pings. tcp, unix: off by default
                           (no protocol to ping with); with it, any incoming data is a
                           heartbeat, so give --ping too unless the server talks on its own
  --ping <payload>         what a ping sends: tcp, unix: the bytes as given (e.g. $'PING\\r\\n');
                           ws: a text message instead of protocol pings
  --connect-timeout <ms>   give up an attempt after this long (default 30000)
  --initial-delay <ms>     first backoff delay (default 1000)
  --max-delay <ms>         largest backoff delay (default 30000)
  --max-attempts <n>       attempts per outage before giving up (default Infinity)
  --strategy <name>        fibonacci (default) or exponential
  --jitter <name>          full (default), equal or none
  --min-uptime <ms>        a connection counts as stable after this long (default 1000)
  -q, --quiet              nothing on standard error but a fatal error
  --json                   the lifecycle as one JSON object per line on standard error
  -h, --help               this text
  -V, --version            the version

Exit codes: 0 standard input ended and everything was written; 1 the connection could not be
kept (attempts exhausted, a fatal close); 2 a usage error; 130 interrupted (Ctrl-C).
Tracing: DEBUG=connback:* connback <url>.
`;

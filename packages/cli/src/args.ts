import { parseArgs } from 'node:util';
import { type ConnbackOptions, DEFAULT_OPTIONS } from '@connback/core';
import type { ReportMode } from './reporter.js';
import { parseTarget, redact, type Target } from './target.js';
import { UsageError } from './usage-error.js';

/**
 * The TLS flags as typed: paths, not contents (the command reads and checks the files before it
 * connects). Only `tls://` and `wss://` URLs take them.
 */
export interface TlsFlags {
  /** `--ca FILE`: PEM certificates to trust instead of the system's CAs. */
  readonly ca?: string | undefined;
  /** `--cert FILE`: the client certificate (PEM), with `--key`. */
  readonly cert?: string | undefined;
  /** `--key FILE`: the client certificate's private key (PEM), with `--cert`. */
  readonly key?: string | undefined;
  /** `--servername NAME`: the name sent as SNI and checked against the certificate. */
  readonly servername?: string | undefined;
  /** `-k`, `--insecure`: the server's certificate is not verified. */
  readonly insecure: boolean;
  /** `--retry-cert-errors`: a certificate error is retried like any other. */
  readonly retryCertErrors: boolean;
}

/** What the command line asks for, as {@link parseCommandLine} returns it; `kind` tells which. */
export type Command =
  /** `-h`, `--help`: print {@link HELP}. */
  | {
      /** The kind of command. */
      readonly kind: 'help';
    }
  /** `-V`, `--version`: print the version. */
  | {
      /** The kind of command. */
      readonly kind: 'version';
    }
  /** `connback demo`. */
  | {
      /** The kind of command. */
      readonly kind: 'demo';
      /** How the lifecycle is reported: `verbose` unless `--json` or `--quiet`. */
      readonly report: ReportMode;
    }
  /** `connback [options] <url>`. */
  | {
      /** The kind of command. */
      readonly kind: 'connect';
      /** Where to connect, from the URL. */
      readonly target: Target;
      /** Core's options set by the flags (`--keepalive`, `--max-delay`…); only those given. */
      readonly options: ConnbackOptions;
      /** The ping payload (TCP: bytes written as they are; WebSocket: a text message). */
      readonly ping: string | undefined;
      /** How the lifecycle is reported: `--json`, `--quiet`, `--verbose`, or `plain` by default. */
      readonly report: ReportMode;
      /** The TLS flags; undefined for `tcp://`, `unix:` and `ws://`, which take none. */
      readonly tls: TlsFlags | undefined;
    };

/** Largest timer delay Node accepts (ms); the limit of every ms flag. */
const MAX_MS = 2 ** 31 - 1;

interface NumberFlag {
  readonly flag: string;
  readonly option: keyof ConnbackOptions;
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly whole?: boolean;
  /** What 0 means, when it is allowed and means something. */
  readonly zero?: string;
}

/** The flags of core's number options: flag, option, unit and range (for messages and --help). */
export const NUMBER_FLAGS: readonly NumberFlag[] = [
  {
    flag: 'keepalive',
    option: 'keepalive',
    unit: 'seconds',
    min: 0,
    max: MAX_MS / 1000,
    zero: '0 turns the heartbeat off',
  },
  {
    flag: 'connect-timeout',
    option: 'connectTimeout',
    unit: 'ms',
    min: 0,
    max: MAX_MS,
    zero: '0 turns it off',
  },
  { flag: 'initial-delay', option: 'initialDelay', unit: 'ms', min: 1, max: MAX_MS },
  { flag: 'max-delay', option: 'maxDelay', unit: 'ms', min: 1, max: MAX_MS },
  {
    flag: 'max-attempts',
    option: 'maxNumOfAttempts',
    unit: 'attempts',
    min: 1,
    max: Number.POSITIVE_INFINITY,
    whole: true,
  },
  { flag: 'min-uptime', option: 'minUptime', unit: 'ms', min: 0, max: MAX_MS },
];

const CHOICE_FLAGS = {
  strategy: ['fibonacci', 'exponential'],
  jitter: ['full', 'equal', 'none'],
} as const;

/** Core's option names and the flags that set them, to translate core's messages. */
export const FLAG_OF_OPTION: Readonly<Record<string, string>> = Object.fromEntries([
  ...NUMBER_FLAGS.map(({ flag, option }) => [option, `--${flag}`]),
  ['strategy', '--strategy'],
  ['jitter', '--jitter'],
]);

const TLS_VALUE_FLAGS = ['ca', 'cert', 'key', 'servername'] as const;
const TLS_BOOLEAN_FLAGS = ['insecure', 'retry-cert-errors'] as const;

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
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  servername: { type: 'string' },
  insecure: { type: 'boolean', short: 'k' },
  'retry-cert-errors': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

type FlagName = keyof typeof FLAG_SPEC;

/** What a flag's value stands for, for "needs a value". */
const VALUE_NAMES: Partial<Record<FlagName, string>> = {
  keepalive: 'seconds',
  ping: 'a payload',
  'connect-timeout': 'ms',
  'initial-delay': 'ms',
  'max-delay': 'ms',
  'max-attempts': 'a number of attempts',
  'min-uptime': 'ms',
  strategy: 'fibonacci or exponential',
  jitter: 'full, equal or none',
  ca: 'a file',
  cert: 'a file',
  key: 'a file',
  servername: 'a host name',
};

function isFlag(name: string): name is FlagName {
  return Object.hasOwn(FLAG_SPEC, name);
}

/** A decimal number as people type it (no hex, no empty string, which Number() would accept). */
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseNumber(spec: NumberFlag, text: string): number {
  const flag = `--${spec.flag}`;
  const unit = spec.unit === 'attempts' ? '' : ` (${spec.unit})`;
  const infinite = /^(\+?Infinity|inf)$/i.test(text.trim());
  if (!infinite && !NUMBER_TEXT.test(text.trim())) {
    throw new UsageError(`${flag} takes a number${unit}, not "${text}"`);
  }
  const value = infinite ? Number.POSITIVE_INFINITY : Number(text);
  if (value < 0) {
    const zero = spec.zero === undefined ? '' : `; ${spec.zero}`;
    throw new UsageError(`${flag} cannot be negative, got "${text}"${unit}${zero}`);
  }
  if (value < spec.min) {
    const none = spec.max === Number.POSITIVE_INFINITY ? ' (or Infinity for no limit)' : unit;
    throw new UsageError(`${flag} must be at least ${spec.min}, got "${text}"${none}`);
  }
  if (value > spec.max) {
    throw new UsageError(`${flag} is at most ${spec.max}${unit}, got "${text}"`);
  }
  if (spec.whole === true && value !== Number.POSITIVE_INFINITY && !Number.isInteger(value)) {
    throw new UsageError(`${flag} takes a whole number, got "${text}"`);
  }
  return value;
}

function parseChoice(flag: keyof typeof CHOICE_FLAGS, text: string): string {
  const choices: readonly string[] = CHOICE_FLAGS[flag];
  if (!choices.includes(text)) {
    throw new UsageError(`--${flag} is one of ${choices.join(', ')}, not "${text}"`);
  }
  return text;
}

/**
 * The flags and positionals of `argv`. Parsed leniently, so that every mistake is said in our
 * words, naming the flag as typed; and a value is taken whatever it starts with, as getopt does,
 * so `--keepalive -1` reaches the number check instead of an "ambiguous" complaint.
 */
function tokenize(argv: readonly string[]): {
  values: Partial<Record<FlagName, string | boolean>>;
  positionals: string[];
} {
  const { tokens } = parseArgs({
    args: [...argv],
    options: FLAG_SPEC,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const values: Partial<Record<FlagName, string | boolean>> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const { name, rawName, value } = token;
    if (!isFlag(name)) throw new UsageError(`unknown flag ${rawName}`);
    if (FLAG_SPEC[name].type === 'boolean') {
      if (value !== undefined) {
        throw new UsageError(`${rawName} takes no value, got "${value}"`);
      }
      values[name] = true;
    } else {
      if (value === undefined) {
        throw new UsageError(`${rawName} needs a value (${VALUE_NAMES[name] ?? 'a value'})`);
      }
      values[name] = value;
    }
  }
  return { values, positionals };
}

/**
 * Parses the command line, checking every flag and the URL before anything connects.
 * @param argv - The arguments, without node and the script (`process.argv.slice(2)`).
 * @returns What the command line asks for.
 * @throws UsageError for an unknown flag, a bad value, a missing or bad URL, a TLS flag with a URL
 *   that is not `tls://` or `wss://`, flags that exclude each other; its message names the flag as
 *   typed, with credentials hidden.
 */
export function parseCommandLine(argv: readonly string[]): Command {
  const { values, positionals } = tokenize(argv);
  const text = (name: FlagName): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  if (values.json === true && values.quiet === true) {
    throw new UsageError('--json and --quiet exclude each other');
  }
  if (values.verbose === true && values.quiet === true) {
    throw new UsageError('--verbose and --quiet exclude each other');
  }
  const report: ReportMode =
    values.json === true
      ? 'json'
      : values.quiet === true
        ? 'quiet'
        : values.verbose === true
          ? 'verbose'
          : 'plain';
  const [first, ...rest] = positionals;
  if (first === undefined) throw new UsageError('a URL is required, or the command demo');
  if (rest.length > 0) {
    throw new UsageError(`one URL only; unexpected "${rest.map(redact).join(' ')}"`);
  }
  const reportFlags: readonly FlagName[] = ['json', 'quiet', 'verbose'];
  if (first === 'demo') {
    const given = (Object.keys(values) as FlagName[]).filter((n) => !reportFlags.includes(n));
    if (given.length > 0) {
      throw new UsageError(
        `demo takes no connection options (only --json, --quiet or --verbose), not --${given[0]}`,
      );
    }
    // The demo is there to show the lifecycle: every event, unless --quiet or --json.
    return { kind: 'demo', report: report === 'plain' ? 'verbose' : report };
  }

  const options: Record<string, unknown> = {};
  for (const spec of NUMBER_FLAGS) {
    const value = text(spec.flag as FlagName);
    if (value !== undefined) options[spec.option] = parseNumber(spec, value);
  }
  for (const flag of Object.keys(CHOICE_FLAGS) as (keyof typeof CHOICE_FLAGS)[]) {
    const value = text(flag);
    if (value !== undefined) options[flag] = parseChoice(flag, value);
  }
  checkDelays(options, text('max-delay'));
  const target = parseTarget(first);
  return {
    kind: 'connect',
    target,
    options: options as ConnbackOptions,
    ping: text('ping'),
    report,
    tls: tlsFlags(values, target),
  };
}

/** The largest delay below the first one is refused here, naming both flags. */
function checkDelays(options: Record<string, unknown>, maxText: string | undefined): void {
  const max = options['maxDelay'];
  if (typeof max !== 'number') return;
  const initial = options['initialDelay'];
  if (typeof initial === 'number' && max < initial) {
    throw new UsageError(
      `--max-delay must be at least --initial-delay (${initial}), got "${maxText}"`,
    );
  }
  const byDefault = DEFAULT_OPTIONS.initialDelay;
  if (initial === undefined && max < byDefault) {
    throw new UsageError(
      `--max-delay must be at least the initial delay (${byDefault} ms unless --initial-delay says otherwise), got "${maxText}"`,
    );
  }
}

function tlsFlags(
  values: Partial<Record<FlagName, string | boolean>>,
  target: Target,
): TlsFlags | undefined {
  const given = [...TLS_VALUE_FLAGS, ...TLS_BOOLEAN_FLAGS].filter((n) => values[n] !== undefined);
  const secure =
    (target.kind === 'tcp' && target.tls) || (target.kind === 'ws' && /^wss:/i.test(target.url));
  if (!secure) {
    if (given.length === 0) return undefined;
    throw new UsageError(`--${given[0]} is for tls:// and wss:// URLs, not ${target.display}`);
  }
  const path = (name: (typeof TLS_VALUE_FLAGS)[number]) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const flags: TlsFlags = {
    ca: path('ca'),
    cert: path('cert'),
    key: path('key'),
    servername: path('servername'),
    insecure: values.insecure === true,
    retryCertErrors: values['retry-cert-errors'] === true,
  };
  if (flags.cert !== undefined && flags.key === undefined) {
    throw new UsageError(
      '--cert needs --key (the private key of the certificate; both may name the same file)',
    );
  }
  if (flags.key !== undefined && flags.cert === undefined) {
    throw new UsageError(
      '--key needs --cert (the certificate of that key; both may name the same file)',
    );
  }
  if (flags.servername === '') throw new UsageError('--servername needs a host name, not ""');
  return flags;
}

export { type Command, parseCommandLine, type TlsFlags } from './args.js';
export { runDemo } from './demo.js';
export { HELP } from './help.js';
export { type CliIo, ExitCode, processIo, type StopSignal } from './io.js';
export { main, version } from './main.js';
export {
  Reporter,
  type ReporterOptions,
  type ReportFields,
  type ReportLevel,
  type ReportMode,
  type ReportStream,
} from './reporter.js';
export { StatusLine, type TerminalStream } from './status-line.js';
export { parseTarget, redact, type Target } from './target.js';
export { UsageError } from './usage-error.js';

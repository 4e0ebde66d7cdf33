export { type Command, HELP, parseCommandLine, type ReportMode } from './args.js';
export { runDemo } from './demo.js';
export { type CliIo, ExitCode, processIo } from './io.js';
export { main, version } from './main.js';
export { Reporter, type ReportFields, type ReportStream } from './reporter.js';
export { parseTarget, redact, type Target } from './target.js';
export { UsageError } from './usage-error.js';

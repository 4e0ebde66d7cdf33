// `node scripts/doc-examples.mjs [--timeout-ms N] [--jobs N] [--out DIR] [files.md...]`: checks
// the code blocks of the docs (default: README.md, packages/*/README.md, docs/**/*.md and
// CONTRIBUTING.md). Every ```ts block is written to a gitignored directory inside the repo
// (.doc-examples/, named after its file and line) and type-checked, all in one TypeScript program,
// strict, against the built packages (run `npm run build` first). Every ```ts run block is then
// compiled and run with `node`, its placeholders `localhost:7000` and `localhost:8080` pointed at
// fresh TCP and WebSocket echo servers on loopback; it passes when it exits with code 0 within
// the timeout (20 s). Prints `ok file.md:LINE` or `FAIL file.md:LINE ...` per block, errors as
// `file.md:LINE: error TSxxxx: message`, then `doc-examples: N passed, N failed`; exits 1 on any
// failure. DOC_EXAMPLES_JSON=path writes a JSON summary (CI counts every block as one test).
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { exampleBlocks } from './doc-examples/blocks.mjs';
import { rewritePlaceholders, startEchoServers } from './doc-examples/echo-servers.mjs';
import { runChild } from './doc-examples/run-child.mjs';

const root = join(import.meta.dirname, '..');

function usage(message) {
  console.error(`doc-examples: ${message}`);
  console.error(
    'usage: node scripts/doc-examples.mjs [--timeout-ms N] [--jobs N] [--out DIR] [files.md...]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const options = { timeoutMs: 20_000, jobs: 2, out: join(root, '.doc-examples'), files: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') ? arg.split(/=(.*)/s) : [arg];
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    const count = (name) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) usage(`${name} must be a positive integer`);
      return n;
    };
    if (flag === '--timeout-ms') options.timeoutMs = count('--timeout-ms');
    else if (flag === '--jobs') options.jobs = count('--jobs');
    else if (flag === '--out') options.out = resolve(value());
    else if (arg.startsWith('--')) usage(`unknown option ${flag}`);
    else options.files.push(resolve(arg));
  }
  // Outside the repo, @connback/* would not resolve to the workspace packages.
  const rel = relative(root, options.out);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
    usage('--out must be a directory inside the repository');
  return options;
}

function markdownUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : markdownUnder(path);
      return entry.name.endsWith('.md') ? [path] : [];
    });
}

function defaultFiles() {
  const packages = readdirSync(join(root, 'packages'))
    .sort()
    .map((name) => join(root, 'packages', name, 'README.md'));
  return [
    join(root, 'README.md'),
    ...packages,
    ...markdownUnder(join(root, 'docs')),
    join(root, 'CONTRIBUTING.md'),
  ].filter((file) => existsSync(file));
}

/** The extraction directory: a module scope where `@connback/*` and `ws` resolve as for a user. */
function prepareOut(out) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'node_modules', '@types'), { recursive: true });
  writeFileSync(
    join(out, 'package.json'),
    `${JSON.stringify({ private: true, type: 'module' })}\n`,
  );
  // @connback/* resolve through the root node_modules (workspace links to the built packages);
  // `ws` is a dependency of packages/ws only, so link its copy (and its types) here rather than
  // add it to the root's dependencies.
  const wsModules = join(root, 'packages', 'ws', 'node_modules');
  symlinkSync(realpathSync(join(wsModules, 'ws')), join(out, 'node_modules', 'ws'), 'dir');
  symlinkSync(
    realpathSync(join(wsModules, '@types', 'ws')),
    join(out, 'node_modules', '@types', 'ws'),
    'dir',
  );
}

const compilerOptions = {
  strict: true,
  module: 'nodenext',
  moduleResolution: 'nodenext',
  target: 'es2022',
  lib: ['es2022', 'dom', 'esnext.disposable'],
  types: ['node'],
  skipLibCheck: true,
  noEmit: true,
};

function display(file) {
  return relative(process.cwd(), file) || file;
}

function sourceName(file) {
  return relative(root, file)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '');
}

/** Type-checks every block in one program; returns the error lines of each block (by .ts path). */
function typeCheck(out, blocks) {
  const tsconfig = { compilerOptions, files: blocks.map((b) => basename(b.tsFile)) };
  writeFileSync(join(out, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  const parsed = ts.parseJsonConfigFileContent(tsconfig, ts.sys, out);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const byFile = new Map(blocks.map((b) => [resolve(b.tsFile), b]));
  const global = [];
  for (const diagnostic of [...parsed.errors, ...ts.getPreEmitDiagnostics(program)]) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
    const category = ts.DiagnosticCategory[diagnostic.category].toLowerCase();
    const block = diagnostic.file ? byFile.get(resolve(diagnostic.file.fileName)) : undefined;
    if (block === undefined) {
      const where = diagnostic.file
        ? `${display(diagnostic.file.fileName)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}: `
        : '';
      global.push(`${where}${category} TS${diagnostic.code}: ${message}`);
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    // The block's first line is the line after its opening fence.
    block.errors.push(
      `${display(block.md)}:${block.line + 1 + line}: ${category} TS${diagnostic.code}: ${message}`,
    );
  }
  return global;
}

function transpile(code) {
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

async function runBlock(block, { out, timeoutMs }) {
  const servers = await startEchoServers();
  try {
    const jsFile = block.tsFile.replace(/\.ts$/, '.js');
    writeFileSync(jsFile, transpile(rewritePlaceholders(block.code, servers)));
    return await runChild(jsFile, { cwd: out, timeoutMs });
  } finally {
    await servers.close();
  }
}

function tail(output, lines = 30) {
  const all = output.trimEnd().split('\n');
  const kept = all.slice(-lines);
  return (all.length > lines ? ['…', ...kept] : kept).map((line) => `    | ${line}`).join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const explicit = options.files.length > 0;
  const files = explicit ? options.files : defaultFiles();
  prepareOut(options.out);

  const blocks = [];
  const results = [];
  for (const md of files) {
    let text;
    try {
      text = readFileSync(md, 'utf8');
    } catch (error) {
      results.push({
        file: display(md),
        line: 0,
        ok: false,
        reason: `cannot read: ${error.message}`,
      });
      continue;
    }
    for (const block of exampleBlocks(text)) {
      const tsFile = join(options.out, `${sourceName(md)}-L${block.line}.ts`);
      writeFileSync(tsFile, block.code);
      blocks.push({ ...block, md, tsFile, errors: [] });
    }
  }
  const checked = blocks.filter((b) => b.error === undefined);
  const global = checked.length > 0 ? typeCheck(options.out, checked) : [];

  // Runs go through a small pool; lines print in document order as soon as they are known.
  const pending = blocks.filter((b) => b.run && b.error === undefined && b.errors.length === 0);
  const runs = new Map();
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const block = pending[next++];
      runs.get(block).resolve(await runBlock(block, options));
    }
  };
  for (const block of pending) {
    let resolveRun;
    const promise = new Promise((r) => (resolveRun = r));
    runs.set(block, { promise, resolve: resolveRun });
  }
  const workers = Array.from({ length: Math.min(options.jobs, pending.length) }, worker);

  for (const message of global) console.log(message);
  if (global.length > 0) {
    results.push({
      file: '(tsc)',
      line: 0,
      ok: false,
      reason: `${global.length} error(s) outside the blocks`,
    });
    console.log(`FAIL tsc: ${global.length} error(s) outside the blocks`);
  }
  for (const r of results) console.log(`FAIL ${r.file}: ${r.reason}`);
  for (const block of blocks) {
    const where = `${display(block.md)}:${block.line}`;
    const result = {
      file: display(block.md),
      line: block.line,
      run: block.run,
      ok: false,
      reason: undefined,
    };
    if (block.error !== undefined) {
      result.reason = block.error;
    } else if (block.errors.length > 0) {
      for (const line of block.errors) console.log(line);
      result.reason = `does not compile (${block.errors.length} error${block.errors.length > 1 ? 's' : ''}; ${display(block.tsFile)})`;
    } else if (block.run) {
      const run = await runs.get(block).promise;
      result.ms = Math.round(run.ms);
      if (run.ok) result.ok = true;
      else {
        const how = run.timedOut
          ? `timed out after ${options.timeoutMs} ms (killed)`
          : run.signal !== null
            ? `killed by ${run.signal}`
            : `exit code ${run.code}`;
        result.reason = `${how}; ${display(block.tsFile.replace(/\.ts$/, '.js'))}`;
        result.output = run.output.slice(-2000);
        console.log(`FAIL ${where}: ${result.reason}`);
        if (run.output.trim() !== '') console.log(tail(run.output));
        results.push(result);
        continue;
      }
    } else {
      result.ok = true;
    }
    console.log(
      result.ok
        ? `ok ${where}${block.run ? ` (ran in ${(result.ms / 1000).toFixed(1)} s)` : ''}`
        : `FAIL ${where}: ${result.reason}`,
    );
    results.push(result);
  }
  await Promise.all(workers);

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (!explicit && blocks.length === 0) console.log('doc-examples: no ```ts blocks found');
  if (process.env.DOC_EXAMPLES_JSON) {
    writeFileSync(
      process.env.DOC_EXAMPLES_JSON,
      `${JSON.stringify({ passed, failed, blocks: results }, null, 2)}\n`,
    );
  }
  console.log(`doc-examples: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();

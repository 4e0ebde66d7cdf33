// Runs one compiled example as `node file.js`: pass is exit code 0 within the timeout. The child
// gets its own process group so that a timeout kills what it started too; its output is kept
// bounded (the last TAIL_BYTES) for the failure report.
import { spawn } from 'node:child_process';

const TAIL_BYTES = 8192;
const live = new Set();

// An interrupted run must not leave examples running in the background.
process.once('exit', () => {
  for (const child of live) killGroup(child);
});

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * @param {string} file the .js file
 * @param {{ cwd: string, timeoutMs: number }} options
 * @returns {Promise<{ ok: boolean, code: number | null, signal: string | null, timedOut: boolean,
 *   ms: number, output: string }>}
 */
export function runChild(file, { cwd, timeoutMs }) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let output = Buffer.alloc(0);
    const keep = (chunk) => {
      output = Buffer.concat([output, chunk]);
      if (output.length > TAIL_BYTES) output = output.subarray(output.length - TAIL_BYTES);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    let spawnError;
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      // Even on exit 0, make sure nothing the example left in its group keeps running.
      if (!timedOut) killGroup(child);
      let text = output.toString('utf8');
      if (spawnError !== undefined) text += `\n${spawnError.message}`;
      resolve({
        ok: !timedOut && code === 0 && spawnError === undefined,
        code,
        signal,
        timedOut,
        ms: performance.now() - started,
        output: text,
      });
    });
  });
}

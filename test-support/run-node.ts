import { spawn } from 'node:child_process';

/** What a child Node process gave: its exit code and everything it printed. */
export interface NodeRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `node args` to its exit; killed (and so failing) if still alive after `timeoutMs`. */
export async function runNode(args: readonly string[], timeoutMs: number): Promise<NodeRun> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const killer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  clearTimeout(killer);
  return { code, out, err };
}

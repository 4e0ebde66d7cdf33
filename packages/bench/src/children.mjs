// Child processes of the benchmark: each row runs its server and its client in separate
// processes, talking over the IPC channel. Every child is killed when the run ends, however it ends.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set();

function killAll() {
  for (const child of live) child.kill('SIGKILL');
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Forks `script` (a file next to this one) with the given arguments and node flags. The returned
 * handle asks questions (`ask`) and waits for one message type (`next`); a child that dies or stays
 * silent past `timeoutMs` fails the question with an error that names the script.
 */
export function startChild(script, args = [], execArgv = []) {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = fork(path, args.map(String), {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });

  /** The next message of `type` from the child. */
  function next(type, timeoutMs = 60_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new Error(`bench: ${script} sent no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message) => {
        if (message.type === 'error') {
          done();
          reject(new Error(`bench: ${script} failed: ${message.message}`));
        } else if (message.type === type) {
          done();
          resolve(message);
        }
      };
      const onExit = (code, signal) => {
        done();
        reject(new Error(`bench: ${script} exited (${signal ?? code}) before "${type}"`));
      };
      function done() {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  return {
    pid: child.pid,
    next,
    /** Sends `message` and waits for the reply of type `reply`. */
    ask(message, reply, timeoutMs) {
      const answer = next(reply, timeoutMs);
      child.send(message);
      return answer;
    },
    signal(name) {
      child.kill(name);
    },
    /** Kills the child (SIGCONT first, in case it is stopped) and waits until it is gone. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** In a child: answers every message with `handler`'s result; reports a failure instead of dying silently. */
export function serve(handler) {
  process.on('message', async (message) => {
    try {
      const reply = await handler(message);
      if (reply) process.send(reply);
    } catch (error) {
      process.send({ type: 'error', message: error?.stack ?? String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Wall-clock milliseconds, comparable between the processes of one run. */
export function now() {
  return performance.timeOrigin + performance.now();
}

import { describe, expect, it } from 'vitest';
import { ChaosProxy, type ChaosProxyOptions } from '../src/index.js';
import { SLACK, timeToReceive } from './support/harness.js';
import { connect, startServer } from './support/net.js';

/** What `ChaosProxy.start(options)` rejected with; a proxy that started is closed, then fails. */
async function startError(options: unknown): Promise<Error> {
  let proxy: ChaosProxy | undefined;
  try {
    proxy = await ChaosProxy.start(options as ChaosProxyOptions);
  } catch (error) {
    return error as Error;
  }
  await proxy.close();
  throw new Error(`ChaosProxy.start(${JSON.stringify(options)}) started`);
}

describe('ChaosProxy.start checks every option (semantic 14)', () => {
  it.each([
    ['no options at all', undefined, 'options object'],
    ['null', null, 'options object'],
    ['no upstream', {}, '"upstream"'],
    ["upstream '7000' (a string)", { upstream: '7000' }, '"upstream"'],
    ['upstream 70000', { upstream: 70000 }, '"upstream"'],
    ['upstream 0', { upstream: 0 }, '"upstream"'],
    ['upstream 80.5', { upstream: 80.5 }, '"upstream"'],
    ['upstream NaN', { upstream: Number.NaN }, '"upstream"'],
    ["upstream { port: '80' }", { upstream: { port: '80' } }, '"upstream.port"'],
    ['upstream { host: 80 }', { upstream: { host: 80 } }, '"upstream.host"'],
    ["upstream { host: '', port: 80 }", { upstream: { host: '', port: 80 } }, '"upstream.host"'],
    ['upstream { port: 80, hots: "x" }', { upstream: { port: 80, hots: 'x' } }, '"hots"'],
    ['port 70000', { upstream: 80, port: 70000 }, '"port"'],
    ['port -1', { upstream: 80, port: -1 }, '"port"'],
    ["port '0'", { upstream: 80, port: '0' }, '"port"'],
    ["random 'seeded'", { upstream: 80, random: 'seeded' }, '"random"'],
    ['an unknown option "upsteam"', { upsteam: 80 }, '"upsteam"'],
  ])(
    '%s: rejects with a TypeError naming it, before anything listens',
    async (_title, options, named) => {
      const error = await startError(options);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain('connback/chaos');
      expect(error.message).toContain(named);
    },
  );

  it('the upstream error says what is accepted and what was given', async () => {
    const error = await startError({ upstream: '7000' });
    expect(error.message).toBe(
      'connback/chaos: option "upstream" must be a port from 1 to 65535 or { host, port } (got "7000")',
    );
  });

  it('accepts a port number, { port } and { host, port } upstreams and port 0; the bytes of a client are forwarded', async () => {
    const server = await startServer();
    try {
      for (const options of [
        { upstream: server.port },
        { upstream: { port: server.port } },
        { upstream: { host: '127.0.0.1', port: server.port }, port: 0, random: Math.random },
      ]) {
        const proxy = await ChaosProxy.start(options);
        try {
          const client = await connect(proxy.port);
          try {
            expect(await timeToReceive(client, client, 'echo')).toBeLessThan(SLACK);
          } finally {
            client.socket.destroy();
          }
        } finally {
          await proxy.close();
        }
      }
    } finally {
      await server.close();
    }
  });
});

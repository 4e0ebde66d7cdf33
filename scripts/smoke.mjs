// Imports every built package in plain Node ESM, as a user would. vitest runs the TypeScript
// sources, so an export that only resolves there (a named import of a CommonJS dependency, a
// missing `exports` entry) would pass the tests and still fail for users; this catches it.
import { writeFileSync } from 'node:fs';

const checks = [
  [
    '@connback/core',
    async (m) => {
      const connector = { connect: () => ({}), close: () => undefined };
      const cb = new m.Connback(connector, { lazyConnect: true });
      cb.end();
      if (cb.state !== 'ended') throw new Error(`state ${cb.state} after end()`);
      for (const name of [
        'Connback',
        'ConnbackError',
        'ErrorCode',
        'isConnbackError',
        'toAbortSignal',
      ]) {
        if (!(name in m)) throw new Error(`missing export ${name}`);
      }
    },
  ],
  [
    '@connback/tcp',
    async (m) => {
      // A real loopback round trip through the built package (event-bind's CommonJS interop
      // only fails here, in plain Node).
      const net = await import('node:net');
      const server = net.createServer((socket) => socket.pipe(socket));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const stream = m.createTcpStream({ host: '127.0.0.1', port: server.address().port });
        const echoed = await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no echo within 5 s')), 5000);
          stream.once('data', (chunk) => {
            clearTimeout(timer);
            resolve(chunk.toString());
          });
          stream.write('smoke\n');
        });
        if (echoed !== 'smoke\n') throw new Error(`echo was ${JSON.stringify(echoed)}`);
        stream.destroy();
      } finally {
        server.close();
      }
    },
  ],
  [
    '@connback/ws',
    async (m) => {
      for (const name of ['createWsConnback', 'WsConnector', 'WsCloseError', 'FATAL_CLOSE_CODES']) {
        if (!(name in m)) throw new Error(`missing export ${name}`);
      }
    },
  ],
  [
    '@connback/cli',
    async (m) => {
      const target = m.parseTarget('ws://user:secret@127.0.0.1:1/');
      if (target.display.includes('secret')) throw new Error('parseTarget printed a password');
      // The binary itself, as npx runs it: its shebang, its imports, its exit code.
      const { execFileSync } = await import('node:child_process');
      const { fileURLToPath } = await import('node:url');
      const bin = fileURLToPath(
        import.meta.resolve('@connback/cli').replace(/index\.js$/, 'bin.js'),
      );
      const version = execFileSync(process.execPath, [bin, '--version'], {
        encoding: 'utf8',
      }).trim();
      if (version !== m.version()) throw new Error(`--version printed ${JSON.stringify(version)}`);
    },
  ],
  [
    '@connback/chaos',
    async (m) => {
      const proxy = await m.ChaosProxy.start({ upstream: 9 });
      if (!(proxy.port > 0)) throw new Error('the proxy did not listen');
      await proxy.close();
    },
  ],
];

let passed = 0;
let failed = 0;
for (const [name, check] of checks) {
  try {
    await check(await import(name));
    passed += 1;
    console.log(`smoke ok   ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`smoke FAIL ${name}: ${error?.stack ?? error}`);
  }
}
if (process.env.SMOKE_JSON)
  writeFileSync(process.env.SMOKE_JSON, JSON.stringify({ passed, failed }));
process.exitCode = failed === 0 ? 0 : 1;

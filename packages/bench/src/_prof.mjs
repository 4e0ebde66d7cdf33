import { startChild } from './children.mjs';
const variant = process.argv[2];
const server = startChild('server.mjs', ['echo']);
const { port } = await server.ask({ type: 'listen' }, 'listening');
const client = startChild('client.mjs', [variant], ['--expose-gc', '--cpu-prof', '--cpu-prof-dir=/tmp/prof-' + variant]);
await client.next('ready');
const r = await client.ask({ type: 'idle', port, conns: 10000, keepalive: 1, settleMs: 2500, cpuMs: 20000 }, 'idled', 120000);
console.log(variant, JSON.stringify(r));
// graceful exit so the profile is written
process.exit(0);

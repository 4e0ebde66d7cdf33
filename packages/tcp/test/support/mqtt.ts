import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttemptToken } from '@connback/core';
import { waitFor } from './servers.js';

/**
 * MQTT 3.1.1 in a few bytes: CONNECT (clean session, no credentials), then wait for CONNACK and
 * check its return code. The bytes the broker sends meanwhile are the handshake's.
 */
export function mqttHandshake(clientId: string, keepaliveS = 60) {
  const id = Buffer.from(clientId, 'utf8');
  const connect = Buffer.concat([
    // Fixed header: CONNECT, remaining length (under 128: one byte).
    Buffer.from([0x10, 12 + id.length]),
    // Protocol name "MQTT", level 4 (3.1.1), flags: clean session, keepalive (s).
    Buffer.from([
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54,
      0x04,
      0x02,
      keepaliveS >> 8,
      keepaliveS & 0xff,
    ]),
    Buffer.from([id.length >> 8, id.length & 0xff]),
    id,
  ]);
  return (socket: net.Socket, token: AttemptToken) =>
    new Promise<void>((resolve, reject) => {
      let got = Buffer.alloc(0);
      const done = (error?: unknown) => {
        socket.off('data', onData);
        stop();
        if (error === undefined) resolve();
        else reject(error);
      };
      const onData = (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length < 4) return;
        if (got[0] !== 0x20 || got[1] !== 0x02) done(new Error('MQTT: expected CONNACK'));
        else if (got[3] !== 0) done(new Error(`MQTT: CONNACK refused, return code ${got[3]}`));
        else done();
      };
      const stop = token.onCancellationRequested(() => done(token.reason));
      socket.on('data', onData);
      socket.write(connect);
    });
}

/** PINGREQ; the broker answers PINGRESP (0xd0 0x00), which feeds the heartbeat. */
export const MQTT_PINGREQ = Buffer.from([0xc0, 0x00]);

/** A mosquitto broker from Debian's package, on a loopback port of its own. */
export interface Broker {
  readonly port: number;
  readonly child: ChildProcess;
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

function mosquittoBinary(): string {
  for (const path of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) {
    if (existsSync(path)) return path;
  }
  const which = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found !== '') return found;
  throw new Error(
    'mosquitto is not installed: this test needs the broker from Debian (apt-get install -y mosquitto)',
  );
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts mosquitto with a minimal config (anonymous, no persistence) and waits until it listens. */
export async function startBroker(): Promise<Broker> {
  const binary = mosquittoBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'connback-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let up = false;
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const stop = async () => {
    if (!dead) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = performance.now() + 5000;
    while (!up && !dead && performance.now() < deadline) {
      up = await accepts(port);
      if (!up) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (!up) throw new Error(`mosquitto did not start on port ${port}: ${log}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    child,
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
    stop,
  };
}

export { waitFor };

import { ErrorCode, isConnbackError } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { createTcpConnback } from '../src/index.js';
import { MQTT_PINGREQ, mqttHandshake, startBroker, waitFor } from './support/mqtt.js';

// Against a real broker (Debian's mosquitto, started by the test): without mosquitto this FAILS
// with a message saying to install it; it is never skipped.
describe('a handshake inside the attempt, against a real MQTT broker (mosquitto)', () => {
  it('connected means CONNACK: MQTT CONNECT/CONNACK as the handshake, PINGREQ/PINGRESP as the heartbeat', async () => {
    const broker = await startBroker();
    const cb = createTcpConnback({
      host: '127.0.0.1',
      port: broker.port,
      handshake: mqttHandshake('connback-test', 2),
      ping: MQTT_PINGREQ,
      keepalive: 0.3,
      jitter: 'none',
      initialDelay: 50,
    });
    const errors: Error[] = [];
    cb.onerror((e) => errors.push(e));
    try {
      await cb.ready();
      // Five keepalive periods: each ping is answered by PINGRESP, which is the heartbeat.
      const drops = cb.stats.drops;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(cb.connected).toBe(true);
      expect(cb.stats.drops).toBe(drops);
      expect(errors).toEqual([]);
    } finally {
      cb.end(true);
      await broker.stop();
    }
  });

  it('a frozen broker (SIGSTOP) accepts TCP but never sends CONNACK: the attempt times out instead of "connected"', async () => {
    const broker = await startBroker();
    broker.freeze();
    const cb = createTcpConnback({
      host: '127.0.0.1',
      port: broker.port,
      handshake: mqttHandshake('connback-frozen'),
      connectTimeout: 400,
      keepalive: 0,
      jitter: 'none',
      initialDelay: 100,
    });
    const errors: Error[] = [];
    cb.onerror((e) => errors.push(e));
    try {
      await waitFor(() => errors.length >= 1, 'the connect timeout', 5000);
      expect(isConnbackError(errors[0], ErrorCode.ConnectTimeout)).toBe(true);
      expect(cb.stats.connects).toBe(0);
      broker.thaw();
      await cb.ready();
      expect(cb.connected).toBe(true);
    } finally {
      cb.end(true);
      await broker.stop();
    }
  });
});

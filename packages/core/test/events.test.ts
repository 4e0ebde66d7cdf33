import { describe, expect, it } from 'vitest';
import { EventChannel } from '../src/events.js';

/** A channel whose listener errors are collected. */
function channel() {
  const errors: unknown[] = [];
  const events = new EventChannel<[number]>((error) => errors.push(error));
  return { events, errors };
}

describe('EventChannel: one listener held directly, more through the @jil emitter', () => {
  it('calls listeners in the order they subscribed, across the move into the emitter', () => {
    const { events } = channel();
    const calls: string[] = [];
    events.event((n) => calls.push(`a${n}`));
    events.fire(1);
    events.event((n) => calls.push(`b${n}`));
    events.event((n) => calls.push(`c${n}`));
    events.fire(2);
    expect(calls).toEqual(['a1', 'a2', 'b2', 'c2']);
  });

  it('the first listener can still unsubscribe after it moved into the emitter', () => {
    const { events } = channel();
    const calls: string[] = [];
    const offA = events.event(() => calls.push('a'));
    events.event(() => calls.push('b'));
    offA();
    events.fire(1);
    expect(calls).toEqual(['b']);
    expect(events.listening).toBe(true);
  });

  it('a stale unsubscribe never removes a later subscription of the same function', () => {
    const { events } = channel();
    const calls: number[] = [];
    const listener = (n: number) => calls.push(n);
    const first = events.event(listener);
    first();
    events.event(listener);
    first();
    events.fire(7);
    expect(calls).toEqual([7]);
  });

  it('a listener added while the event fires waits for the next one', () => {
    const { events } = channel();
    const calls: string[] = [];
    events.event(() => {
      calls.push('a');
      if (calls.length === 1) events.event(() => calls.push('late'));
    });
    events.fire(1);
    expect(calls).toEqual(['a']);
    events.fire(2);
    expect(calls).toEqual(['a', 'a', 'late']);
  });

  it('a throwing listener is reported and the others still run, with one listener or several', () => {
    const { events, errors } = channel();
    const calls: string[] = [];
    events.event(() => {
      throw new Error('first');
    });
    events.fire(1);
    events.event(() => calls.push('second'));
    events.fire(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['first', 'first']);
    expect(calls).toEqual(['second']);
  });

  it('listening is false again once every listener unsubscribed, and firing then calls nobody', () => {
    const { events } = channel();
    const calls: number[] = [];
    const offA = events.event((n) => calls.push(n));
    const offB = events.event((n) => calls.push(n * 10));
    offA();
    offB();
    offB();
    expect(events.listening).toBe(false);
    events.fire(3);
    expect(calls).toEqual([]);
  });
});

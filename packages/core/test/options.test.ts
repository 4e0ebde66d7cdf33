import { describe, expect, it } from 'vitest';
import {
  Connback,
  type ConnbackOptions,
  type ConnbackOpts,
  type Connector,
  DEFAULT_OPTIONS,
  ErrorCode,
  isConnbackError,
} from '../src/index.js';
import { FakeConnector } from './support/fake-connector.js';

const lazy = { lazyConnect: true } as const;

function construct(options: unknown, connector: unknown = new FakeConnector()) {
  return () => new Connback(connector as Connector<unknown>, options as ConnbackOptions);
}

describe('semantic 14: bad options throw at construction, naming the option', () => {
  it.each([
    ['keepalive', -1],
    ['keepalive', Number.NaN],
    ['keepalive', '60'],
    ['connectTimeout', -5],
    ['connectTimeout', Number.POSITIVE_INFINITY],
    ['initialDelay', 0],
    ['initialDelay', Number.NaN],
    ['maxDelay', -1],
    ['maxNumOfAttempts', 0],
    ['maxNumOfAttempts', 2.5],
    ['factor', 0.5],
    ['minUptime', -1],
    ['strategy', 'linear'],
    ['jitter', 'half'],
    ['delayFirstAttempt', 'yes'],
    ['lazyConnect', 1],
    ['unref', 'no'],
    ['retry', true],
  ])('%s = %s', (name, value) => {
    const attempt = construct({ ...lazy, [name]: value });
    expect(attempt).toThrow(`option "${name}"`);
    try {
      attempt();
    } catch (error) {
      expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
    }
  });

  it('maxDelay below initialDelay names maxDelay', () => {
    expect(construct({ ...lazy, initialDelay: 2000, maxDelay: 1000 })).toThrow(
      /option "maxDelay" must be at least initialDelay \(2000\)/,
    );
  });

  it('an unknown option (such as the keepAlive typo) is refused with the known names', () => {
    expect(construct({ ...lazy, keepAlive: 10 })).toThrow(/unknown option "keepAlive".*keepalive/);
  });

  it('options that are not an object are refused', () => {
    expect(construct(42)).toThrow(/option "options" must be an object/);
  });

  it.each([
    ['not an object', null, /connector must be an object/],
    ['without connect', { close() {} }, /connect\(connback, token\)/],
    ['without close', { connect() {} }, /close\(client, force\)/],
    [
      'with a ping that is not a function',
      { connect() {}, close() {}, ping: 1 },
      /ping must be a function/,
    ],
    [
      'with a retryable that is not a function',
      { connect() {}, close() {}, retryable: true },
      /retryable must be a function/,
    ],
  ])('a connector %s is refused', (_, connector, message) => {
    expect(construct(lazy, connector)).toThrow(message);
  });

  it('undefined values fall back to the defaults', () => {
    const cb = new Connback(new FakeConnector(), { ...lazy, keepalive: undefined });
    expect(cb.options.keepalive).toBe(60);
    cb.end();
  });
});

describe('semantic 14: strategy and jitter are checked at construction', () => {
  it.each([
    ['an arrow function', () => 500],
    ['a bound function', function strategy() {}.bind(null)],
    [
      'a class without next()',
      class NoNext {
        reset() {}
      },
    ],
    [
      'a class without reset()',
      class NoReset {
        next() {
          return 500;
        }
      },
    ],
    ['an object', { next: () => 500, reset: () => undefined }],
  ])('strategy = %s is refused, naming the option', (_, strategy) => {
    const attempt = construct({ ...lazy, strategy });
    expect(attempt).toThrow(/option "strategy"/);
    try {
      attempt();
    } catch (error) {
      expect(isConnbackError(error, ErrorCode.InvalidOption)).toBe(true);
    }
  });

  it('the message names a refused class, never prints its source', () => {
    class NoNext {
      reset() {}
    }
    expect(construct({ ...lazy, strategy: NoNext })).toThrow(
      'connback: option "strategy" must be a class with next() and reset() methods (got class NoNext)',
    );
  });

  it('a class that inherits next() and reset() is accepted', () => {
    class Base {
      next() {
        return 500;
      }
      reset() {}
    }
    class Derived extends Base {}
    const cb = new Connback(new FakeConnector(), { ...lazy, strategy: Derived });
    expect(cb.options.strategy).toBe(Derived);
    cb.end();
  });

  it.each([
    ['a string that is no jitter', 'half'],
    ['a number', 0.5],
  ])('jitter = %s is refused, naming the option', (_, jitter) => {
    expect(construct({ ...lazy, jitter })).toThrow(/option "jitter"/);
  });
});

describe('defaults are those of 0.1.7', () => {
  it('keeps every 0.1.7 default, plus the documented additions', () => {
    const cb = Connback.create(new FakeConnector(), lazy);
    const { retry, ...rest } = cb.options;
    expect(rest).toEqual({
      keepalive: 60,
      connectTimeout: 30_000,
      strategy: 'fibonacci',
      jitter: 'full',
      initialDelay: 1000,
      maxDelay: 30_000,
      maxNumOfAttempts: Number.POSITIVE_INFINITY,
      factor: 2,
      delayFirstAttempt: false,
      minUptime: 1000,
      lazyConnect: true,
      unref: false,
      budget: 'default',
      probeTimeout: 5000,
      environment: {},
    });
    expect(retry(new Error('x'), 1)).toBe(true);
    expect(Object.isFrozen(cb.options)).toBe(true);
    expect(Object.isFrozen(DEFAULT_OPTIONS)).toBe(true);
    cb.end();
  });

  it('ConnbackOpts is still the options type', () => {
    const options: ConnbackOpts = { keepalive: 10, lazyConnect: true };
    const cb = new Connback(new FakeConnector(), options);
    expect(cb.options.keepalive).toBe(10);
    cb.end();
  });
});

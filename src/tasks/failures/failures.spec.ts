import { describe, expect, it } from '@jest/globals';
import { TaskErrorType } from './task-error-type.js';
import { classifyError } from './error-classifier.js';
import { defaultRetryStrategies, mergeRetryStrategies, requestedRetryDelayMs, retryDelayMs, retryStrategiesProblems } from './retry-policy.js';
import { NonRetryableError, RetryLaterError, TaskFailure, TaskNetworkError } from './task-failure.errors.js';

describe('classifyError', () => {
  it.each([
    [new TaskNetworkError('x'), TaskErrorType.Network],
    [new NonRetryableError('x', TaskErrorType.Database), TaskErrorType.Database],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), TaskErrorType.Network],
    [Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }), TaskErrorType.Network],
    [Object.assign(new Error('no space'), { code: 'ENOSPC' }), TaskErrorType.Resource],
    [Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' }), TaskErrorType.Database],
    [Object.assign(new Error('q'), { name: 'QueryFailedError' }), TaskErrorType.Database],
    [Object.assign(new Error('The operation timed out'), { name: 'TimeoutError' }), TaskErrorType.Timeout],
    [Object.assign(new Error('bad'), { name: 'ZodError' }), TaskErrorType.Validation],
    [[{ property: 'a', constraints: { isString: 'a must be a string' } }], TaskErrorType.Validation],
    [new RangeError('Array buffer allocation failed'), TaskErrorType.Resource],
    [new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }), TaskErrorType.Network],
    [new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) }), TaskErrorType.Network],
    [new Error('something odd'), TaskErrorType.Unknown],
    ['a string', TaskErrorType.Unknown],
    [undefined, TaskErrorType.Unknown],
  ])('classifies %p as %s', (error, type) => {
    expect(classifyError(error)).toBe(type);
  });
});

describe('retry strategies', () => {
  const defaults = defaultRetryStrategies(1000);

  it('never retries validation failures and waits 10x longer after resource failures by default', () => {
    expect(defaults.validation.retry).toBe(false);
    expect(retryDelayMs(defaults.network, 1)).toBe(1000);
    expect(retryDelayMs(defaults.network, 4)).toBe(8000);
    expect(retryDelayMs(defaults.resource, 1)).toBe(10_000);
  });

  it('caps exponential backoff at maxDelayMs and keeps fixed delays fixed', () => {
    expect(retryDelayMs({ ...defaults.unknown, maxDelayMs: 5000 }, 10)).toBe(5000);
    expect(retryDelayMs({ retry: true, backoff: 'fixed', delayMs: 300, maxDelayMs: 60_000 }, 7)).toBe(300);
  });

  it('merges overrides field by field and reports bad ones', () => {
    const merged = mergeRetryStrategies(defaults, { network: { delayMs: 5 }, validation: { retry: true } });
    expect(merged.network).toEqual({ ...defaults.network, delayMs: 5 });
    expect(merged.validation.retry).toBe(true);
    expect(merged.timeout).toEqual(defaults.timeout);
    expect(retryStrategiesProblems({ cosmic: {}, network: { backoff: 'linear' as 'fixed', delayMs: -1 } } as never, 'retry.strategies')).toEqual([
      'retry.strategies: "cosmic" is not a failure class (timeout, network, database, validation, resource, unknown)',
      'retry.strategies.network.backoff must be exponential or fixed',
      'retry.strategies.network.delayMs must be >= 0',
    ]);
  });
});

describe('requestedRetryDelayMs', () => {
  it.each([
    ['a RetryLaterError', new RetryLaterError('429', 1500.4), 1500],
    ['a wait above the bound', new RetryLaterError('429', 10 ** 12), 60_000],
    ['a TaskFailure with its own wait', new TaskFailure('x', TaskErrorType.Unknown, undefined, 0), 0],
    ['a TaskFailure without one', new TaskNetworkError('x'), undefined],
    ['a negative wait', new RetryLaterError('429', -1), undefined],
    ['a wait that is no number', new RetryLaterError('429', Number.NaN), undefined],
    ['any other error', Object.assign(new Error('x'), { retryAfterMs: 5 }), undefined],
  ])('reads %s', (_case, error, expected) => {
    expect(requestedRetryDelayMs(error, 60_000)).toBe(expected);
  });

  it('makes RetryLaterError retryable whatever its class (network by default)', () => {
    expect(new RetryLaterError('429', 10)).toMatchObject({ retryable: true, errorType: TaskErrorType.Network, retryAfterMs: 10, name: 'RetryLaterError' });
    expect(new RetryLaterError('bad', 10, TaskErrorType.Validation).retryable).toBe(true);
  });
});

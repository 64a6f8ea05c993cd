import { describe, expect, it } from '@jest/globals';
import { InvalidTasksOptionsError } from './errors/bootstrap.errors.js';
import type { TaskQueueOptions, TasksModuleOptions } from './interfaces/tasks-module-options.interface.js';
import { DEFAULT_TASK_QUEUE } from './tasks.module-definition.js';
import { resolveTasksOptions } from './tasks.options.js';

const queue: TaskQueueOptions = { name: 'test', taskType: 'test', defaultPriority: 5, concurrency: 1 };

describe('resolveTasksOptions', () => {
  it('defaults to one neutral queue, `default`, carrying task type `default`', () => {
    const options = resolveTasksOptions();
    expect(options.queues.map((q) => [q.taskType, q.name, q.defaultPriority])).toEqual([['default', 'default', 5]]);
    expect(options).toMatchObject({
      redis: 'redis://127.0.0.1:6379',
      queuePrefix: 'tasks',
      retry: { maxRetries: 3, backoffDelayMs: 1000 },
      maxParamsBytes: 65536,
    });
  });

  it('accepts declared worker queues and a probe port, and refuses undeclared queues, an empty list and a bad port', () => {
    expect(resolveTasksOptions({ queues: [queue], workerQueues: ['test'], probePort: 9464 })).toMatchObject({ workerQueues: ['test'], probePort: 9464, probeHost: '127.0.0.1' });
    expect(() => resolveTasksOptions({ queues: [queue], workerQueues: ['tests'] })).toThrow('workerQueues: "tests" is not a declared queue');
    expect(() => resolveTasksOptions({ queues: [queue], workerQueues: [] })).toThrow('workerQueues must name at least one queue');
    expect(() => resolveTasksOptions({ probePort: 70000 })).toThrow('probePort must be an integer 0..65535');
  });

  it('keeps a default when an option is given as undefined (as from an unset variable)', () => {
    const options = resolveTasksOptions({ retry: { backoffDelayMs: undefined, maxRetries: 5 }, workers: { lockDurationMs: undefined } });
    expect(options.retry).toEqual({ maxRetries: 5, backoffDelayMs: 1000 });
    expect(options.workers.lockDurationMs).toBe(30_000);
  });

  it('resolves the retry strategy per failure class', () => {
    const options = resolveTasksOptions({ retry: { backoffDelayMs: 200, strategies: { network: { backoff: 'fixed' } } } });
    expect(options.retryStrategies.network).toMatchObject({ retry: true, backoff: 'fixed', delayMs: 200 });
    expect(options.retryStrategies.resource.delayMs).toBe(2000);
    expect(options.retryStrategies.validation.retry).toBe(false);
  });

  it('does not share the default queue objects with the caller', () => {
    resolveTasksOptions().queues[0].concurrency = 99;
    expect(DEFAULT_TASK_QUEUE.concurrency).toBe(10);
  });

  it.each<[string, TasksModuleOptions, RegExp]>([
    ['a queue declared twice', { queues: [queue, queue] }, /queue "test" is declared twice/],
    ['two queues for one type', { queues: [queue, { ...queue, name: 'other' }] }, /task type "test" is carried by two queues/],
    ['a default priority of 11', { queues: [{ ...queue, defaultPriority: 11 }] }, /defaultPriority must be an integer 1..10/],
    ['a concurrency of 0', { queues: [{ ...queue, concurrency: 0 }] }, /concurrency must be a positive integer/],
    ['26 retries', { retry: { maxRetries: 26 } }, /retry.maxRetries must be an integer 0..25/],
    ['a negative backoff', { retry: { backoffDelayMs: -1 } }, /backoffDelayMs must be >= 0/],
    ['a zero params limit', { maxParamsBytes: 0 }, /maxParamsBytes and maxResultBytes must be > 0/],
    ['a negative result limit', { maxResultBytes: -1 }, /maxParamsBytes and maxResultBytes must be > 0/],
    ['the reserved internal queue name', { queues: [{ ...queue, name: 'tasks-internal' }] }, /"tasks-internal" is reserved/],
    ['a rate limit of 0 per window', { queues: [{ ...queue, rateLimit: { max: 0, durationMs: 1000 } }] }, /rateLimit needs an integer max >= 1/],
    ['a global concurrency of 1.5', { queues: [{ ...queue, globalConcurrency: 1.5 }] }, /globalConcurrency must be a positive integer/],
    ['an unknown failure class', { retry: { strategies: { cosmic: {} } as never } }, /"cosmic" is not a failure class/],
    ['a schedule with cron and everyMs', { schedules: [{ name: 's', taskName: 't', cron: '* * * * *', everyMs: 1000 }] }, /needs exactly one of cron and everyMs/],
    ['a schedule in an unknown time zone', { schedules: [{ name: 's', taskName: 't', cron: '* * * * *', tz: 'Mars/Olympus' }] }, /is not an IANA time zone/],
    ['a cron pattern out of range', { schedules: [{ name: 's', taskName: 't', cron: '61 * * * *' }] }, /cron "61 \* \* \* \*" is not a valid cron pattern: Constraint error, got value 61 expected range 0-59/],
    ['a cron pattern of words', { schedules: [{ name: 's', taskName: 't', cron: 'every day at noon' }] }, /cron must have 5 or 6 fields/],
    ['a cron pattern with an unknown name', { schedules: [{ name: 's', taskName: 't', cron: '0 3 * * funday' }] }, /is not a valid cron pattern/],
    ['a negative grace for jobs without their handler', { workers: { missingHandlerGraceMs: -1 } }, /workers\.missingHandlerGraceMs must be >= 0/],
    ['a schedule every 10 ms', { schedules: [{ name: 's', taskName: 't', everyMs: 10 }] }, /everyMs must be an integer >= 1000/],
    ['a schedule whose runs expire at once', { schedules: [{ name: 's', taskName: 't', everyMs: 1000, expiresInSeconds: 0 }] }, /schedules\[0\]\.expiresInSeconds must be a number greater than 0 and at most maxDelaySeconds \(2592000\)/],
    ['a schedule whose runs expire beyond maxDelaySeconds', { maxDelaySeconds: 60, schedules: [{ name: 's', taskName: 't', everyMs: 1000, expiresInSeconds: 61 }] }, /expiresInSeconds must be a number greater than 0 and at most maxDelaySeconds \(60\)/],
    ['a schedule whose overlap is not a boolean', { schedules: [{ name: 's', taskName: 't', everyMs: 1000, overlap: 'no' as never }] }, /schedules\[0\]\.overlap must be true or false/],
    ['two schedules with one name', { schedules: [{ name: 's', taskName: 't', everyMs: 1000 }, { name: 's', taskName: 'u', everyMs: 2000 }] }, /schedule "s" is declared twice/],
    ['a retention interval of 10 ms', { retention: { intervalMs: 10 } }, /retention needs/],
    ['completed jobs kept for less than the reconciler needs to see them', { jobRetention: { completedAgeSeconds: 60 } }, /completedAgeSeconds must be at least the reconciler's minAgeMs \+ intervalMs \(75 s\)/],
  ])('refuses %s', (_case, options, message) => {
    expect(() => resolveTasksOptions(options)).toThrow(InvalidTasksOptionsError);
    expect(() => resolveTasksOptions(options)).toThrow(message);
  });
});

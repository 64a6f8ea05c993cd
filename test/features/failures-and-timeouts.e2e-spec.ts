import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskErrorType, TaskStatus } from '../../src/tasks/index.js';
import { createTestApp, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

describe('failure classes, retry strategies and time limits (MariaDB + Redis)', () => {
  let t: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    t = await createTestApp({
      suite: 'failures',
      providers: [TestTasks],
      tasks: { retry: { backoffDelayMs: 50 }, timeoutGraceMs: 300 },
    });
    fixtures = t.app.get(TestTasks);
  });
  afterAll(() => t.close());

  const run = async (kind: string, maxRetries = 2) => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.throws', params: { kind }, maxRetries });
    return { taskId, row: await waitForFinalRow(t.tasks, taskId), attempts: () => fixtures.callsOf(taskId).length };
  };

  it.each([
    ['network', TaskErrorType.Network, 3],
    ['econnrefused', TaskErrorType.Network, 3],
    ['plain', TaskErrorType.Unknown, 3],
    ['resource', TaskErrorType.Resource, 3],
    ['retryable_validation', TaskErrorType.Validation, 3],
    ['validation', TaskErrorType.Validation, 1],
    ['non_retryable', TaskErrorType.Database, 1],
  ])('stores a %s failure as error_type %s after %i attempt(s)', async (kind, errorType, attempts) => {
    const { row, attempts: made } = await run(kind);
    expect(row.status).toBe(TaskStatus.Failed);
    expect(row.errorType).toBe(errorType);
    expect(made()).toBe(attempts);
    expect(row.retryCount).toBe(attempts - 1);
  });

  it('waits longer between attempts of a resource failure (10x the base) than of a network failure', async () => {
    const gaps = async (kind: string) => {
      const { taskId } = await run(kind, 1);
      const [first, second] = fixtures.callsOf(taskId).map((call) => call.at);
      return second - first;
    };
    expect(await gaps('network')).toBeGreaterThanOrEqual(50);
    expect(await gaps('resource')).toBeGreaterThanOrEqual(500);
  });

  it("applies a handler's own strategy: its validation failures are retried after a fixed delay", async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.retries_validation', maxRetries: 2 });
    const row = await waitForFinalRow(t.tasks, taskId);
    expect(row).toMatchObject({ status: TaskStatus.Failed, errorType: TaskErrorType.Validation, retryCount: 2 });
    const times = fixtures.callsOf(taskId).map((call) => call.at);
    expect(times).toHaveLength(3);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(100);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(100);
  });

  it('waits as long as a RetryLaterError asks before the next attempt, whatever its class says, and shows when', async () => {
    // Validation failures are never retried by the default strategy; the handler's own ask wins.
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.retry_later', params: { delay_ms: 1500, error_type: TaskErrorType.Validation }, maxRetries: 1 });
    const pending = await waitForFinalRowOr(taskId, (row) => row.status === TaskStatus.Pending && row.retryCount === 1);
    expect(pending).toMatchObject({ errorType: TaskErrorType.Validation, errorMessage: 'rate limited: retry later' });
    expect(pending.runAt!.getTime() - pending.startedAt!.getTime()).toBeGreaterThanOrEqual(1490);
    expect(pending.runAt!.getTime() - pending.startedAt!.getTime()).toBeLessThanOrEqual(1700);
    const row = await waitForFinalRow(t.tasks, taskId);
    expect(row).toMatchObject({ status: TaskStatus.Completed, result: { attempt: 2 } });
    const [first, second] = fixtures.callsOf(taskId).map((call) => call.at);
    expect(second - first).toBeGreaterThanOrEqual(1500);
  });

  it('does not retry a RetryLaterError past max_retries', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.retry_later', params: { delay_ms: 10 }, maxRetries: 0 });
    const row = await waitForFinalRow(t.tasks, taskId);
    expect(row).toMatchObject({ status: TaskStatus.Failed, errorType: TaskErrorType.Network, retryCount: 0, errorMessage: 'rate limited: retry later' });
    expect(fixtures.callsOf(taskId)).toHaveLength(1);
  });

  it('shows a failed attempt that will be retried as pending with its error_type and when it runs next', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.throws', params: { kind: 'resource' }, maxRetries: 1 });
    const pending = await waitForFinalRowOr(taskId, (row) => row.status === TaskStatus.Pending && row.retryCount === 1);
    expect(pending.errorType).toBe(TaskErrorType.Resource);
    expect(pending.runAt!.getTime() - pending.startedAt!.getTime()).toBeGreaterThanOrEqual(490);
    await waitForFinalRow(t.tasks, taskId);
  });

  it('filters list and count by error_type', async () => {
    const count = async (errorType: TaskErrorType) => (await t.http().get('/api/tasks/count/all').query({ error_type: errorType }).expect(200)).body;
    const validation = await count(TaskErrorType.Validation);
    expect(validation).toMatchObject({ error_type: 'validation' });
    const { body } = await t.http().get('/api/tasks').query({ error_type: 'validation', limit: 1000 }).expect(200);
    expect(body.tasks.length).toBe(validation.count);
    expect(body.total_count).toBe(validation.count);
    expect(body.tasks.every((task: { error_type: string }) => task.error_type === 'validation')).toBe(true);
    expect(validation.count).toBeGreaterThanOrEqual(3);
    const failedValidation = await t.http().get('/api/tasks').query({ error_type: 'validation', status: 'failed', task_type: 'test' }).expect(200);
    const failedCount = (await t.http().get('/api/tasks/count/all').query({ error_type: 'validation', status: 'failed', task_type: 'test' }).expect(200)).body.count;
    expect(failedValidation.body.tasks.length).toBe(failedCount);
    expect(failedValidation.body.tasks.every((task: { status: string }) => task.status === 'failed')).toBe(true);
    expect((await count(TaskErrorType.Timeout)).count).toBe(await t.tasks.getTaskCount({ errorType: TaskErrorType.Timeout }));
    const refused = await t.http().get('/api/tasks/count/all').query({ error_type: 'cosmic' }).expect(400);
    expect(refused.body.message[0]).toContain('error_type must be one of: timeout, network, database, validation, resource, unknown');
  });

  it("fails an attempt at the handler's time limit: its signal fires and the retry policy applies", async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.slow_limited', params: { ms: 10_000 }, maxRetries: 1 });
    const row = await waitForFinalRow(t.tasks, taskId);
    expect(row).toMatchObject({ status: TaskStatus.Failed, errorType: TaskErrorType.Timeout, errorMessage: 'Timed out after 1 s', retryCount: 1 });
    expect(fixtures.callsOf(taskId)).toHaveLength(2);
  });

  it('fails an attempt that ignores its signal at the time limit of the enqueue, without waiting for the handler', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.ignores_abort', params: { ms: 15_000 }, timeoutSeconds: 1, maxRetries: 0 });
    const row = await waitForFinalRow(t.tasks, taskId);
    expect(row).toMatchObject({ status: TaskStatus.Failed, errorType: TaskErrorType.Timeout, timeoutSeconds: 1 });
    // The handler saw its signal but is still sleeping: the attempt did not wait for it.
    expect(fixtures.aborted.has(taskId)).toBe(true);
    expect(fixtures.finished.has(taskId)).toBe(false);
  });

  async function waitForFinalRowOr(taskId: string, accept: (row: Awaited<ReturnType<typeof t.tasks.getTaskStatus>>) => boolean) {
    for (let i = 0; i < 400; i++) {
      const row = await t.tasks.getTaskStatus(taskId);
      if (accept(row)) return row;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`task ${taskId} never matched`);
  }
});

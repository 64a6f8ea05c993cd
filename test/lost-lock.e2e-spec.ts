import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskStatus } from '../src/tasks/index.js';
import { TaskRunner } from '../src/tasks/worker/task.runner.js';
import { expireJobLock, giveJobLockAway, handBackAsStalled, jobLockHolder } from './support/redis-loss.js';
import { createTestApp, waitFor, whilePaused, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

describe('a worker that lost its job lock (MariaDB + Redis)', () => {
  let t: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    t = await createTestApp({
      suite: 'lost-lock',
      providers: [TestTasks],
      // Locks renewed every second; the workers' own stalled check (every 30 s) stays out of the way.
      tasks: { workers: { lockDurationMs: 2000 } },
    });
    fixtures = t.app.get(TestTasks);
  });
  afterAll(() => t.close());

  const statusOf = async (taskId: string) => (await t.tasks.getTaskStatus(taskId)).status;
  const running = async (taskName: string, params: Record<string, unknown> = {}) => {
    // No retry left: a failure written for an aborted attempt would end the task `failed`.
    const { taskId } = await t.tasks.enqueue({ taskName, params, maxRetries: 0 });
    await waitFor(() => fixtures.callsOf(taskId).length === 1, 'the handler to start');
    await waitFor(async () => (await statusOf(taskId)) === TaskStatus.Running, 'the row to read running');
    return taskId;
  };

  it('takes the lock back when it expired and nobody took the job: the handler runs on and the job completes, once', async () => {
    const taskId = await running('test.ignores_abort', { ms: 3000 });
    await expireJobLock(t.queuePrefix, 'test', taskId);
    await waitFor(async () => (await jobLockHolder(t.queuePrefix, 'test', taskId)) !== null, "the lock taken back at the next renewal", 5000);
    await waitFor(async () => (await statusOf(taskId)) === TaskStatus.Completed, 'the task to complete', 10_000);
    expect(fixtures.aborted.has(taskId)).toBe(false);
    expect(fixtures.callsOf(taskId)).toHaveLength(1);
    // BullMQ finished it too: its worker held the lock again when the handler returned.
    expect(await t.queue('test').getJobState(taskId)).toBe('completed');
  });

  it('aborts the handler when another worker holds the lock, writes no outcome for its attempt, and the task runs again', async () => {
    const taskId = await running('test.until_aborted');
    await giveJobLockAway(t.queuePrefix, 'test', taskId);
    await waitFor(() => fixtures.aborted.has(taskId), "the handler to be aborted at its lock's next renewal", 5000);
    expect(fixtures.abortReasons.get(taskId)).toBe('job lock lost');
    const runner = t.app.get(TaskRunner);
    await waitFor(() => !runner.runningTaskIds().includes(taskId), 'the attempt to end');
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Running, retryCount: 0, errorMessage: null });
    // Left to BullMQ (the stalled check, or the worker holding the lock): not failed, not completed.
    expect(await t.queue('test').getJobState(taskId)).toBe('active');

    // Paused, so that the job is seen back in the queue before a worker takes it again.
    await whilePaused(t.queue('test'), () => handBackAsStalled(t.queuePrefix, t.queue('test'), taskId));
    await waitFor(() => fixtures.callsOf(taskId).length === 2, 'the task to run again');
    expect(await t.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: true, handlerStopped: true });
    expect(fixtures.abortReasons.get(taskId)).toBe('cancelled');
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Cancelled, retryCount: 0 });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskStatus } from '../src/tasks/index.js';
import { TaskRunner } from '../src/tasks/worker/task.runner.js';
import { expireJobLock, handBackAsStalled } from './support/redis-loss.js';
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

  it('aborts the handler, writes nothing of its attempt, and the task runs again once BullMQ hands the job back', async () => {
    // No retry left: a failure written for the aborted attempt would end the task `failed`.
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.until_aborted', maxRetries: 0 });
    await waitFor(() => fixtures.callsOf(taskId).length === 1, 'the handler to start');
    await waitFor(async () => (await t.tasks.getTaskStatus(taskId)).status === TaskStatus.Running, 'the row to read running');

    await expireJobLock(t.queuePrefix, 'test', taskId);
    await waitFor(() => fixtures.aborted.has(taskId), "the handler to be aborted at its lock's next renewal", 5000);
    expect(fixtures.abortReasons.get(taskId)).toBe('job lock lost');
    const runner = t.app.get(TaskRunner);
    await waitFor(() => !runner.runningTaskIds().includes(taskId), 'the attempt to end');
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Running, retryCount: 0, errorMessage: null });
    // Left to BullMQ's stalled check: not failed, not completed.
    expect(await t.queue('test').getJobState(taskId)).toBe('active');

    // Paused, so that the job is seen back in the queue before a worker takes it again.
    await whilePaused(t.queue('test'), () => handBackAsStalled(t.queuePrefix, t.queue('test'), taskId));
    await waitFor(() => fixtures.callsOf(taskId).length === 2, 'the task to run again');
    expect(await t.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: true, handlerStopped: true });
    expect(fixtures.abortReasons.get(taskId)).toBe('cancelled');
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Cancelled, retryCount: 0 });
  });
});

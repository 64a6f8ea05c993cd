import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { TaskStatus } from '../src/tasks/index.js';
import { unaskedStartWindowMs } from '../src/tasks/queue/cancel-marks.js';
import { TaskQueues } from '../src/tasks/queue/task-queues.js';
import { FIXTURE_QUEUES } from './support/order-tasks.processor.js';
import { createTestApp, REDIS_URL, TEST_QUEUE, waitFor, waitForJobState, type TestApp } from './support/test-app.js';
import { forgetActiveJob, handBackAsStalled } from './support/redis-loss.js';
import { TestTasks } from './support/test-tasks.processor.js';

describe('cancellation (MariaDB + Redis)', () => {
  let t: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    t = await createTestApp({
      suite: 'cancel',
      providers: [TestTasks],
      // A long backoff, so that a task waiting for its retry can be caught while delayed.
      tasks: { queues: [...FIXTURE_QUEUES.filter((queue) => queue !== TEST_QUEUE), { ...TEST_QUEUE, concurrency: 4 }], cancelWaitMs: 1000, retry: { backoffDelayMs: 5000 } },
    });
    fixtures = t.app.get(TestTasks);
  });
  afterAll(() => t.close());

  const statusOf = async (taskId: string) => (await t.tasks.getTaskStatus(taskId)).status;
  const waitForStatus = (taskId: string, status: TaskStatus) =>
    waitFor(async () => (await statusOf(taskId)) === status, `task ${taskId} to be ${status}`);

  it('cancels a pending task: its job is removed and the handler never runs', async () => {
    await t.queue('test').pause();
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'never' } });
    const response = await t.http().post(`/api/tasks/${taskId}/cancel`).expect(200);
    expect(response.body).toEqual({ task_id: taskId, success: true, message: 'Task cancelled successfully', running_handler_signalled: false, handler_stopped: true });
    expect(await t.queue('test').getJob(taskId)).toBeUndefined();

    // A marker task enqueued after it runs once the queue resumes: by then the cancelled one would have run.
    const marker = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'marker' } });
    await t.queue('test').resume();
    await waitForStatus(marker.taskId, TaskStatus.Completed);
    expect(fixtures.callsOf(taskId)).toHaveLength(0);
    const row = await t.tasks.getTaskStatus(taskId);
    expect(row.status).toBe(TaskStatus.Cancelled);
    expect(row.completedAt).not.toBeNull();
    expect(row.startedAt).toBeNull();
  });

  it('cancels a task waiting for its retry: the delayed job is removed and no further attempt runs', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.always_fail', maxRetries: 3 });
    await waitForJobState(t.queue('test'), taskId, 'delayed');
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Pending, retryCount: 1 });
    expect(await t.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: false, handlerStopped: true });
    expect(await t.queue('test').getJob(taskId)).toBeUndefined();
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Cancelled, retryCount: 1 });
    expect(fixtures.callsOf(taskId)).toHaveLength(1);
  });

  it('removes the retry job of an attempt that ended while the cancel was removing it (remove refused the held job, then it waited again)', async () => {
    const queue = t.queue('test');
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.always_fail', maxRetries: 3 });
    await waitForJobState(queue, taskId, 'delayed');
    // The cancel's first remove() (on the module's own queue) meets the job still held by its failed attempt.
    const held = jest.spyOn(t.app.get(TaskQueues).get('test'), 'remove').mockResolvedValueOnce(0);
    try {
      expect(await t.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: false, handlerStopped: true });
      expect(held).toHaveBeenCalledTimes(2);
    } finally {
      held.mockRestore();
    }
    expect(await queue.getJob(taskId)).toBeUndefined();
    expect(fixtures.callsOf(taskId)).toHaveLength(1);
  });

  it('returns from a cancel that could not stop the job (Redis failing) no sooner than a worker that had just fetched it could start it unasked', async () => {
    // No worker of the module here: the job is fetched by hand, as a worker fetches it before it begins the attempt.
    const api = await createTestApp({ suite: 'cancel_held', role: 'api', providers: [TestTasks], tasks: { cancelWaitMs: 1000 } });
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const holder = new Worker('test', null, { connection, prefix: api.queuePrefix, autorun: false });
    try {
      const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: { label: 'fetched, not begun' } });
      const job = await holder.getNextJob('holder-token');
      expect(job?.id).toBe(taskId);
      const failing = jest.spyOn(api.app.get(TaskQueues).get('test'), 'remove').mockRejectedValueOnce(new Error('Connection is closed.'));
      let returnedAt: number;
      try {
        expect(await api.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: false, handlerStopped: false });
        returnedAt = Date.now();
      } finally {
        failing.mockRestore();
      }
      expect(returnedAt).toBeGreaterThanOrEqual(job!.processedOn! + unaskedStartWindowMs(1000));
      expect((await api.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Cancelled);
    } finally {
      await holder.close();
      connection.disconnect();
      await api.close();
    }
  });

  it('cancels a running task: the handler sees its AbortSignal and the row ends cancelled', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.until_aborted', maxRetries: 3 });
    await waitForStatus(taskId, TaskStatus.Running);
    await waitFor(() => fixtures.callsOf(taskId).length === 1, 'the handler to start');

    const outcome = await t.tasks.cancelTask(taskId);
    expect(outcome).toEqual({ taskId, runningHandlerSignalled: true, handlerStopped: true });
    // The cancel returned after the handler stopped.
    expect(fixtures.aborted.has(taskId)).toBe(true);
    // The handler threw after the abort; with retries left it must still not be retried.
    const job = await waitForJobState(t.queue('test'), taskId, 'failed');
    expect(job.attemptsMade).toBe(1);
    expect(await statusOf(taskId)).toBe(TaskStatus.Cancelled);
    expect(fixtures.callsOf(taskId)).toHaveLength(1);
  });

  it('keeps a cancelled task cancelled when its handler ignores the signal and returns a result', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.ignores_abort', params: { ms: 400 } });
    await waitFor(() => fixtures.callsOf(taskId).length === 1, 'the handler to start');
    // It ignores the signal but returns within cancelWaitMs (1 s), so the cancel waits for it.
    expect(await t.tasks.cancelTask(taskId)).toMatchObject({ runningHandlerSignalled: true, handlerStopped: true });
    expect(fixtures.finished.has(taskId)).toBe(true);
    const job = await waitForJobState(t.queue('test'), taskId, 'completed');
    expect(job).toBeDefined();
    const row = await t.tasks.getTaskStatus(taskId);
    expect(fixtures.aborted.has(taskId)).toBe(true);
    expect(row.status).toBe(TaskStatus.Cancelled);
    expect(row.result).toBeNull();
  });

  it('says so when a handler that ignores its signal outlives cancelWaitMs, and still drops its result', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.ignores_abort', params: { ms: 1500 } });
    await waitFor(() => fixtures.callsOf(taskId).length === 1, 'the handler to start');
    expect(await t.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: true, handlerStopped: false });
    expect(fixtures.finished.has(taskId)).toBe(false);
    await waitForJobState(t.queue('test'), taskId, 'completed');
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Cancelled, result: null });
  });

  it('signals a running handler even when Redis lost its job (restarted without its data)', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.until_aborted', maxRetries: 0 });
    await waitFor(() => fixtures.callsOf(taskId).length === 1, 'the handler to start');
    await waitForStatus(taskId, TaskStatus.Running);
    await forgetActiveJob(t.queuePrefix, 'test', taskId);
    expect(await t.queue('test').getJobState(taskId)).toBe('unknown');
    expect(await t.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: true, handlerStopped: false });
    await waitFor(() => fixtures.aborted.has(taskId), 'the handler to see its abort');
    expect(await statusOf(taskId)).toBe(TaskStatus.Cancelled);
  });

  /**
   * Hands a running job back to the queue as BullMQ does when its worker's lock expires (the
   * worker stalled): the lock goes, and a stalled-job check of another worker moves the job. Its
   * handler runs on. The queue is paused first, so that no worker takes the job again.
   */
  const handBack = (taskId: string) => handBackAsStalled(t.queuePrefix, t.queue('test'), taskId);

  it('signals a running handler whose job was handed back (its worker stalled), and does not say it stopped', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.until_aborted', maxRetries: 0 });
    await waitFor(() => fixtures.callsOf(taskId).length === 1, 'the handler to start');
    await waitForStatus(taskId, TaskStatus.Running);
    await t.queue('test').pause();
    try {
      await handBack(taskId);
      expect(await t.queue('test').getJobState(taskId)).toBe('waiting');
      expect(await t.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: true, handlerStopped: false });
      await waitFor(() => fixtures.aborted.has(taskId), 'the handler to see its abort');
      expect(await t.queue('test').getJob(taskId)).toBeUndefined();
      expect(await statusOf(taskId)).toBe(TaskStatus.Cancelled);
    } finally {
      await t.queue('test').resume();
    }
  });

  it('does not say a handler stopped when its job was handed back while the cancel waited for it', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.ignores_abort', params: { ms: 3000 } });
    await waitFor(() => fixtures.callsOf(taskId).length === 1, 'the handler to start');
    await waitForStatus(taskId, TaskStatus.Running);
    await t.queue('test').pause();
    try {
      const cancel = t.tasks.cancelTask(taskId);
      // Signalled (and ignoring it): the cancel now waits up to cancelWaitMs (1 s) for the job to
      // leave `active`, and it leaves for the queue.
      await waitFor(() => fixtures.aborted.has(taskId), 'the handler to be signalled');
      await handBack(taskId);
      expect(await cancel).toEqual({ taskId, runningHandlerSignalled: true, handlerStopped: false });
      expect(fixtures.finished.has(taskId)).toBe(false);
      expect(await t.queue('test').getJob(taskId)).toBeUndefined();
      await waitFor(() => fixtures.finished.has(taskId), 'the handler to return', 10_000);
      expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Cancelled, result: null });
    } finally {
      await t.queue('test').resume();
    }
  });

  it('answers 409 with success false for a task that already finished', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.record' });
    await waitForStatus(taskId, TaskStatus.Completed);
    const response = await t.http().post(`/api/tasks/${taskId}/cancel`).expect(409);
    expect(response.body).toEqual({
      task_id: taskId,
      success: false,
      message: 'Task is already completed and cannot be cancelled',
    });
    expect(await statusOf(taskId)).toBe(TaskStatus.Completed);
  });

  it('answers 409 when cancelling twice, and the first cancel stands', async () => {
    await t.queue('test').pause();
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.record' });
    await t.http().post(`/api/tasks/${taskId}/cancel`).expect(200);
    const second = await t.http().post(`/api/tasks/${taskId}/cancel`).expect(409);
    expect(second.body.success).toBe(false);
    await t.queue('test').resume();
    expect(await statusOf(taskId)).toBe(TaskStatus.Cancelled);
  });

  it('answers 404 for an unknown task, and 400 for an id that is not a UUID', async () => {
    const response = await t.http().post('/api/tasks/00000000-0000-4000-8000-000000000000/cancel').expect(404);
    expect(response.body.message).toBe('Task 00000000-0000-4000-8000-000000000000 not found');
    expect((await t.http().get('/api/tasks/abc-123-def-456').expect(400)).body.message).toEqual(['task_id must be a UUID']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskStatus } from '../src/tasks/index.js';
import { createTestApp, waitFor, type TestApp } from './support/test-app.js';
import { forgetActiveJob, forgetRelay } from './support/redis-loss.js';
import { CancelledAttemptsSweep } from '../src/tasks/worker/cancelled-attempts.sweep.js';
import { TestTasks } from './support/test-tasks.processor.js';

/** An API-only app and a worker-only app sharing its database and prefix; the worker checks MySQL for cancelled tasks every `cancelCheckIntervalMs` (0: never). */
async function startApiAndWorker(suite: string, cancelCheckIntervalMs: number): Promise<[TestApp, TestApp]> {
  const api = await createTestApp({ suite, role: 'api', providers: [TestTasks] });
  const worker = await createTestApp({ suite, role: 'worker', providers: [TestTasks], shareWith: api, tasks: { workers: { cancelCheckIntervalMs } } });
  return [api, worker];
}

async function closeApps(...apps: Array<TestApp | undefined>): Promise<void> {
  for (const app of apps) await app?.close();
}

/**
 * Two Nest applications in this one Node process, on one database and queue prefix: an
 * API-only app and a worker-only app, each with connections of its own, so everything
 * between them goes through MySQL and Redis. (Separate OS processes: cross-process.e2e-spec.ts
 * and the fault suite.)
 */
describe('api and worker roles in separate applications of one process (MariaDB + Redis)', () => {
  let api: TestApp;
  let worker: TestApp;

  // No MySQL check for cancelled tasks here: these cancels reach the worker over the Relay alone.
  beforeAll(async () => ([api, worker] = await startApiAndWorker('roles', 0)));
  afterAll(() => closeApps(worker, api));

  const statusOf = async (taskId: string) => (await api.tasks.getTaskStatus(taskId)).status;

  it('serves the routes only from the api process', async () => {
    await api.http().get('/api/tasks/count/all').expect(200);
    await worker.http().get('/api/tasks/count/all').expect(404);
  });

  it('runs the tasks the api process enqueues only in the worker process', async () => {
    const response = await api.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', params: { label: 'x' } }).expect(201);
    const taskId: string = response.body.task_id;
    await waitFor(async () => (await statusOf(taskId)) === TaskStatus.Completed, 'the task to complete');
    expect(worker.app.get(TestTasks).callsOf(taskId)).toHaveLength(1);
    expect(api.app.get(TestTasks).callsOf(taskId)).toHaveLength(0);
  });

  it('cancels a task running in the other application (over the Relay): its AbortSignal fires and the row ends cancelled', async () => {
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.until_aborted', maxRetries: 2 });
    await waitFor(() => worker.app.get(TestTasks).callsOf(taskId).length === 1, 'the handler to start in the worker');

    const sentAt = Date.now();
    const outcome = await api.tasks.cancelTask(taskId);
    // cancelTask returns once the handler in the other application has stopped.
    expect(outcome).toEqual({ taskId, runningHandlerSignalled: true, handlerStopped: true });
    const abortedAt = worker.app.get(TestTasks).abortedAt.get(taskId);
    expect(abortedAt).toBeDefined();

    await waitFor(async () => (await worker.queue('test').getJobState(taskId)) === 'failed', 'the job to stop');
    expect(await statusOf(taskId)).toBe(TaskStatus.Cancelled);
    expect(worker.app.get(TestTasks).callsOf(taskId)).toHaveLength(1); // not retried
  });

  it('signals a handler running in the other application when Redis lost its job, and does not claim it stopped', async () => {
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.until_aborted', maxRetries: 0 });
    await waitFor(() => worker.app.get(TestTasks).callsOf(taskId).length === 1, 'the handler to start in the worker');
    await waitFor(async () => (await statusOf(taskId)) === TaskStatus.Running, 'the row to say running');
    await forgetActiveJob(api.queuePrefix, 'test', taskId);
    expect(await api.queue('test').getJobState(taskId)).toBe('unknown');
    expect(await api.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: true, handlerStopped: false });
    await waitFor(() => worker.app.get(TestTasks).aborted.has(taskId), 'the handler in the worker to see its abort');
    expect(await statusOf(taskId)).toBe(TaskStatus.Cancelled);
  });
});

describe('a cancel whose message Redis lost (MariaDB + Redis)', () => {
  let api: TestApp;
  let worker: TestApp;

  beforeAll(async () => ([api, worker] = await startApiAndWorker('lost-cancel', 200)));
  afterAll(() => closeApps(worker, api));

  it('aborts the handler once the worker reads the cancelled row, when Redis lost the job and the Relay that would carry the abort', async () => {
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.until_aborted', maxRetries: 0 });
    await waitFor(() => worker.app.get(TestTasks).callsOf(taskId).length === 1, 'the handler to start in the worker');
    await waitFor(async () => (await api.tasks.getTaskStatus(taskId)).status === TaskStatus.Running, 'the row to say running');
    // A pass while the row says running aborts nothing.
    expect(await worker.app.get(CancelledAttemptsSweep).sweep()).toEqual([]);
    // Redis restarted without its data: the job, and the worker's Relay registration (until its next heartbeat).
    await forgetActiveJob(api.queuePrefix, 'test', taskId);
    await forgetRelay(api.queuePrefix);
    expect(await api.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: true, handlerStopped: false });
    await waitFor(() => worker.app.get(TestTasks).aborted.has(taskId), 'the handler in the worker to see its abort');
    expect(await api.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Cancelled });
  });

  it('aborts a cancelled handler that ignores its signal once, and asks about it no more', async () => {
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.ignores_abort', params: { ms: 3000 }, maxRetries: 0 });
    await waitFor(async () => (await api.tasks.getTaskStatus(taskId)).status === TaskStatus.Running, 'the row to say running');
    await forgetActiveJob(api.queuePrefix, 'test', taskId);
    await forgetRelay(api.queuePrefix);
    await api.tasks.cancelTask(taskId);
    await waitFor(() => worker.app.get(TestTasks).aborted.has(taskId), 'the handler in the worker to see its abort');
    // Still running (it ignores its signal), but aborted already: a pass leaves it out.
    expect(worker.app.get(TestTasks).finished.has(taskId)).toBe(false);
    expect(await worker.app.get(CancelledAttemptsSweep).sweep()).toEqual([]);
    await waitFor(() => worker.app.get(TestTasks).finished.has(taskId), 'the handler to return');
    expect(await api.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Cancelled });
  });
});

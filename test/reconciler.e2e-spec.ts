import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { TaskStatus } from '../src/tasks/index.js';
import { FIXTURE_QUEUES } from './support/order-tasks.processor.js';
import { seedTasks } from './support/task-rows.js';
import { createTestApp, REDIS_URL, waitFor, waitForFinalRow, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

/** A queue no handler serves, so a test can fail its jobs with a raw BullMQ worker. */
const ORPHAN_QUEUE = { name: 'orphan', taskType: 'orphan', defaultPriority: 5, concurrency: 1 };

describe('crash reconciler (MariaDB + Redis)', () => {
  let t: TestApp;
  let peer: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    const tasks = { queues: [...FIXTURE_QUEUES, ORPHAN_QUEUE], reconciler: { intervalMs: 0, minAgeMs: 0 } };
    t = await createTestApp({ suite: 'reconciler', providers: [TestTasks], tasks });
    // A second process on the same database and prefix, to run reconcilers side by side.
    peer = await createTestApp({ suite: 'reconciler', role: 'api', providers: [TestTasks], tasks, shareWith: t });
    fixtures = t.app.get(TestTasks);
  });
  // A failed test must not leave the queue paused for the next one.
  afterEach(() => t.queue('test').resume());
  afterAll(async () => {
    await peer?.close();
    await t?.close();
  });

  /** A row as a crash could leave it. */
  async function insertRow(row: {
    taskName?: string; taskType?: string; status: TaskStatus; priority?: number; retryCount?: number; maxRetries?: number; label?: string;
  }): Promise<string> {
    const taskId = randomUUID();
    const { label, ...columns } = row;
    await seedTasks(t, [{
      taskName: 'test.record', taskType: 'test', priority: 5, retryCount: 0, maxRetries: 3, ...columns, taskId,
      params: { label: label ?? taskId }, startedAt: row.status === TaskStatus.Running ? new Date(Date.now() - 1000) : null,
    }]);
    return taskId;
  }

  const finalRow = (taskId: string) => waitForFinalRow(t.tasks, taskId);

  it('re-creates the job of a pending row that has none (a crash between insert and add), keeping priority and attempts left', async () => {
    await t.queue('test').pause();
    const taskId = await insertRow({ status: TaskStatus.Pending, priority: 9, retryCount: 1, maxRetries: 2 });
    const before = t.tasks.getReconcilerStats().jobsRecreated;
    await t.tasks.reconcileNow();
    expect(t.tasks.getReconcilerStats().jobsRecreated).toBe(before + 1);
    const job = (await t.queue('test').getJob(taskId))!;
    expect(job.opts.priority).toBe(2);
    expect(job.opts.attempts).toBe(2);
    expect(job.data.priorAttempts).toBe(1); // so the handler's context.attempt goes on at 2
    await t.queue('test').resume();
    expect((await finalRow(taskId)).status).toBe(TaskStatus.Completed);
    expect(fixtures.callsOf(taskId).map((call) => call.attempt)).toEqual([2]);
  });

  it('re-creates every queued job after Redis lost its data', async () => {
    await t.queue('test').pause();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.tasks.enqueue({ taskName: 'test.record', priority: 1 + i })).taskId);
    await t.queue('test').obliterate({ force: true }); // every key of the queue, as a Redis restart without persistence
    await t.queue('test').pause(); // (obliterate also dropped the pause) so the run order shows the priorities
    await t.tasks.reconcileNow();
    await t.queue('test').resume();
    for (const taskId of ids) expect((await finalRow(taskId)).status).toBe(TaskStatus.Completed);
    // Priority kept: 5 ran first.
    const order = fixtures.calls.filter((call) => ids.includes(call.taskId)).map((call) => ids.indexOf(call.taskId));
    expect(order).toEqual([4, 3, 2, 1, 0]);
  });

  it('counts a running row whose job vanished (worker and Redis data lost) as a failed attempt and runs it again', async () => {
    const taskId = await insertRow({ status: TaskStatus.Running, retryCount: 0, maxRetries: 2 });
    await t.tasks.reconcileNow();
    const done = await finalRow(taskId);
    expect(done.status).toBe(TaskStatus.Completed);
    expect(done.retryCount).toBe(1);
    expect(fixtures.callsOf(taskId)).toHaveLength(1);
  });

  it('fails a running row whose job vanished when no attempt is left', async () => {
    const taskId = await insertRow({ status: TaskStatus.Running, retryCount: 2, maxRetries: 2 });
    await t.tasks.reconcileNow();
    const row = await t.tasks.getTaskStatus(taskId);
    expect(row.status).toBe(TaskStatus.Failed);
    expect(row.errorMessage).toMatch(/lost/);
    expect(row.completedAt).not.toBeNull();
  });

  it('puts a running row whose job BullMQ queued again (stalled) back to pending without counting an attempt', async () => {
    await t.queue('test').pause();
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.record' });
    await t.dataSource.query(`UPDATE background_tasks SET status = 'running', started_at = NOW(3) - INTERVAL 1 SECOND WHERE task_id = ?`, [taskId]);
    await t.tasks.reconcileNow();
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Pending, retryCount: 0 });
    await t.queue('test').resume();
    expect(await finalRow(taskId)).toMatchObject({ status: TaskStatus.Completed, retryCount: 0 });
  });

  it('records the failure of a job that failed in Redis while its row was not told', async () => {
    const taskId = await insertRow({ status: TaskStatus.Pending, taskName: 'orphan.job', taskType: 'orphan' });
    await t.queue('orphan').add('orphan.job', { params: {} }, { jobId: taskId, priority: 6 });
    const raw = new Worker('orphan', async () => { throw new UnrecoverableError('raw worker refused it'); }, {
      connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }),
      prefix: t.queuePrefix,
    });
    try {
      await waitFor(async () => (await t.queue('orphan').getJobState(taskId)) === 'failed', 'the raw worker to fail the job');
    } finally {
      await raw.close();
      raw.opts.connection && (raw.opts.connection as Redis).disconnect();
    }
    await t.tasks.reconcileNow();
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Failed, errorMessage: 'raw worker refused it' });
  });

  it('repairs once when two processes reconcile at the same time', async () => {
    await t.queue('test').pause();
    const taskId = await insertRow({ status: TaskStatus.Pending });
    const before = t.tasks.getReconcilerStats().jobsRecreated + peer.tasks.getReconcilerStats().jobsRecreated;
    await Promise.all([t.tasks.reconcileNow(), peer.tasks.reconcileNow()]);
    expect(await t.queue('test').getJobCounts('prioritized', 'wait')).toMatchObject({ prioritized: 1 });
    // One of the two counted a repair; the other found the job there (BullMQ's id dedup alone
    // would also leave one job, so the stats must say one repair, not two).
    expect(t.tasks.getReconcilerStats().jobsRecreated + peer.tasks.getReconcilerStats().jobsRecreated - before).toBe(1);
    await t.queue('test').resume();
    await finalRow(taskId);
    expect(fixtures.callsOf(taskId)).toHaveLength(1);
  });

  it('leaves final rows alone', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.record' });
    await finalRow(taskId);
    await t.queue('test').obliterate({ force: true });
    const before = t.tasks.getReconcilerStats();
    await t.tasks.reconcileNow();
    const after = t.tasks.getReconcilerStats();
    expect({ ...after, passes: 0 }).toEqual({ ...before, passes: 0 });
    expect((await t.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Completed);
  });
});

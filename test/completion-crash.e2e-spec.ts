import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_QUEUES, DemoModule } from '../src/demo/demo.module.js';
import { TaskStatus } from '../src/tasks/index.js';
import { runScript } from './support/child-process.js';
import { createTestApp, REDIS_URL, waitFor, waitForFinalRow, type TestApp } from './support/test-app.js';

describe('a worker killed after BullMQ completed a job, before the completion it writes behind reached MySQL', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await createTestApp({ suite: 'done_crash', modules: [DemoModule], role: 'api', tasks: { queues: DEMO_QUEUES } });
  });
  afterAll(() => api?.close());

  /** Runs one task in a worker that dies once BullMQ completed it; its job and the row it left. */
  async function completeThenDie(ms: number) {
    const { taskId } = await api.tasks.enqueue({ taskName: 'demo.sleep', params: { ms } });
    const output = await runScript('test/support/complete-then-die.mjs', { DATABASE_URL: api.databaseUrl, REDIS_URL, TASKS_QUEUE_PREFIX: api.queuePrefix });
    expect(output.signal).toBe('SIGKILL');
    expect(output.stdout).toContain(`COMPLETED ${taskId}`);
    const job = (await api.queue('demo').getJob(taskId))!;
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toEqual({ slept_ms: expect.any(Number) });
    return { taskId, job, row: await api.tasks.getTaskStatus(taskId) };
  }

  /** Starts a worker process whose reconciler runs every 250 ms; the row once final, and the repairs made. */
  async function reconciled(taskId: string) {
    const worker = await createTestApp({
      suite: 'done_crash_w', modules: [DemoModule], role: 'worker', shareWith: api,
      tasks: { queues: DEMO_QUEUES, reconciler: { intervalMs: 250, minAgeMs: 1000 } },
    });
    try {
      const row = await waitForFinalRow(api.tasks, taskId);
      // The pass that wrote the row counts its repair when the write returns, which can be just
      // after the commit this test saw: read the counters once a pass has ended since.
      const passes = worker.tasks.getReconcilerStats().passes;
      await waitFor(() => worker.tasks.getReconcilerStats().passes > passes, 'a reconciler pass to end');
      return { row, repairs: worker.tasks.getReconcilerStats() };
    } finally {
      await worker.close();
    }
  }

  it('a short task (start written with the outcome): the row stays pending, the reconciler records the job\'s result and real start', async () => {
    const { taskId, job, row: left } = await completeThenDie(10);
    expect(left).toMatchObject({ status: TaskStatus.Pending, startedAt: null });
    const { row, repairs } = await reconciled(taskId);
    expect(row).toMatchObject({ status: TaskStatus.Completed, retryCount: 0, result: job.returnvalue });
    // Started when the dead worker took the job, not when the row was repaired (seconds later).
    expect(Math.abs(row.startedAt!.getTime() - job.processedOn!)).toBeLessThan(500);
    expect(row.completedAt!.getTime()).toBeGreaterThanOrEqual(row.startedAt!.getTime());
    expect(repairs).toMatchObject({ completionsRecorded: 1, jobsRecreated: 0, lostAttemptsRecovered: 0 });
  });

  it('a longer task (running written): the row stays running, the reconciler completes that attempt with the job\'s result', async () => {
    const { taskId, job, row: left } = await completeThenDie(400);
    expect(left.status).toBe(TaskStatus.Running);
    const { row, repairs } = await reconciled(taskId);
    expect(row).toMatchObject({ status: TaskStatus.Completed, retryCount: 0, result: job.returnvalue, startedAt: left.startedAt });
    expect(repairs).toMatchObject({ completionsRecorded: 1, jobsRecreated: 0, lostAttemptsRecovered: 0 });
  });
});

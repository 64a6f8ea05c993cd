import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackgroundTask, isFinalStatus, TaskHandler, TaskProcessor, TaskStatus, type TaskContext } from '../../src/tasks/index.js';
import { seedTasks } from '../support/task-rows.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/** A handler that declares its own schedule (every second). */
@TaskProcessor('test')
class PeriodicTasks {
  @TaskHandler('test.periodic', { schedule: { everyMs: 1000, expiresInSeconds: 30 } })
  periodic(_params: unknown, context: TaskContext) {
    return { taskId: context.taskId };
  }
}

describe('periodic tasks and retention (MariaDB + Redis)', () => {
  let t: TestApp;
  let secondWorker: TestApp;

  beforeAll(async () => {
    const options = {
      suite: 'schedules',
      providers: [TestTasks, PeriodicTasks],
      tasks: {
        schedules: [{ name: 'every-second-berlin', taskName: 'test.record', cron: '* * * * * *', tz: 'Europe/Berlin', params: { label: 'cron' } }],
        retention: { finishedMaxAgeMs: 3_600_000, intervalMs: 1000 },
      },
    };
    t = await createTestApp(options);
    secondWorker = await createTestApp({ ...options, shareWith: t, role: 'worker' });
  });
  afterAll(async () => {
    await secondWorker.close();
    await t.close();
  });

  const rowsOf = (taskName: string) =>
    t.dataSource.getRepository(BackgroundTask).find({ where: { taskName }, order: { createdAt: 'ASC' } });

  it('lists the schedules (decorator and module option) with their next run', async () => {
    const { body } = await t.http().get('/api/tasks/schedules').expect(200);
    expect(body.schedules).toEqual([
      { name: 'every-second-berlin', task_name: 'test.record', cron: '* * * * * *', every_ms: null, tz: 'Europe/Berlin', params: { label: 'cron' }, priority: null, expires_in_seconds: null, overlap: true, next_run_at: expect.any(String) },
      { name: 'test.periodic', task_name: 'test.periodic', cron: null, every_ms: 1000, tz: null, params: null, priority: null, expires_in_seconds: 30, overlap: true, next_run_at: expect.any(String) },
    ]);
    for (const schedule of body.schedules) expect(Date.parse(schedule.next_run_at)).toBeGreaterThan(Date.now() - 1000);
  });

  it('enqueues every run as a task row, once per run although two worker applications serve the schedule', async () => {
    await waitFor(async () => (await rowsOf('test.periodic')).filter((row) => row.status === TaskStatus.Completed).length >= 3, 'three periodic runs', 10_000);
    await waitFor(async () => (await rowsOf('test.record')).filter((row) => row.status === TaskStatus.Completed).length >= 3, 'three cron runs', 10_000);
    for (const taskName of ['test.periodic', 'test.record']) {
      const rows = await rowsOf(taskName);
      expect(rows.every((row) => row.idempotencyKey?.startsWith('schedule:'))).toBe(true);
      // Runs are a second apart: two rows close together would be one run enqueued twice.
      const gaps = rows.slice(1).map((row, i) => row.createdAt.getTime() - rows[i].createdAt.getTime());
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    }
    expect((await rowsOf('test.record'))[0].params).toEqual({ label: 'cron' });
    // Each run of test.periodic expires 30 s after it was enqueued (its schedule's expiresInSeconds); the cron's runs never.
    for (const row of await rowsOf('test.periodic')) expect(Math.abs(row.expiresAt!.getTime() - row.createdAt.getTime() - 30_000)).toBeLessThanOrEqual(100);
    expect((await rowsOf('test.record')).every((row) => row.expiresAt === null)).toBe(true);
  });

  it('purges finished rows older than the retention age in the background, never unfinished or recent ones', async () => {
    const repository = t.dataSource.getRepository(BackgroundTask);
    const row = (taskId: string, status: TaskStatus, hoursAgo: number) => {
      const at = new Date(Date.now() - hoursAgo * 3_600_000);
      return { taskId, status, createdAt: at, completedAt: isFinalStatus(status) ? at : null };
    };
    await seedTasks(t, [
      row('old-completed', TaskStatus.Completed, 48), row('old-failed', TaskStatus.Failed, 48), row('old-cancelled', TaskStatus.Cancelled, 48),
      row('old-pending', TaskStatus.Pending, 48), row('old-running', TaskStatus.Running, 48), row('recent-completed', TaskStatus.Completed, 0),
    ]);
    await waitFor(async () => (await repository.countBy({ taskName: 'seeded' })) === 3, 'the old finished rows to be purged', 10_000);
    const kept = (await repository.findBy({ taskName: 'seeded' })).map((row) => row.taskId).sort();
    expect(kept).toEqual(['old-pending', 'old-running', 'recent-completed']);
    // The counts the API serves (the counter table's sum) against the rows, read in one snapshot:
    // this suite's schedules enqueue a task every second, which two separate reads could straddle.
    const [rows, counted] = await t.dataSource.transaction('REPEATABLE READ', async (manager) => [
      Number((await manager.query('SELECT COUNT(*) AS n FROM background_tasks'))[0].n),
      Number((await manager.query('SELECT SUM(count) AS n FROM background_task_counts'))[0].n),
    ]);
    expect(counted).toBe(rows);
    // The same purge on demand, with an age of its own.
    expect(await t.tasks.purgeFinishedTasks(0)).toBeGreaterThanOrEqual(1);
    await expect(t.tasks.purgeFinishedTasks(-1)).rejects.toMatchObject({ reasons: ['maxAgeMs must be >= 0'] });
    expect(await repository.countBy({ taskId: 'recent-completed' })).toBe(0);
    await repository.delete({ taskName: 'seeded' });
  });
});

describe('retention turned off (MariaDB)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'keepall', providers: [TestTasks], tasks: { retention: { finishedMaxAgeMs: 0 } } });
  });
  afterAll(() => t.close());

  it('purges nothing with finishedMaxAgeMs 0, even when asked without an age', async () => {
    const ancient = new Date(Date.now() - 400 * 86_400_000);
    await seedTasks(t, [{ taskId: 'ancient', status: TaskStatus.Completed, createdAt: ancient, completedAt: ancient }]);
    expect(await t.tasks.purgeFinishedTasks()).toBe(0);
    expect(await t.dataSource.getRepository(BackgroundTask).countBy({ taskId: 'ancient' })).toBe(1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackgroundTask, TaskHandler, TaskProcessor, TaskStatus, type TaskContext } from '../../src/tasks/index.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/** A handler that declares its own schedule (every second). */
@TaskProcessor('test')
class PeriodicTasks {
  @TaskHandler('test.periodic', { schedule: { everyMs: 1000 } })
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
      { name: 'every-second-berlin', task_name: 'test.record', cron: '* * * * * *', every_ms: null, tz: 'Europe/Berlin', params: { label: 'cron' }, priority: null, next_run_at: expect.any(String) },
      { name: 'test.periodic', task_name: 'test.periodic', cron: null, every_ms: 1000, tz: null, params: null, priority: null, next_run_at: expect.any(String) },
    ]);
    for (const schedule of body.schedules) expect(Date.parse(schedule.next_run_at)).toBeGreaterThan(Date.now() - 1000);
  });

  it('enqueues every run as a task row, once per run although two worker processes serve the schedule', async () => {
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
  });

  it('purges finished rows older than the retention age in the background, never unfinished or recent ones', async () => {
    const repository = t.dataSource.getRepository(BackgroundTask);
    const insert = (taskId: string, status: TaskStatus, hoursAgo: number) =>
      t.dataSource.query(
        `INSERT INTO background_tasks (task_id, task_name, task_type, status, created_at, completed_at)
         VALUES (?, 'seeded', 'test', ?, NOW(3) - INTERVAL ? HOUR, IF(? IN ('completed', 'failed', 'cancelled'), NOW(3) - INTERVAL ? HOUR, NULL))`,
        [taskId, status, hoursAgo, status, hoursAgo],
      );
    await insert('old-completed', TaskStatus.Completed, 48);
    await insert('old-failed', TaskStatus.Failed, 48);
    await insert('old-cancelled', TaskStatus.Cancelled, 48);
    await insert('old-pending', TaskStatus.Pending, 48);
    await insert('old-running', TaskStatus.Running, 48);
    await insert('recent-completed', TaskStatus.Completed, 0);
    await waitFor(async () => (await repository.countBy({ taskName: 'seeded' })) === 3, 'the old finished rows to be purged', 10_000);
    const kept = (await repository.findBy({ taskName: 'seeded' })).map((row) => row.taskId).sort();
    expect(kept).toEqual(['old-pending', 'old-running', 'recent-completed']);
    const [{ n }] = await t.dataSource.query(`SELECT COUNT(*) AS n FROM background_tasks`);
    expect(await t.tasks.getTaskCount()).toBe(Number(n));
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
    await t.dataSource.query(
      `INSERT INTO background_tasks (task_id, task_name, task_type, status, created_at, completed_at)
       VALUES ('ancient', 'seeded', 'test', 'completed', NOW(3) - INTERVAL 400 DAY, NOW(3) - INTERVAL 400 DAY)`,
    );
    expect(await t.tasks.purgeFinishedTasks()).toBe(0);
    expect(await t.dataSource.getRepository(BackgroundTask).countBy({ taskId: 'ancient' })).toBe(1);
  });

  it("purges with the age it is given: the seed's cleanup task goes through the same purge", async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'afirgen_tasks.cleanup.purge_finished_tasks', params: { older_than_days: 30 } });
    const done = await waitForFinalRow(t.tasks, taskId);
    expect(done.status).toBe(TaskStatus.Completed);
    expect(done.result).toEqual({ deleted: 1, older_than_days: 30 });
    expect(await t.dataSource.getRepository(BackgroundTask).countBy({ taskId: 'ancient' })).toBe(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackgroundTask, TaskStatus } from '../src/tasks/index.js';
import { startPrivateMariaDb, type PrivateMariaDb } from './support/private-services.js';
import { countMismatches } from './support/task-rows.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

/**
 * On a MariaDB set up as production servers are: binary logging on, MySQL 8's sql_mode, and
 * an application user with ALL on its own database only (no SUPER).
 */
describe('task lifecycle (production-configured MariaDB + Redis)', () => {
  let mariadb: PrivateMariaDb;
  let t: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    mariadb = await startPrivateMariaDb();
    t = await createTestApp({ suite: 'lifecycle', productionMariaDb: mariadb, providers: [TestTasks], tasks: { retry: { backoffDelayMs: 100 } } });
    fixtures = t.app.get(TestTasks);
  });
  afterAll(async () => {
    await t?.close();
    await mariadb?.destroy();
  });

  it('runs as an application user without SUPER on a server with binary logging and MySQL 8\'s sql_mode', async () => {
    const [server] = await t.dataSource.query('SELECT @@log_bin AS logBin, @@sql_mode AS sqlMode, @@log_bin_trust_function_creators AS trust, CURRENT_USER() AS user');
    expect(Number(server.logBin)).toBe(1);
    expect(Number(server.trust)).toBe(0);
    expect(server.sqlMode).toContain('ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION');
    const grants: Record<string, string>[] = await t.dataSource.query('SHOW GRANTS');
    expect(grants.map((row) => Object.values(row)[0]).join('\n')).not.toMatch(/SUPER|ON \*\.\*.*ALL/);
    expect(server.user).toMatch(/^app_/);
  });

  it('keeps the counts exact through enqueues, retries, failures, cancels and a user retry', async () => {
    const done = await Promise.all([
      t.tasks.enqueue({ taskName: 'test.flaky', params: { fail_times: 1 } }),
      t.tasks.enqueue({ taskName: 'test.always_fail', maxRetries: 1 }),
      t.tasks.enqueue({ taskName: 'test.record' }),
    ]).then((tasks) => Promise.all(tasks.map((task) => finalRow(task.taskId))));
    await t.tasks.retryTask(done[1].taskId);
    await finalRow(done[1].taskId);
    const running = await t.tasks.enqueue({ taskName: 'test.until_aborted' });
    await waitFor(async () => (await t.tasks.getTaskStatus(running.taskId)).status === TaskStatus.Running, 'the task to run');
    await t.tasks.cancelTask(running.taskId);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  const finalRow = (taskId: string) => waitForFinalRow(t.tasks, taskId);

  it('runs a task from pending through running to completed, with result and ordered timestamps', async () => {
    // Paused, so that the row is read before a worker can take the job: a short task may
    // otherwise complete before the read (its start and outcome are one write).
    await t.queue('email').pause();
    const enqueued = await t.tasks.enqueue({
      taskName: 'orders.send_confirmation',
      taskType: 'email',
      params: { order_id: 'ord_12345', recipient_email: 'user@example.com' },
      priority: 5,
    });
    try {
      const pending = await t.dataSource.getRepository(BackgroundTask).findOneByOrFail({ taskId: enqueued.taskId });
      expect(pending.status).toBe(TaskStatus.Pending);
      expect(pending.startedAt).toBeNull();
    } finally {
      await t.queue('email').resume();
    }

    const done = await finalRow(enqueued.taskId);
    expect(done.status).toBe(TaskStatus.Completed);
    expect(done.result).toEqual({ status: 'success', order_id: 'ord_12345', recipient: 'user@example.com', attempt: 1 });
    expect(done.errorMessage).toBeNull();
    expect(done.retryCount).toBe(0);
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(done.createdAt.getTime());
    expect(done.completedAt!.getTime()).toBeGreaterThanOrEqual(done.startedAt!.getTime());
  });

  it('retries a failing handler with exponential backoff up to max_retries, then marks it failed', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.always_fail', maxRetries: 3 });
    const done = await finalRow(taskId);
    expect(done.status).toBe(TaskStatus.Failed);
    expect(done.retryCount).toBe(3);
    expect(done.errorMessage).toBe('planned failure on attempt 4');
    expect(done.completedAt).not.toBeNull();

    const calls = fixtures.callsOf(taskId);
    expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3, 4]);
    // Backoff of 100 ms doubling per retry: the gaps are at least 100, 200, 400 ms.
    const gaps = calls.slice(1).map((call, index) => call.at - calls[index].at);
    gaps.forEach((gap, index) => expect(gap).toBeGreaterThanOrEqual(100 * 2 ** index - 5));
  });

  it('shows a task waiting for its retry as pending with the error of the failed attempt and when the next is due', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.fails_then_waits', maxRetries: 2 });
    const waiting = await waitFor(async () => {
      const task = await t.tasks.getTaskStatus(taskId);
      return task.retryCount === 1 && task;
    }, 'the first retry to be recorded');
    expect(waiting).toMatchObject({ status: TaskStatus.Pending, errorMessage: 'attempt 1 failed; the next waits a minute' });
    expect(waiting.runAt!.getTime() - Date.now()).toBeGreaterThan(50_000);
    await t.tasks.cancelTask(taskId);
  });

  it('completes a handler that fails once then succeeds, with retry_count 1', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.flaky', params: { fail_times: 1 }, maxRetries: 3 });
    const done = await finalRow(taskId);
    expect(done.status).toBe(TaskStatus.Completed);
    expect(done.retryCount).toBe(1);
    expect(done.result).toEqual({ attempts: 2 });
  });

  it('fails at once when max_retries is 0', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.always_fail', maxRetries: 0 });
    const done = await finalRow(taskId);
    expect(done.status).toBe(TaskStatus.Failed);
    expect(done.retryCount).toBe(0);
    expect(fixtures.callsOf(taskId)).toHaveLength(1);
  });

  it('uses the id of the task as the BullMQ job id, with the mapped priority and attempts', async () => {
    await t.queue('test').pause();
    try {
      const { taskId } = await t.tasks.enqueue({ taskName: 'test.record', priority: 9, maxRetries: 2 });
      const job = await t.queue('test').getJob(taskId);
      expect(job?.name).toBe('test.record');
      expect(job?.opts.priority).toBe(2);
      expect(job?.opts.attempts).toBe(3);
    } finally {
      await t.queue('test').resume();
    }
  });

  it('gives tasks time-ordered ids (UUID version 7): later tasks sort after earlier ones, in the table as in the API', async () => {
    const msOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    const before = Date.now();
    const single = [];
    for (let i = 0; i < 3; i++) single.push((await t.tasks.enqueue({ taskName: 'test.record' })).taskId);
    const bulk = (await t.tasks.enqueueMany(Array.from({ length: 20 }, () => ({ taskName: 'test.record' })))).map((outcome) => outcome.task!.taskId);
    const ids = [...single, ...bulk];
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(msOf(id)).toBeGreaterThanOrEqual(before);
      expect(msOf(id)).toBeLessThanOrEqual(Date.now());
    }
    expect([...ids].sort()).toEqual(ids);
    // The rows went in in the order their ids were made: the primary key's order is the ids' order.
    const rows: Array<{ task_id: string }> = await t.dataSource.query('SELECT task_id FROM background_tasks WHERE task_id IN (?) ORDER BY id', [ids]);
    expect(rows.map((row) => row.task_id)).toEqual(ids);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackgroundTask, InvalidTaskRequestError, TaskErrorType, TaskStatus } from '../../src/tasks/index.js';
import { createTestApp, waitFor, waitForFinalRow, whilePaused, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

const EXPIRED = /^expired: not started by \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('task expiry (MariaDB + Redis)', () => {
  let t: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    // The reconciler runs only when a test asks (reconcileNow), and sees rows of any age.
    t = await createTestApp({ suite: 'expiry', providers: [TestTasks], tasks: { reconciler: { intervalMs: 0, minAgeMs: 0 } } });
    fixtures = t.app.get(TestTasks);
  });
  afterAll(() => t.close());

  const rowOf = (taskId: string) => t.dataSource.getRepository(BackgroundTask).findOneByOrFail({ taskId });
  const passed = (at: Date) => waitFor(() => Date.now() > at.getTime() + 50, `${at.toISOString()} to pass`);
  const expiredCount = async () => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    return Number(/^background_tasks_expired_total\{task_name="test\.record"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };

  it('does not start a task that waited past its expiry: cancelled, the reason in error_message, the handler never called', async () => {
    const before = await expiredCount();
    const [expiring, lasting] = await whilePaused(t.queue('test'), async () => {
      const tasks = [await t.tasks.enqueue({ taskName: 'test.record', expiresInSeconds: 1 }), await t.tasks.enqueue({ taskName: 'test.record', expiresInSeconds: 600 })];
      const row = await rowOf(tasks[0].taskId);
      // Stored by the database's clock, as created_at is.
      expect(row.expiresAt!.getTime() - row.createdAt.getTime()).toBeGreaterThanOrEqual(950);
      expect(row.expiresAt!.getTime() - row.createdAt.getTime()).toBeLessThanOrEqual(1100);
      await passed(tasks[0].expiresAt!);
      return tasks;
    });
    const expired = await waitForFinalRow(t.tasks, expiring.taskId);
    expect(expired).toMatchObject({ status: TaskStatus.Cancelled, errorMessage: `expired: not started by ${expiring.expiresAt!.toISOString()}`, startedAt: null });
    expect(expired.completedAt).not.toBeNull();
    expect(fixtures.callsOf(expiring.taskId)).toEqual([]);
    // The other task of the same wait had time left: it ran.
    expect((await waitForFinalRow(t.tasks, lasting.taskId)).status).toBe(TaskStatus.Completed);
    expect(fixtures.callsOf(lasting.taskId)).toHaveLength(1);
    expect(await expiredCount()).toBe(before + 1);
  });

  it('does not start a retry due after the expiry: the first attempt ran, the second did not', async () => {
    // The handler fails; its retry waits 3 s, and the task expires 1.5 s after it was enqueued.
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.fails_then_retries_late', expiresInSeconds: 1.5, maxRetries: 3 });
    const row = await waitForFinalRow(t.tasks, taskId);
    expect(row).toMatchObject({ status: TaskStatus.Cancelled, retryCount: 1, errorType: TaskErrorType.Unknown });
    expect(row.errorMessage).toMatch(EXPIRED);
    expect(fixtures.callsOf(taskId).map((call) => call.attempt)).toEqual([1]);
  });

  it('lets an attempt that began before the expiry run to its end', async () => {
    const { taskId, expiresAt } = await t.tasks.enqueue({ taskName: 'test.sleep', params: { ms: 4000 }, expiresInSeconds: 3 });
    const row = await waitForFinalRow(t.tasks, taskId);
    expect(row.status).toBe(TaskStatus.Completed);
    expect(row.completedAt!.getTime()).toBeGreaterThan(expiresAt!.getTime());
    expect(fixtures.callsOf(taskId)).toHaveLength(1);
  });

  it("runs an expired task again when a user retries it: the new round has no expiry", async () => {
    const { taskId, expiresAt } = await whilePaused(t.queue('test'), async () => {
      const task = await t.tasks.enqueue({ taskName: 'test.record', expiresInSeconds: 0.2 });
      await passed(task.expiresAt!);
      return task;
    });
    expect(expiresAt).not.toBeNull();
    expect((await waitForFinalRow(t.tasks, taskId)).status).toBe(TaskStatus.Cancelled);
    const retried = await t.tasks.retryTask(taskId);
    expect(retried.expiresAt).toBeNull();
    const row = await waitForFinalRow(t.tasks, taskId);
    expect(row).toMatchObject({ status: TaskStatus.Completed, expiresAt: null });
    expect(fixtures.callsOf(taskId)).toHaveLength(1);
  });

  it('keeps the expiry when the reconciler re-creates a lost job', async () => {
    const taskId = await whilePaused(t.queue('test'), async () => {
      const task = await t.tasks.enqueue({ taskName: 'test.record', expiresInSeconds: 1 });
      await t.queue('test').remove(task.taskId);
      await t.tasks.reconcileNow();
      const [job, row] = await Promise.all([t.queue('test').getJob(task.taskId), rowOf(task.taskId)]);
      expect(job!.data.expiresAt).toBe(row.expiresAt!.getTime());
      await passed(row.expiresAt!);
      return task.taskId;
    });
    const row = await waitForFinalRow(t.tasks, taskId);
    expect(row.status).toBe(TaskStatus.Cancelled);
    expect(row.errorMessage).toMatch(EXPIRED);
    expect(fixtures.callsOf(taskId)).toEqual([]);
  });

  it('shows expires_at over HTTP: in the enqueue answer, the task and the list', async () => {
    const { body: created } = await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', delay_seconds: 30, expires_in_seconds: 90 }).expect(201);
    expect(Date.parse(created.expires_at) - Date.parse(created.run_at)).toBeGreaterThanOrEqual(59_990);
    expect(Date.parse(created.expires_at) - Date.parse(created.run_at)).toBeLessThanOrEqual(60_010);
    const row = await rowOf(created.task_id);
    const { body: task } = await t.http().get(`/api/tasks/${created.task_id}`).expect(200);
    expect(task.expires_at).toBe(row.expiresAt!.toISOString());
    expect(Math.abs(row.expiresAt!.getTime() - Date.parse(created.expires_at))).toBeLessThanOrEqual(100);
    const { body: page } = await t.http().get('/api/tasks?status=pending&task_type=test').expect(200);
    expect(page.tasks.find((listed: { task_id: string }) => listed.task_id === created.task_id).expires_at).toBe(task.expires_at);

    const at = new Date(Date.now() + 120_000).toISOString();
    const { body: absolute } = await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', expires_at: at }).expect(201);
    expect(absolute.expires_at).toBe(at);
    expect(Math.abs((await rowOf(absolute.task_id)).expiresAt!.getTime() - Date.parse(at))).toBeLessThanOrEqual(100);
    // Without an expiry: null.
    const { body: plain } = await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record' }).expect(201);
    expect(plain.expires_at).toBeNull();
    await t.tasks.cancelTask(created.task_id); // delayed 30 s
  });

  it('refuses an expiry that is not a time ahead, both fields, one beyond maxDelaySeconds or one before the task is due, creating nothing', async () => {
    const ahead = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ expires_in_seconds: 0 }, 'expires_in_seconds must be a number greater than 0 and at most 2592000'],
      [{ expires_in_seconds: -5 }, 'expires_in_seconds must be a number greater than 0 and at most 2592000'],
      [{ expires_in_seconds: 2_592_001 }, 'expires_in_seconds must be a number greater than 0 and at most 2592000'],
      [{ expires_in_seconds: '60' }, 'expires_in_seconds must be a number'],
      [{ expires_in_seconds: 60, expires_at: ahead(60) }, 'give expires_in_seconds or expires_at, not both'],
      [{ expires_at: ahead(-60) }, 'expires_at is in the past'],
      [{ expires_at: 'tomorrow' }, 'expires_at must be an ISO 8601 date-time'],
      [{ expires_at: ahead(2_592_100) }, 'expires_at is more than 2592000 seconds ahead'],
      [{ delay_seconds: 60, expires_in_seconds: 30 }, 'the task would expire'],
      [{ delay_seconds: 60, expires_in_seconds: 60 }, 'before it is due'],
      [{ run_at: ahead(60), expires_at: ahead(30) }, 'the task would expire'],
    ];
    const before = await t.tasks.getTaskCount();
    for (const [fields, message] of refusals) {
      const { body } = await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', ...fields }).expect(400);
      expect([fields, JSON.stringify(body.message)]).toEqual([fields, expect.stringContaining(message)]);
    }
    // In a bulk call the bad item fails alone.
    const { body: bulk } = await t.http().post('/api/tasks/enqueue/bulk').send({ tasks: [{ task_name: 'test.record', expires_in_seconds: -1 }, { task_name: 'test.record', expires_in_seconds: 60 }] }).expect(200);
    expect(bulk.results.map((item: { error?: { statusCode: number } }) => item.error?.statusCode ?? 'enqueued')).toEqual([400, 'enqueued']);
    // The service says the same to its callers.
    for (const input of [{ expiresInSeconds: Number.NaN }, { expiresAt: new Date(Number.NaN) }, { expiresInSeconds: 5, runAt: new Date(Date.now() + 10_000) }]) {
      await expect(t.tasks.enqueue({ taskName: 'test.record', ...input })).rejects.toThrow(InvalidTaskRequestError);
    }
    expect(await t.tasks.getTaskCount()).toBe(before + 1);
  });
});

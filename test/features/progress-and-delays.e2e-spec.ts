import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BackgroundTask, TaskStatus } from '../../src/tasks/index.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

describe('progress and delayed tasks (MariaDB + Redis)', () => {
  let t: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'progress', providers: [TestTasks], tasks: { progressIntervalMs: 200 } });
    fixtures = t.app.get(TestTasks);
  });
  afterAll(() => t.close());

  const row = (taskId: string) => t.dataSource.getRepository(BackgroundTask).findOneByOrFail({ taskId });

  it('shows the progress a running handler reported on the status route, and 100 once completed', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.progress_then_wait' });
    await waitFor(async () => (await row(taskId)).progress === 40, 'progress 40 in the row');
    const { body } = await t.http().get(`/api/tasks/${taskId}`).expect(200);
    expect(body).toMatchObject({ status: 'running', progress: 40, progress_message: 'halfway there' });
    await t.tasks.cancelTask(taskId);

    const steps = await t.tasks.enqueue({ taskName: 'test.steps', params: { ms: 100 } });
    const done = await waitForFinalRow(t.tasks, steps.taskId);
    expect(done).toMatchObject({ status: TaskStatus.Completed, progress: 100, progressMessage: 'slept 10 of 10 steps' });
  });

  it('throttles a chatty handler: 1000 reports in a burst become a few writes, the latest kept', async () => {
    // Every statement sent to MySQL: the progress writes are those that set `progress`.
    const statements = jest.spyOn(t.dataSource, 'query');
    const progressWrites = (taskId: string) =>
      statements.mock.calls.filter(([sql, parameters]) => /SET progress = \?/.test(sql) && (parameters as unknown[]).includes(taskId)).map(([, parameters]) => parameters as unknown[]);
    try {
      // 1000 reports at once, then 700 ms of work: one write at once, then at most one per 200 ms.
      const { taskId } = await t.tasks.enqueue({ taskName: 'test.chatty_progress', params: { reports: 1000, ms: 700 } });
      await waitFor(async () => (await row(taskId)).progress === 100 && (await row(taskId)).progressMessage === 'report 1000 of 1000', 'the last report in the row');
      const done = await waitForFinalRow(t.tasks, taskId);
      expect(done.status).toBe(TaskStatus.Completed);
      const forThisTask = progressWrites(taskId);
      expect(forThisTask.length).toBeGreaterThanOrEqual(2);
      expect(forThisTask.length).toBeLessThanOrEqual(3);
      expect(forThisTask[0].slice(0, 2)).toEqual([0, 'report 1 of 1000']);
      expect(forThisTask.at(-1)!.slice(0, 2)).toEqual([100, 'report 1000 of 1000']);
    } finally {
      statements.mockRestore();
    }
  });

  it('keeps a task with delay_seconds pending until it is due, and shows when it will run', async () => {
    const response = await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', delay_seconds: 2 }).expect(201);
    const taskId: string = response.body.task_id;
    const pending = await row(taskId);
    expect(pending.status).toBe(TaskStatus.Pending);
    expect(pending.runAt!.getTime() - pending.createdAt.getTime()).toBeGreaterThanOrEqual(1990);
    expect(pending.runAt!.getTime() - pending.createdAt.getTime()).toBeLessThanOrEqual(2100);
    const { body } = await t.http().get(`/api/tasks/${taskId}`).expect(200);
    expect(body.run_at).toBe(pending.runAt!.toISOString());
    expect(Date.parse(response.body.run_at)).toBeGreaterThan(Date.now());
    expect(await t.queue('test').getJobState(taskId)).toBe('delayed');

    const done = await waitForFinalRow(t.tasks, taskId);
    expect(done.status).toBe(TaskStatus.Completed);
    expect(fixtures.callsOf(taskId)[0].at).toBeGreaterThanOrEqual(Date.parse(response.body.run_at));
  });

  it('runs a task given run_at at that time', async () => {
    const runAt = new Date(Date.now() + 1500).toISOString();
    const { taskId, runAt: due } = await t.tasks.enqueue({ taskName: 'test.record', runAt });
    expect(due!.getTime()).toBeGreaterThan(Date.now() + 1000);
    expect(await t.queue('test').getJobState(taskId)).toBe('delayed');
    await waitForFinalRow(t.tasks, taskId);
    expect(fixtures.callsOf(taskId)[0].at).toBeGreaterThanOrEqual(Date.parse(runAt));
  });

  it('refuses a past run_at, a horizon beyond maxDelaySeconds, both fields, and non-dates, creating nothing', async () => {
    const before = await t.tasks.getTaskCount();
    const refusals: [Record<string, unknown>, string][] = [
      [{ run_at: new Date(Date.now() - 60_000).toISOString() }, 'run_at is in the past'],
      [{ run_at: '2030-13-45T99:00:00Z' }, 'run_at must be an ISO 8601 date-time'],
      [{ run_at: 'tomorrow' }, 'run_at must be an ISO 8601 date-time'],
      [{ delay_seconds: -1 }, 'delay_seconds must be a number from 0 to 2592000'],
      [{ delay_seconds: 31 * 24 * 3600 }, 'delay_seconds must be a number from 0 to 2592000'],
      [{ run_at: new Date(Date.now() + 31 * 24 * 3600 * 1000).toISOString() }, 'run_at is more than 2592000 seconds ahead'],
      [{ delay_seconds: 5, run_at: new Date(Date.now() + 5000).toISOString() }, 'give delay_seconds or run_at, not both'],
      [{ timeout_seconds: 0 }, 'timeout_seconds must be an integer from 1 to 86400'],
    ];
    for (const [fields, message] of refusals) {
      const { body } = await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', ...fields }).expect(400);
      expect(body.message.join('; ')).toContain(message);
    }
    expect(await t.tasks.getTaskCount()).toBe(before);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstValueFrom, take, toArray } from 'rxjs';
import { InvalidTaskRequestError, TaskErrorType, TaskStatus } from '../../src/tasks/index.js';
import { countMismatches, seedTasks } from '../support/task-rows.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * A queue taken out of the options (its handlers gone in a release) leaves its rows behind:
 * they must stay listable, countable and purgeable by their type, as the stats (which report
 * every type with tasks, and which the dashboard links to the list) show them.
 */
describe('the tasks of a retired queue: a type no queue carries any more (MariaDB + Redis)', () => {
  let t: TestApp;
  let pending: string[];
  let failed: string[];

  beforeAll(async () => {
    t = await createTestApp({ suite: 'retired_types' });
    pending = await seedTasks(t, Array.from({ length: 3 }, () => ({ taskType: 'sms', taskName: 'sms.send', status: TaskStatus.Pending })));
    failed = await seedTasks(t, Array.from({ length: 2 }, () => ({ taskType: 'sms', taskName: 'sms.send', status: TaskStatus.Failed, errorType: TaskErrorType.Network, errorMessage: 'gateway down' })));
    await seedTasks(t, [{ taskType: 'test', taskName: 'test.record', status: TaskStatus.Pending }]);
  });
  afterAll(() => t.close());

  it('lists and counts them by their type, as the stats report it', async () => {
    const stats = (await t.http().get('/api/tasks/stats').expect(200)).body;
    expect(stats.types.map((type: { task_type: string }) => type.task_type)).toContain('sms');

    const page = (await t.http().get('/api/tasks?task_type=sms').expect(200)).body;
    expect(page.tasks.map((task: { task_id: string }) => task.task_id).sort()).toEqual([...pending, ...failed].sort());
    expect(page.total_count).toBe(5);
    expect((await t.http().get('/api/tasks/count/all?task_type=sms&status=pending').expect(200)).body.count).toBe(3);
    expect(await t.tasks.getTaskCount({ taskType: 'sms', errorType: TaskErrorType.Network })).toBe(2);
  });

  it('answers its stats by its type, and its workers as none: no queue carries it', async () => {
    const stats = (await t.http().get('/api/tasks/stats?task_type=sms').expect(200)).body;
    expect(stats.types).toEqual([expect.objectContaining({ task_type: 'sms', current: expect.objectContaining({ pending: 3, failed: 2 }) })]);
    expect((await t.http().get('/api/tasks/workers?task_type=sms').expect(200)).body).toEqual({ queues: [] });
  });

  it('still refuses a type that no queue carries and no task has, naming the configured ones', async () => {
    const { body } = await t.http().get('/api/tasks?task_type=smss').expect(400);
    expect([body.message].flat()).toEqual(["task_type must be one of: test, email, report, analytics, cleanup, workflow; or a type that still has tasks (a retired queue's)"]);
    await t.http().get('/api/tasks/count/all?task_type=smss').expect(400);
    // The stats, the workers and the live events, as the list: a typo is not an empty answer or a silent stream.
    for (const route of ['stats', 'workers', 'events']) {
      const refusal = await t.http().get(`/api/tasks/${route}?task_type=smss`).expect(400);
      expect([route, refusal.body.message]).toEqual([route, [expect.stringContaining('task_type must be one of: test, email')]]);
    }
    await expect(t.tasks.getWorkers('smss')).rejects.toThrow(InvalidTaskRequestError);
    await expect(t.tasks.getTaskStats({ taskType: 'smss' })).rejects.toThrow(InvalidTaskRequestError);
    await expect(firstValueFrom(t.tasks.taskEvents({ taskType: 'smss' }, '0-0'))).rejects.toThrow(InvalidTaskRequestError);
  });

  it('refuses an empty task name in the stats and the live events, which no task can have', async () => {
    for (const route of ['stats', 'events']) {
      const refusal = await t.http().get(`/api/tasks/${route}?task_type=sms&task_name=`).expect(400);
      expect([route, refusal.body.message]).toEqual([route, ['task_name must be a string of 1 to 255 characters']]);
    }
    await expect(t.tasks.getTaskStats({ taskName: '' })).rejects.toThrow(InvalidTaskRequestError);
    await expect(firstValueFrom(t.tasks.taskEvents({ taskName: '' }, '0-0'))).rejects.toThrow(InvalidTaskRequestError);
  });

  it('refuses to retry its failed tasks, which no job of this process could carry, changing nothing', async () => {
    const refusal = t.tasks.retryFailedTasks('sms');
    await expect(refusal).rejects.toThrow(InvalidTaskRequestError);
    await expect(refusal).rejects.toMatchObject({ reasons: ['task_type "sms" has tasks but no queue of this process\'s options carries it (a retired queue?): its failed tasks cannot be retried here'] });
    expect(await t.tasks.getTaskCount({ taskType: 'sms', status: TaskStatus.Failed })).toBe(2);
  });

  it('purges its waiting tasks, which no worker would ever take, streaming their cancels by its type, and leaves the rest', async () => {
    const cancels = firstValueFrom(t.tasks.taskEvents({ taskType: 'sms' }, await t.tasks.latestTaskEventId()).pipe(take(3), toArray()));
    expect(await t.tasks.cancelWaitingTasks('sms')).toEqual({ cancelled: 3, skipped: 0 });
    expect((await cancels).map((event) => [event.task_id, event.status]).sort()).toEqual(pending.map((taskId) => [taskId, TaskStatus.Cancelled]).sort());
    for (const taskId of pending) expect((await t.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Cancelled);
    expect(await t.tasks.getTaskCount({ taskType: 'test', status: TaskStatus.Pending })).toBe(1);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('refuses the type once its last task is deleted', async () => {
    await t.dataSource.query("DELETE FROM background_tasks WHERE task_type = 'sms'");
    await t.tasks.recountTasks();
    await t.http().get('/api/tasks?task_type=sms').expect(400);
    await expect(t.tasks.cancelWaitingTasks('sms')).rejects.toMatchObject({ reasons: [expect.stringContaining('task_type must be one of')] });
  });
});

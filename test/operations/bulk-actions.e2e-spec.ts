import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackgroundTask, InvalidTaskRequestError, isFinalStatus, TaskErrorType, TaskStatus } from '../../src/tasks/index.js';
import { createTestApp, waitFor, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

describe('bulk actions: every waiting task cancelled (Celery purge), every failed task retried (MariaDB + Redis)', () => {
  let t: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'bulk_actions', providers: [TestTasks] });
    fixtures = t.app.get(TestTasks);
  });
  afterAll(() => t.close());

  const statusesOf = async (taskIds: string[]) => {
    const rows = await t.dataSource.getRepository(BackgroundTask).find({ select: { taskId: true, status: true }, where: taskIds.map((taskId) => ({ taskId })) });
    return new Set(rows.map((row) => row.status));
  };
  /** `count` tasks, in bulk calls of at most 1,000. */
  const enqueueMany = async (count: number, taskName: string) => {
    const taskIds: string[] = [];
    for (let left = count; left > 0; left -= 1000) {
      const outcomes = await t.tasks.enqueueMany(Array.from({ length: Math.min(left, 1000) }, () => ({ taskName, params: { ms: 50 } })));
      taskIds.push(...outcomes.map((outcome) => outcome.task!.taskId));
    }
    return taskIds;
  };

  it('cancels the waiting tasks of one name over several pages, then the rest of the type; their jobs are gone and no handler runs', async () => {
    await t.queue('test').pause();
    try {
      const records = await enqueueMany(1100, 'test.record');
      const sleeps = await enqueueMany(5, 'test.sleep');
      const { workflowId } = await t.tasks.chain([{ taskName: 'test.record' }, { taskName: 'test.record' }]);

      expect(await t.tasks.cancelWaitingTasks('test', 'test.record')).toEqual({ cancelled: 1100, skipped: 2 });
      expect(await statusesOf(records)).toEqual(new Set([TaskStatus.Cancelled]));
      expect(await statusesOf(sleeps)).toEqual(new Set([TaskStatus.Pending]));
      // The workflow's steps are left to it: cancel a workflow by its id.
      expect((await t.tasks.getTaskStatus(workflowId)).status).toBe(TaskStatus.Pending);

      expect(await t.tasks.cancelWaitingTasks('test')).toEqual({ cancelled: 5, skipped: 2 });
      expect(await statusesOf(sleeps)).toEqual(new Set([TaskStatus.Cancelled]));
      expect(await t.tasks.getTaskCount({ taskType: 'test', status: TaskStatus.Pending })).toBe(2);
      // What waits in Redis now is the workflow's first step alone.
      const counts = await t.queue('test').getJobCounts('waiting', 'prioritized', 'delayed');
      expect(counts.waiting + counts.prioritized + counts.delayed).toBe(1);
      await t.tasks.cancelTask(workflowId);
    } finally {
      await t.queue('test').resume();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fixtures.calls).toEqual([]);
  });

  it('races the workers: every task ends completed or cancelled, and no cancelled task starts after the call returns', async () => {
    const taskIds = await enqueueMany(600, 'test.sleep');
    const { cancelled, skipped } = await t.tasks.cancelWaitingTasks('test');
    const returnedAt = Date.now();
    const rows = await waitFor(async () => {
      const found = await t.dataSource.getRepository(BackgroundTask).find({ where: taskIds.map((taskId) => ({ taskId })) });
      return found.every((row) => isFinalStatus(row.status)) && found;
    }, 'every task to finish');
    const byStatus = (status: TaskStatus) => rows.filter((row) => row.status === status);
    expect(byStatus(TaskStatus.Failed)).toEqual([]);
    // Some ran before the purge reached them, the rest were cancelled; none slipped between.
    expect(byStatus(TaskStatus.Cancelled).length).toBe(cancelled);
    expect(byStatus(TaskStatus.Completed).length).toBe(600 - cancelled);
    expect(cancelled).toBeGreaterThan(0);
    expect(skipped).toBeLessThanOrEqual(600 - cancelled);
    const lateStarts = byStatus(TaskStatus.Cancelled).flatMap((row) => fixtures.callsOf(row.taskId)).filter((call) => call.at > returnedAt);
    expect(lateStarts).toEqual([]);
  });

  it('retries every failed task of a type and failure class once, over several pages, and leaves the other classes', async () => {
    const enqueueFailing = async (count: number, kind: string) => {
      const outcomes = await t.tasks.enqueueMany(Array.from({ length: count }, () => ({ taskName: 'test.throws', params: { kind }, maxRetries: 0 })));
      return outcomes.map((outcome) => outcome.task!.taskId);
    };
    const network = await enqueueFailing(520, 'network');
    const validation = await enqueueFailing(5, 'validation');
    const failed = async (taskIds: string[]) => (await statusesOf(taskIds)).size === 1 && (await statusesOf(taskIds)).has(TaskStatus.Failed);
    await waitFor(async () => (await failed(network)) && (await failed(validation)), 'every task to fail');

    // test.throws fails again at once: a task failed anew while the call pages is not retried twice.
    expect(await t.tasks.retryFailedTasks('test', { errorType: TaskErrorType.Network })).toEqual({ retried: 520, skipped: 0 });
    await waitFor(() => failed(network), 'the retried tasks to fail again');
    expect(new Set(network.map((taskId) => fixtures.callsOf(taskId).length))).toEqual(new Set([2]));
    expect(new Set(validation.map((taskId) => fixtures.callsOf(taskId).length))).toEqual(new Set([1]));
    // Of one name only: none of that name failed.
    expect(await t.tasks.retryFailedTasks('test', { taskName: 'test.record' })).toEqual({ retried: 0, skipped: 0 });
  });

  it('refuses the workflow type, a type of no queue, an empty or overlong name and an unknown failure class, changing nothing', async () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['workflow', undefined, "task_type must be a queue's type: act on a workflow by its id"],
      ['nope', undefined, 'task_type must be one of'],
      ['test', '', 'task_name must be a string of 1 to 255 characters'],
      ['test', 'n'.repeat(256), 'task_name must be a string of 1 to 255 characters'],
    ];
    for (const [taskType, taskName, message] of cases) {
      // One call at a time: a refusal made while the other is awaited would be an unhandled rejection until its turn.
      for (const refuse of [() => t.tasks.cancelWaitingTasks(taskType, taskName), () => t.tasks.retryFailedTasks(taskType, { taskName })]) {
        const refusal = refuse();
        await expect(refusal).rejects.toThrow(InvalidTaskRequestError);
        await expect(refusal).rejects.toMatchObject({ reasons: [expect.stringContaining(message)] });
      }
    }
    await expect(t.tasks.retryFailedTasks('test', { errorType: 'cosmic' as TaskErrorType })).rejects.toMatchObject({ reasons: [expect.stringContaining('error_type must be one of')] });
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { TaskHandler, TaskProcessor, TaskStatus, TasksMetrics, type TaskContext } from '../../src/tasks/index.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/** A task that a new release adds to the `test` queue: the old release's workers lack it. */
@TaskProcessor('test')
class NewReleaseTasks {
  readonly ranIn: string[] = [];

  @TaskHandler('test.added_in_new_release')
  added(_params: unknown, context: TaskContext) {
    this.ranIn.push(context.taskId);
    return { ran: true };
  }
}

/**
 * A rolling deploy: an API of the new release (which knows the new task) beside a worker of the
 * old one (which serves the queue but has no handler for it), then a worker of the new release.
 */
describe('a job whose handler this worker lacks (MariaDB + Redis)', () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const app of apps.reverse()) await app.close();
    apps.length = 0;
  });
  const start = async (...args: Parameters<typeof createTestApp>) => {
    const app = await createTestApp(...args);
    apps.push(app);
    return app;
  };
  const missingCount = async (app: TestApp) => {
    const text = (await app.app.get(TasksMetrics).scrape()).body;
    return Number(/^background_tasks_handler_missing_total\{task_name="test\.added_in_new_release"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };

  it('goes back to the queue, pending and not counted as an attempt, until a worker that has the handler runs it', async () => {
    const api = await start({ suite: 'missing_handler', role: 'api', providers: [TestTasks, NewReleaseTasks] });
    const oldWorker = await start({ suite: 'missing_handler', role: 'worker', providers: [TestTasks], shareWith: api });
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.added_in_new_release', maxRetries: 0 });
    await waitFor(async () => (await missingCount(oldWorker)) >= 1, 'the old worker to hand the job back');
    expect(await api.queue('test').getJobState(taskId)).toBe('delayed');
    expect(await api.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Pending, startedAt: null, retryCount: 0, errorMessage: null });

    // The deploy goes on: a worker of the new release starts, the old one stops.
    const newWorker = await start({ suite: 'missing_handler', role: 'worker', providers: [TestTasks, NewReleaseTasks], shareWith: api });
    await oldWorker.close();
    apps.splice(apps.indexOf(oldWorker), 1);
    const row = await waitForFinalRow(api.tasks, taskId);
    expect(row).toMatchObject({ status: TaskStatus.Completed, result: { ran: true }, retryCount: 0 });
    expect(newWorker.app.get(NewReleaseTasks).ranIn).toEqual([taskId]);
  });

  it('fails, naming the missing handler, once it has been due for longer than missingHandlerGraceMs', async () => {
    const api = await start({ suite: 'missing_handler_grace', role: 'api', providers: [TestTasks, NewReleaseTasks] });
    const oldWorker = await start({ suite: 'missing_handler_grace', role: 'worker', providers: [TestTasks], shareWith: api, tasks: { workers: { missingHandlerGraceMs: 3000 } } });
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.added_in_new_release', maxRetries: 3 });
    const row = await waitForFinalRow(api.tasks, taskId);
    expect(row).toMatchObject({ status: TaskStatus.Failed, errorMessage: 'No handler for task "test.added_in_new_release" in this worker', retryCount: 0 });
    // Handed back at 0 s (and 5 s later, past the grace, tried and failed without retries).
    expect(await missingCount(oldWorker)).toBe(1);
    expect(row.completedAt!.getTime() - row.createdAt.getTime()).toBeGreaterThanOrEqual(3000);
  });
});

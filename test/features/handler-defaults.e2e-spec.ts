import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackgroundTask, TaskErrorType, TaskHandler, TaskNetworkError, TaskProcessor, TaskStatus } from '../../src/tasks/index.js';
import { createTestApp, waitForFinalRow, type TestApp } from '../support/test-app.js';

/** Handlers that declare what a task enqueued without its own settings gets (Celery's task options). */
@TaskProcessor('test')
class DefaultingTasks {
  readonly calls = new Map<string, number>();

  @TaskHandler('defaults.report', { maxRetries: 7, priority: 9, expiresInSeconds: 60 })
  report(_params: unknown, { taskId }: { taskId: string }) {
    this.calls.set(taskId, (this.calls.get(taskId) ?? 0) + 1);
    return 'done';
  }

  @TaskHandler('defaults.flaky', { maxRetries: 1 })
  flaky(_params: unknown, { taskId }: { taskId: string }) {
    this.calls.set(taskId, (this.calls.get(taskId) ?? 0) + 1);
    throw new TaskNetworkError('the gateway is down');
  }
}

describe("a handler's defaults for the tasks enqueued without their own (MariaDB + Redis)", () => {
  let t: TestApp;
  let fixtures: DefaultingTasks;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'handler_defaults', providers: [DefaultingTasks], tasks: { retry: { maxRetries: 3, backoffDelayMs: 20 } } });
    fixtures = t.app.get(DefaultingTasks);
  });
  afterAll(() => t.close());

  const rowOf = (taskId: string) => t.dataSource.getRepository(BackgroundTask).findOneByOrFail({ taskId });
  /** Milliseconds from `from` to the row's expiry. */
  const expiryAfter = (row: BackgroundTask, from: Date) => row.expiresAt!.getTime() - from.getTime();

  it("gives a task without its own the handler's max_retries, priority and expiry (from its enqueue)", async () => {
    const { body } = await t.http().post('/api/tasks/enqueue').send({ task_name: 'defaults.report' }).expect(201);
    expect(body.message).toBe('Task enqueued successfully with priority 9');
    const row = await rowOf(body.task_id);
    expect(row).toMatchObject({ priority: 9, maxRetries: 7 });
    expect(expiryAfter(row, row.createdAt)).toBeGreaterThanOrEqual(59_900);
    expect(expiryAfter(row, row.createdAt)).toBeLessThanOrEqual(60_100);
    expect((await waitForFinalRow(t.tasks, body.task_id)).status).toBe(TaskStatus.Completed);
  });

  it("counts a delayed task's default expiry from when it is due", async () => {
    const task = await t.tasks.enqueue({ taskName: 'defaults.report', delaySeconds: 120 });
    const row = await rowOf(task.taskId);
    expect(expiryAfter(row, row.runAt!)).toBeGreaterThanOrEqual(59_900);
    expect(expiryAfter(row, row.runAt!)).toBeLessThanOrEqual(60_100);
    await t.tasks.cancelTask(task.taskId);
  });

  it("lets the enqueue's own settings win over the handler's", async () => {
    const task = await t.tasks.enqueue({ taskName: 'defaults.report', maxRetries: 0, priority: 2, expiresInSeconds: 5 });
    const row = await rowOf(task.taskId);
    expect(row).toMatchObject({ priority: 2, maxRetries: 0 });
    expect(expiryAfter(row, row.createdAt)).toBeLessThanOrEqual(5_100);
    expect((await waitForFinalRow(t.tasks, task.taskId)).status).toBe(TaskStatus.Completed);
  });

  it("retries as often as the handler's maxRetries says, not the module's", async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'defaults.flaky' });
    const row = await waitForFinalRow(t.tasks, taskId);
    expect(row).toMatchObject({ status: TaskStatus.Failed, errorType: TaskErrorType.Network, retryCount: 1, maxRetries: 1 });
    expect(fixtures.calls.get(taskId)).toBe(2);
  });

  it('gives workflow steps the priority and retries, but no expiry: a step is due only once its predecessor is done', async () => {
    const { nodes } = await t.tasks.chain([{ taskName: 'defaults.report' }, { taskName: 'defaults.report' }]);
    const steps = await Promise.all(nodes.filter((node) => node.taskName === 'defaults.report').map((node) => rowOf(node.taskId)));
    expect(steps.map((step) => [step.priority, step.maxRetries, step.expiresAt])).toEqual([
      [9, 7, null],
      [9, 7, null],
    ]);
  });
});

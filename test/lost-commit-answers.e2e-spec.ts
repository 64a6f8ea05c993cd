import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { TasksUnavailableError, TaskStatus, type TaskEvent } from '../src/tasks/index.js';
import { TaskStateWriter } from '../src/tasks/store/task-state.writer.js';
import { AnswerDroppingProxy } from './support/answer-dropping-proxy.js';
import { createTestApp, MYSQL_SERVER_URL, waitFor, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

/**
 * A worker's write whose COMMIT MySQL applied while its answer was lost (MySQL killed between the
 * COMMIT and the reply): the worker cannot tell it from a write that never landed, so it writes
 * again once MySQL answers. The row, its counts and its stats must take it once. The app talks to
 * MariaDB through a proxy that drops that one answer; MySQL itself commits for real.
 */
describe('state writes whose answers were lost (MariaDB + Redis)', () => {
  let proxy: AnswerDroppingProxy;
  let t: TestApp;

  beforeAll(async () => {
    proxy = await AnswerDroppingProxy.start(MYSQL_SERVER_URL);
    t = await createTestApp({ suite: 'lost_commit', providers: [TestTasks], mysqlServerUrl: proxy.url });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  it('writes a completion whose answer was lost once: the row completed with its result, counted and in the stats once', async () => {
    const statusNow = async (): Promise<string | undefined> =>
      (await t.dataSource.query(`SELECT status FROM background_tasks WHERE JSON_VALUE(params, '$.label') = 'lost-commit'`))[0]?.status;
    let committedStatus: string | undefined;
    const dropped = proxy.dropAnswerTo('UPDATE background_tasks', async () => {
      // The COMMIT reached MySQL: the row says so on another connection before the answer is dropped.
      await waitFor(async () => (committedStatus = await statusNow()) === TaskStatus.Completed, 'the completion to be committed');
    });
    // Watched, not replaced: how often the worker asks the writer for this completion.
    const completes = jest.spyOn(t.app.get(TaskStateWriter), 'complete');
    const events: TaskEvent[] = [];
    const subscription = t.tasks.taskEvents({ taskName: 'test.record' }, await t.tasks.latestTaskEventId()).subscribe((event) => events.push(event));
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'lost-commit' } });
    await dropped;
    expect(committedStatus).toBe(TaskStatus.Completed);

    const row = await t.tasks.waitForTask(taskId, { timeoutMs: 20_000 });
    expect({ status: row.status, result: row.result, retryCount: row.retryCount }).toEqual({ status: TaskStatus.Completed, result: { label: 'lost-commit' }, retryCount: 0 });
    expect(t.app.get(TestTasks).callsOf(taskId)).toHaveLength(1);
    // The worker writes again once its health probe finds MySQL answering: give that write time to land.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(completes.mock.calls.filter(([id]) => id === taskId).length).toBeGreaterThanOrEqual(2);
    completes.mockRestore();
    // The lost commit's change reaches live subscribers once, when the write that came again is refused.
    await waitFor(() => events.some((event) => event.task_id === taskId), 'the completion event');
    subscription.unsubscribe();
    expect(events.filter((event) => event.task_id === taskId).map((event) => [event.status, event.progress])).toEqual([[TaskStatus.Completed, 100]]);
    expect({
      completed: await t.tasks.getTaskCount({ status: TaskStatus.Completed }),
      pending: await t.tasks.getTaskCount({ status: TaskStatus.Pending }),
      running: await t.tasks.getTaskCount({ status: TaskStatus.Running }),
    }).toEqual({ completed: 1, pending: 0, running: 0 });
    const { totals } = await t.tasks.getTaskStats({ windowMs: 3_600_000 });
    expect({ finished: totals.finished, completed: totals.completed }).toEqual({ finished: 1, completed: 1 });
  });

  it('queues the step that a lost commit released at once, not a reconciler pass later', async () => {
    const unblocked = async () => {
      const [row] = await t.dataSource.query(`SELECT blocked FROM background_tasks WHERE JSON_VALUE(params, '$.label') = 'second-step'`);
      return row !== undefined && Number(row.blocked) === 0;
    };
    const dropped = proxy.dropAnswerTo('UPDATE background_tasks', async () => {
      // The first step's completion reached MySQL and released the second step.
      await waitFor(unblocked, 'the second step to be released');
    });
    const chain = await t.tasks.chain([{ taskName: 'test.record', params: { label: 'first-step' } }, { taskName: 'test.record', params: { label: 'second-step' } }]);
    await dropped;
    expect(await unblocked()).toBe(true);
    // The reconciler here takes rows a minute old (the default): it is not what queues the step.
    const workflow = await t.tasks.waitForTask(chain.workflowId, { timeoutMs: 15_000 });
    expect(workflow.status).toBe(TaskStatus.Completed);
    const second = chain.nodes.find((node) => node.taskName === 'test.record' && !node.released)!;
    expect(t.app.get(TestTasks).callsOf(second.taskId)).toHaveLength(1);
    expect(t.tasks.getReconcilerStats().jobsRecreated).toBe(0);
  });

  it('gives a user\'s retry whose answer was lost its new round at once, though the caller was told 503', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.always_fail', maxRetries: 0, params: { label: 'lost-retry' } });
    expect((await t.tasks.waitForTask(taskId, { timeoutMs: 10_000 })).status).toBe(TaskStatus.Failed);
    const pendingAgain = async () => (await t.dataSource.query(`SELECT status FROM background_tasks WHERE task_id = ?`, [taskId]))[0]?.status === TaskStatus.Pending;
    const dropped = proxy.dropAnswerTo('UPDATE background_tasks', async () => {
      // The resubmit reached MySQL: the row is pending again before the answer is dropped.
      await waitFor(pendingAgain, 'the resubmit to be committed');
    });
    const outcome = await t.tasks.retryTask(taskId).catch((error: unknown) => error);
    await dropped;
    expect(outcome).toBeInstanceOf(TasksUnavailableError);
    // Its new round runs (and fails again, as this handler always does) without the reconciler.
    await waitFor(() => t.app.get(TestTasks).callsOf(taskId).length === 2, 'the new round to run', 15_000);
    expect((await t.tasks.waitForTask(taskId, { timeoutMs: 10_000 })).status).toBe(TaskStatus.Failed);
    expect(t.tasks.getReconcilerStats().jobsRecreated).toBe(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_QUEUES, DemoModule } from '../src/demo/demo.module.js';
import { InvalidTaskRequestError, TaskNotFoundError, TaskStatus } from '../src/tasks/index.js';
import { countMismatches } from './support/task-rows.js';
import { runScript } from './support/child-process.js';
import { createTestApp, REDIS_URL, waitFor, waitForFinalRow, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

describe("enqueue in the caller's transaction", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'txn', providers: [TestTasks] });
  });
  afterAll(() => t?.close());

  const jobOf = async (taskId: string) => (await t.queue('test').getJob(taskId)) ?? undefined;

  it('writes the row in the transaction, unseen by others until the commit, and adds the job only after it', async () => {
    let taskId = '';
    await t.dataSource.transaction(async (manager) => {
      ({ taskId } = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'tx' } }, { manager }));
      const [mine] = await manager.query('SELECT status FROM background_tasks WHERE task_id = ?', [taskId]);
      expect(mine.status).toBe('pending');
      await expect(t.tasks.getTaskStatus(taskId)).rejects.toBeInstanceOf(TaskNotFoundError);
      expect(await jobOf(taskId)).toBeUndefined();
    });
    expect((await waitForFinalRow(t.tasks, taskId)).status).toBe(TaskStatus.Completed);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('leaves no row and no job after a rollback', async () => {
    const before = await t.tasks.getTaskCount();
    let taskId = '';
    await expect(
      t.dataSource.transaction(async (manager) => {
        ({ taskId } = await t.tasks.enqueue({ taskName: 'test.record', params: {} }, { manager }));
        throw new Error('the order could not be saved');
      }),
    ).rejects.toThrow('the order could not be saved');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(t.tasks.getTaskStatus(taskId)).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await jobOf(taskId)).toBeUndefined();
    expect(await t.tasks.getTaskCount()).toBe(before);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('follows savepoints: a nested transaction that rolls back takes its task with it, the outer one commits its own', async () => {
    let outer = '';
    let inner = '';
    await t.dataSource.transaction(async (manager) => {
      ({ taskId: outer } = await t.tasks.enqueue({ taskName: 'test.record', params: {} }, { manager }));
      await manager
        .transaction(async (nested) => {
          ({ taskId: inner } = await t.tasks.enqueue({ taskName: 'test.record', params: {} }, { manager: nested }));
          throw new Error('inner step failed');
        })
        .catch(() => undefined);
    });
    expect((await waitForFinalRow(t.tasks, outer)).status).toBe(TaskStatus.Completed);
    await expect(t.tasks.getTaskStatus(inner)).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await jobOf(inner)).toBeUndefined();
  });

  it('answers an idempotency key already used in the same transaction with that task', async () => {
    const key = `order-${Date.now()}`;
    const [first, second] = await t.dataSource.transaction(async (manager) => [
      await t.tasks.enqueue({ taskName: 'test.record', params: {}, idempotencyKey: key }, { manager }),
      await t.tasks.enqueue({ taskName: 'test.record', params: {}, idempotencyKey: key }, { manager }),
    ]);
    expect(second).toMatchObject({ taskId: first.taskId, created: false });
    await waitForFinalRow(t.tasks, first.taskId);
    expect(await t.tasks.getTaskCount({ taskType: 'test', status: TaskStatus.Completed })).toBeGreaterThan(0);
    const rows: unknown[] = await t.dataSource.query('SELECT 1 FROM background_tasks WHERE idempotency_key = ?', [key]);
    expect(rows).toHaveLength(1);
  });

  it('enqueues many in one transaction, all or nothing, jobs after the commit', async () => {
    const outcomes = await t.dataSource.transaction((manager) =>
      t.tasks.enqueueMany([1, 2, 3].map((n) => ({ taskName: 'test.record', params: { n } })), { manager }),
    );
    for (const outcome of outcomes) expect((await waitForFinalRow(t.tasks, outcome.task!.taskId)).status).toBe(TaskStatus.Completed);
    const before = await t.tasks.getTaskCount();
    const refused = t.dataSource.transaction((manager) =>
      t.tasks.enqueueMany([{ taskName: 'test.record', params: {} }, { taskName: 'no.such_task', params: {} }], { manager }),
    );
    await expect(refused).rejects.toBeInstanceOf(InvalidTaskRequestError);
    await expect(refused).rejects.toMatchObject({ reasons: [expect.stringMatching(/^tasks\[1\]: /)] });
    expect(await t.tasks.getTaskCount()).toBe(before);
  });

  it('creates a workflow in the transaction too: committed it runs, rolled back nothing of it exists', async () => {
    const steps = [{ taskName: 'test.record', params: { label: 'w1' } }, { taskName: 'test.record', params: { label: 'w2' } }];
    const committed = await t.dataSource.transaction((manager) => t.tasks.chain(steps, { manager }));
    expect((await waitForFinalRow(t.tasks, committed.workflowId)).status).toBe(TaskStatus.Completed);
    const before = await t.tasks.getTaskCount();
    let rolledBack = '';
    await t.dataSource
      .transaction(async (manager) => {
        rolledBack = (await t.tasks.chain(steps, { manager })).workflowId;
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(t.tasks.getTaskStatus(rolledBack)).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await t.tasks.getTaskCount()).toBe(before);
  });

  it('refuses a manager that has no open transaction', async () => {
    await expect(t.tasks.enqueue({ taskName: 'test.record', params: {} }, { manager: t.dataSource.manager })).rejects.toMatchObject({
      reasons: ['manager must be the EntityManager of an open transaction on the data source TasksModule uses'],
    });
  });
});

describe('a process killed between the commit and the job', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await createTestApp({ suite: 'txn_crash', modules: [DemoModule], role: 'api', tasks: { queues: DEMO_QUEUES } });
  });
  afterAll(() => api?.close());

  it('leaves a committed row that the reconciler turns into a job within minAgeMs + intervalMs', async () => {
    const output = await runScript('test/support/commit-then-die.mjs', { DATABASE_URL: api.databaseUrl, REDIS_URL, TASKS_QUEUE_PREFIX: api.queuePrefix });
    expect(output.signal).toBe('SIGKILL');
    const taskId = /TASK (\S+)/.exec(output.stdout)![1];
    expect((await api.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Pending);
    expect(await api.queue('demo').getJob(taskId)).toBeUndefined();

    const worker = await createTestApp({
      suite: 'txn_crash_w', modules: [DemoModule], role: 'worker', shareWith: api,
      tasks: { queues: DEMO_QUEUES, reconciler: { intervalMs: 250, minAgeMs: 1000 } },
    });
    try {
      const started = Date.now();
      expect((await waitForFinalRow(api.tasks, taskId)).status).toBe(TaskStatus.Completed);
      // The bound: minAgeMs + intervalMs after the commit, plus the run itself and slack for a loaded machine.
      expect(Date.now() - started).toBeLessThan(1000 + 250 + 4000);
      expect(worker.tasks.getReconcilerStats().jobsRecreated).toBe(1);
    } finally {
      await worker.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackgroundTask, InvalidTasksOptionsError, TaskErrorType, TaskStatus } from '../../src/tasks/index.js';
import { TaskStateWriter } from '../../src/tasks/store/task-state.writer.js';
import { countMismatches, seedTasks } from '../support/task-rows.js';
import { createTestApp, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/**
 * Params and results that together outweigh MariaDB's `max_allowed_packet` (16 MiB here): a
 * statement over it is refused and its connection dropped, which looked like an outage, so
 * such a batch was never written (a task whose 20 MB result could not be written stayed pending).
 */
describe('params and results heavier than one MySQL packet (MariaDB + Redis)', () => {
  let t: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'large_values', providers: [TestTasks], tasks: { maxParamsBytes: 200_000 } });
    fixtures = t.app.get(TestTasks);
    const [{ packet }] = await t.dataSource.query('SELECT @@max_allowed_packet AS packet');
    expect(Number(packet)).toBeLessThan(20 * 1024 * 1024);
  });
  afterAll(() => t.close());

  const rows = (taskIds: string[]) => t.dataSource.getRepository(BackgroundTask).find({ where: taskIds.map((taskId) => ({ taskId })) });

  it('fails a result over maxResultBytes at once and alone, without retries; the tasks beside it complete', async () => {
    const big = await t.tasks.enqueue({ taskName: 'test.big_result', params: { bytes: 2_000_000 }, maxRetries: 3 });
    const small = await Promise.all(Array.from({ length: 30 }, () => t.tasks.enqueue({ taskName: 'test.big_result', params: { bytes: 1000 } })));
    const row = await waitForFinalRow(t.tasks, big.taskId);
    expect(row).toMatchObject({ status: TaskStatus.Failed, errorType: TaskErrorType.Validation, retryCount: 0, result: null });
    expect(row.errorMessage).toMatch(/^The handler's result is 20000\d\d bytes of JSON; the limit is 1048576 \(maxResultBytes\)$/);
    expect(fixtures.callsOf(big.taskId)).toHaveLength(1);
    for (const { taskId } of small) expect((await waitForFinalRow(t.tasks, taskId)).status).toBe(TaskStatus.Completed);
  });

  it('writes completions submitted together whose results outweigh one packet (40 x 500 KB)', async () => {
    const taskIds = await seedTasks(t, Array.from({ length: 40 }, () => ({ status: TaskStatus.Running, startedAt: new Date() })));
    const writer = t.app.get(TaskStateWriter);
    // A result of its own per task: the same value for every row would be written once.
    const resultOf = (taskId: string) => ({ taskId, text: 'x'.repeat(500_000) });
    const size = JSON.stringify(resultOf(taskIds[0])).length;
    expect(await Promise.all(taskIds.map((taskId) => writer.complete(taskId, resultOf(taskId), undefined, undefined, size)))).toEqual(taskIds.map(() => true));
    const written = await rows(taskIds);
    expect(written.map((row) => [row.status, (row.result as { text: string }).text.length])).toEqual(taskIds.map(() => [TaskStatus.Completed, 500_000]));
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it("fails a chord's group whose members' results together outweigh one packet (20 x 900 KB); its callback never runs", async () => {
    const members = Array.from({ length: 20 }, () => ({ taskName: 'test.big_result', params: { bytes: 900_000 } }));
    const { workflowId, nodes } = await t.tasks.chord(members, { taskName: 'test.record' });
    const workflow = await waitForFinalRow(t.tasks, workflowId);
    expect(workflow).toMatchObject({ status: TaskStatus.Failed, errorType: TaskErrorType.Validation });
    expect(workflow.errorMessage).toMatch(/members' results together are 180\d{5} characters of JSON; a group's result holds at most 524288$/);
    const callback = nodes.find((node) => node.taskName === 'test.record')!;
    expect((await t.tasks.getTaskStatus(callback.taskId)).status).toBe(TaskStatus.Cancelled);
    expect(fixtures.callsOf(callback.taskId)).toEqual([]);
  });

  it("inserts tasks whose params outweigh one packet: a workflow of 100 steps, and 100 enqueues in the caller's transaction", async () => {
    await t.queue('test').pause();
    try {
      const params = { blob: 'x'.repeat(190_000) };
      const { nodes } = await t.tasks.chain(Array.from({ length: 100 }, () => ({ taskName: 'test.record', params })));
      const stepIds = nodes.filter((node) => node.taskName === 'test.record').map((node) => node.taskId);
      expect(stepIds).toHaveLength(100);
      const steps = await rows(stepIds);
      expect(steps.map((row) => [row.status, (row.params as { blob: string }).blob.length])).toEqual(stepIds.map(() => [TaskStatus.Pending, 190_000]));

      const outcomes = await t.dataSource.transaction((manager) => t.tasks.enqueueMany(Array.from({ length: 100 }, () => ({ taskName: 'test.record', params })), { manager }));
      const taskIds = outcomes.map((outcome) => outcome.task!.taskId);
      expect((await rows(taskIds)).map((row) => row.status)).toEqual(taskIds.map(() => TaskStatus.Pending));
      expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
    } finally {
      await t.queue('test').resume();
    }
  });

  it("refuses to start when maxParamsBytes or maxResultBytes admits a value over a third of the server's max_allowed_packet", async () => {
    const [{ packet }] = await t.dataSource.query('SELECT @@max_allowed_packet AS packet');
    const third = Math.floor(Number(packet) / 3);
    const started = createTestApp({ suite: 'large_values_limits', tasks: { maxResultBytes: third + 1, maxParamsBytes: third + 1 } });
    await expect(started).rejects.toBeInstanceOf(InvalidTasksOptionsError);
    await expect(started).rejects.toThrow(
      `Invalid TasksModule options: maxParamsBytes (${third + 1}) is over a third of MySQL's max_allowed_packet (${packet} bytes): ` +
        'a value that large could never be written (MySQL drops the connection of a larger statement). ' +
        `Set maxParamsBytes to at most ${third}, or raise max_allowed_packet on the server. maxResultBytes (${third + 1}) is over a third`,
    );
    // At the limit it starts.
    const atLimit = await createTestApp({ suite: 'large_values_limits', tasks: { maxResultBytes: third, maxParamsBytes: third } });
    await atLimit.close();
  });
});

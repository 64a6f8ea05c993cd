import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RetractedTasks } from '../src/tasks/commands/retracted-tasks.js';
import { TasksUnavailableError, TaskStatus } from '../src/tasks/index.js';
import { AnswerDroppingProxy } from './support/answer-dropping-proxy.js';
import { createTestApp, MYSQL_SERVER_URL, waitFor, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

/** The reconciler's min age here: the window in which a retracted row may still be deleted. */
const MIN_AGE_MS = 1500;

/**
 * An enqueue whose INSERT commits while MySQL's answer is lost (the connection closes between the
 * COMMIT and the reply, as when MySQL is killed then): its caller is told 503, so its row must
 * not run. The app talks to MariaDB through a proxy that drops that one answer; MySQL itself
 * runs and commits the statement for real.
 */
describe('tasks refused with their rows written (lost answers, MariaDB + Redis)', () => {
  let proxy: AnswerDroppingProxy;
  let t: TestApp;

  beforeAll(async () => {
    proxy = await AnswerDroppingProxy.start(MYSQL_SERVER_URL);
    // The reconciler runs when the test asks, taking rows MIN_AGE_MS old.
    const tasks = { reconciler: { intervalMs: 0, minAgeMs: MIN_AGE_MS } };
    t = await createTestApp({ suite: 'retracted', providers: [TestTasks], mysqlServerUrl: proxy.url, tasks });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  const rowsNamed = async (label: string): Promise<Array<{ task_id: string; status: string }>> =>
    t.dataSource.query(`SELECT task_id, status FROM background_tasks WHERE JSON_VALUE(params, '$.label') = ?`, [label]);

  /**
   * Enqueues with the INSERT's answer dropped once `label`'s row is committed (`alter` runs on it
   * then, before the client loses the connection); returns what the caller was told and the row's id.
   */
  async function enqueueLosingTheAnswer(label: string, extra: Record<string, unknown> = {}, alter?: (taskId: string) => Promise<void>) {
    let committed = '';
    const dropped = proxy.dropAnswerTo('INSERT INTO background_tasks', async () => {
      committed = (await waitFor(async () => (await rowsNamed(label))[0], `the row of ${label} to be committed`)).task_id;
      await alter?.(committed);
    });
    const outcome = await t.tasks.enqueue({ taskName: 'test.record', params: { label }, ...extra }).then((task) => task, (error: unknown) => error);
    await dropped;
    return { outcome, committed };
  }

  it('tells the caller 503 and deletes the row written all the same: the task never runs, the reconciler finds nothing', async () => {
    const { outcome, committed } = await enqueueLosingTheAnswer('lost-answer');
    expect(outcome).toBeInstanceOf(TasksUnavailableError);
    await waitFor(async () => (await rowsNamed('lost-answer')).length === 0, 'the retracted row to be deleted', 5000);
    await sleep(MIN_AGE_MS + 200);
    await t.tasks.reconcileNow();
    expect(await t.queue('test').getJob(committed)).toBeUndefined();
    expect(t.app.get(TestTasks).callsOf(committed)).toEqual([]);
    // The counts lost the row with it.
    expect(await t.tasks.getTaskCount({ taskType: 'test' })).toBe(0);
  });

  it.each([
    ['an idempotency key', { idempotencyKey: 'retracted-suite-key' }],
    ['a singleton key', { singletonKey: 'retracted-suite-singleton' }],
  ])('keeps the row of a task with %s (another request may be answered with it), gives it its job at once, and a retry gets it', async (_, key) => {
    const label = `keyed-${Object.keys(key)[0]}`;
    const { outcome, committed } = await enqueueLosingTheAnswer(label, key);
    expect(outcome).toBeInstanceOf(TasksUnavailableError);
    // Not left for the reconciler (which would wait MIN_AGE_MS and is not run here): it runs.
    expect((await t.tasks.waitForTask(committed, { timeoutMs: 10_000 })).status).toBe(TaskStatus.Completed);
    const retry = await t.tasks.enqueue({ taskName: 'test.record', params: { label }, ...key });
    if ('idempotencyKey' in key) expect({ taskId: retry.taskId, created: retry.created }).toEqual({ taskId: committed, created: false });
    expect(t.app.get(TestTasks).callsOf(committed)).toHaveLength(1);
    expect(await rowsNamed(label)).toContainEqual({ task_id: committed, status: TaskStatus.Completed });
  });

  it('leaves a row as old as the reconciler\'s min age (it may be queued already) and stops watching it', async () => {
    const backdate = (taskId: string) => t.dataSource.query(`UPDATE background_tasks SET created_at = NOW(3) - INTERVAL 1 HOUR WHERE task_id = ?`, [taskId]);
    const retracted = t.app.get(RetractedTasks);
    await waitFor(() => retracted.watching === 0, 'the earlier tests\' watches to end', 5000);
    const { outcome, committed } = await enqueueLosingTheAnswer('old-row', {}, backdate);
    expect(outcome).toBeInstanceOf(TasksUnavailableError);
    expect(retracted.watching).toBe(1);
    await waitFor(() => retracted.watching === 0, 'the retraction to expire', 5000);
    expect(await rowsNamed('old-row')).toEqual([{ task_id: committed, status: TaskStatus.Pending }]);
    await t.tasks.reconcileNow();
    expect((await t.tasks.waitForTask(committed, { timeoutMs: 10_000 })).status).toBe(TaskStatus.Completed);
  });

  it('deletes every row of a workflow whose INSERT committed unanswered', async () => {
    let rows: Array<{ task_id: string }> = [];
    const dropped = proxy.dropAnswerTo('INSERT INTO background_tasks', async () => {
      rows = await waitFor(async () => {
        const found: Array<{ task_id: string }> = await t.dataSource.query(`SELECT task_id FROM background_tasks WHERE workflow_id IS NOT NULL OR task_type = 'workflow'`);
        return found.length === 3 && found;
      }, 'the workflow\'s rows to be committed');
    });
    const outcome = await t.tasks.chain([{ taskName: 'test.record', params: { label: 'step-1' } }, { taskName: 'test.record', params: { label: 'step-2' } }]).catch((error: unknown) => error);
    await dropped;
    expect(outcome).toBeInstanceOf(TasksUnavailableError);
    expect(rows).toHaveLength(3);
    await waitFor(async () => (await t.dataSource.query(`SELECT 1 FROM background_tasks WHERE task_id IN (?)`, [rows.map((row) => row.task_id)])).length === 0, 'the workflow\'s rows to be deleted', 5000);
  });
});

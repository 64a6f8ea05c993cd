import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { TASK_ERROR_TYPES, TaskStatus, type TaskFilter } from '../src/tasks/index.js';
import { TaskRepository } from '../src/tasks/store/task.repository.js';
import { bucketStart, type StatsGrain } from '../src/tasks/store/task-stats.js';
import { TaskStatsRepository, type StatsWindow } from '../src/tasks/store/task-stats.repository.js';
import { createTestApp, type TestApp } from './support/test-app.js';

interface Plan {
  select_type: string;
  table: string;
  type: string;
  key: string | null;
  key_len: string | null;
  ref: string | null;
  rows: number;
  Extra: string | null;
}

const TYPES = ['email', 'report', 'analytics', 'cleanup'];
const STATUSES = Object.values(TaskStatus);

/** Every filter of the list and count routes: none, each alone, each pair, all three, and a workflow. */
function filters(workflowId: string): TaskFilter[] {
  const status = TaskStatus.Failed;
  const taskType = 'email';
  const errorType = TASK_ERROR_TYPES[0];
  return [
    {}, { status }, { taskType }, { errorType }, { workflowId },
    { status, taskType }, { status, errorType }, { taskType, errorType }, { status, taskType, errorType }, { workflowId, status },
  ];
}

/** The reads stay on indexes (EXPLAIN, on MariaDB, over a table big enough for the optimizer to care). */
describe('indexes under every list filter and the seed monitoring queries (EXPLAIN)', () => {
  let t: TestApp;
  let workflowId: string;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'indexes' });
    workflowId = randomUUID();
    // Big enough that the optimizer weighs an index against a scan as it would in production.
    const rows = Array.from({ length: 50_000 }, (_, i) => {
      const status = STATUSES[i % STATUSES.length];
      const errorType = status === TaskStatus.Failed ? TASK_ERROR_TYPES[i % TASK_ERROR_TYPES.length] : null;
      return [randomUUID(), `seeded.${i % 7}`, TYPES[i % 4], status, '{}', new Date(Date.UTC(2024, 0, 1) + i * 1000), errorType, i % 500 === 0 ? workflowId : null];
    });
    for (let i = 0; i < rows.length; i += 10_000) {
      await t.dataSource.query('INSERT INTO background_tasks (task_id, task_name, task_type, status, params, created_at, error_type, workflow_id) VALUES ?', [rows.slice(i, i + 10_000)]);
    }
    await t.tasks.recountTasks();
    await t.dataSource.query('ANALYZE TABLE background_tasks');
  });
  afterAll(() => t?.close());

  const explain = async (sql: string, parameters: unknown[] = []): Promise<Plan[]> => t.dataSource.query(`EXPLAIN ${sql}`, parameters);

  it('lists every filter on an index, newest first without a sort, first pages and cursor pages alike', async () => {
    const repository = t.app.get(TaskRepository);
    const after = { createdAt: new Date(Date.UTC(2024, 0, 1, 6)), id: 21_600 };
    for (const filter of filters(workflowId)) {
      for (const page of [{ limit: 100, offset: 0 }, { limit: 100, offset: 0, after }]) {
        const [sql, parameters] = repository.listPageStatement(filter, page);
        const [plan] = await explain(sql, parameters);
        const seen = { filter, cursor: !!page.after, type: plan.type, key: plan.key, sorts: /filesort/i.test(plan.Extra ?? '') };
        expect(seen).toEqual({ filter, cursor: !!page.after, type: expect.not.stringMatching(/^ALL$/), key: expect.stringMatching(/^idx_/), sorts: false });
      }
    }
  });

  it('reads an offset page\'s ids from an index without a sort, then its rows by primary key, under every filter', async () => {
    const repository = t.app.get(TaskRepository);
    for (const filter of filters(workflowId)) {
      const [sql, parameters] = repository.listPageStatement(filter, { limit: 100, offset: 5000 });
      const plan = await explain(sql, parameters);
      const ids = plan.find((step) => step.select_type === 'DERIVED');
      const rows = plan.find((step) => step.table === 'background_tasks' && step.select_type !== 'DERIVED');
      const seen = { filter, idsKey: ids?.key, idsSort: /filesort/i.test(ids?.Extra ?? ''), rowsBy: rows?.type, rowsKey: rows?.key };
      expect(seen).toEqual({ filter, idsKey: expect.stringMatching(/^idx_/), idsSort: false, rowsBy: 'eq_ref', rowsKey: 'PRIMARY' });
    }
  });

  it('walks a failure class and a status on both columns of idx_error_type_status_created (the status as error_status)', async () => {
    const [sql, parameters] = t.app.get(TaskRepository).listPageStatement({ status: TaskStatus.Failed, errorType: TASK_ERROR_TYPES[0] }, { limit: 100, offset: 0 });
    const [plan] = await explain(sql, parameters);
    expect({ key: plan.key, ref: plan.ref }).toEqual({ key: 'idx_error_type_status_created', ref: 'const,const' });
  });

  it('counts from the counter table, whatever the filter (a workflow on its index)', async () => {
    for (const status of [undefined, TaskStatus.Pending]) {
      const [plan] = await explain('SELECT SUM(count) AS total FROM background_task_counts' + (status ? ' WHERE status = ?' : ''), status ? [status] : []);
      expect(plan.table).toBe('background_task_counts');
    }
    const [plan] = await explain('SELECT COUNT(*) AS total FROM background_tasks WHERE workflow_id = ?', [workflowId]);
    expect(plan).toMatchObject({ key: 'idx_workflow_created' });
  });

  it('reads the stats summary along its primary key, whole coarser buckets and edges alike', async () => {
    // Ten days of hour and day rows and six hours of minute rows, 20 keys each.
    const now = Date.now();
    const keys = Array.from({ length: 20 }, (_, i) => [TYPES[i % 4], `seeded.${i % 5}`, i % 2 === 0 ? 'completed' : 'failed']);
    const rowsOf = (grain: StatsGrain, count: number, stepMs: number) =>
      Array.from({ length: count }, (_, i) => bucketStart(new Date(now - i * stepMs), grain)).flatMap((start) =>
        keys.map(([type, name, status]) => [grain, start, type, name, status, '', 0, 1, 10]));
    const rows = [...rowsOf('m', 360, 60_000), ...rowsOf('h', 240, 3_600_000), ...rowsOf('d', 10, 86_400_000)];
    for (let i = 0; i < rows.length; i += 5000) {
      await t.dataSource.query(
        'INSERT INTO background_task_stats (grain, bucket_start, task_type, task_name, status, error_type, duration_bucket, finished, duration_ms) VALUES ?',
        [rows.slice(i, i + 5000)],
      );
    }
    await t.dataSource.query('ANALYZE TABLE background_task_stats');
    const repository = t.app.get(TaskStatsRepository);
    // The route's windows and grains (TaskStatsQuery), alone and filtered.
    const windows: Array<[number, StatsGrain]> = [[3_600_000, 'm'], [6 * 3_600_000, 'm'], [86_400_000, 'h'], [7 * 86_400_000, 'h'], [30 * 86_400_000, 'd']];
    for (const [windowMs, grain] of windows) {
      for (const filter of [{}, { taskType: 'email' }, { taskName: 'seeded.1' }]) {
        const window: StatsWindow = { from: new Date(now - windowMs), to: new Date(now), grain, ...filter };
        for (const [sql, parameters] of [repository.outcomesStatement(window), repository.seriesStatement(window)]) {
          const [plan] = await explain(sql, parameters);
          // A key length of at least 9 bytes: grain (4) and bucket_start (5), so the range is the
          // window's buckets (a type or name filter may add its column), not all of a grain's rows.
          const usesBucketStart = Number(plan.key_len) >= 9;
          expect({ windowMs, filter, type: plan.type, key: plan.key, usesBucketStart }).toEqual({ windowMs, filter, type: 'range', key: 'PRIMARY', usesBucketStart: true });
        }
      }
    }
  });

  it("runs the seed's SQL monitoring queries on an index", async () => {
    const [byStatus] = await explain('SELECT status, COUNT(*) as count FROM background_tasks GROUP BY status');
    expect({ type: byStatus.type, key: byStatus.key }).toEqual({ type: expect.not.stringMatching(/^ALL$/), key: expect.stringMatching(/^idx_status_/) });
    const [failed] = await explain(
      "SELECT task_id, task_name, error_message, retry_count FROM background_tasks WHERE status = 'failed' ORDER BY created_at DESC LIMIT 10",
    );
    expect({ key: failed.key, sorts: /filesort/i.test(failed.Extra ?? '') }).toEqual({ key: 'idx_status_created', sorts: false });
  });
});

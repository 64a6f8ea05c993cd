import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { TASK_ERROR_TYPES, TaskStatus, type TaskFilter } from '../src/tasks/index.js';
import { TaskRepository } from '../src/tasks/store/task.repository.js';
import { createTestApp, type TestApp } from './support/test-app.js';

interface Plan {
  table: string;
  type: string;
  key: string | null;
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

  it("runs the seed's SQL monitoring queries on an index", async () => {
    const [byStatus] = await explain('SELECT status, COUNT(*) as count FROM background_tasks GROUP BY status');
    expect({ type: byStatus.type, key: byStatus.key }).toEqual({ type: expect.not.stringMatching(/^ALL$/), key: expect.stringMatching(/^idx_status_/) });
    const [failed] = await explain(
      "SELECT task_id, task_name, error_message, retry_count FROM background_tasks WHERE status = 'failed' ORDER BY created_at DESC LIMIT 10",
    );
    expect({ key: failed.key, sorts: /filesort/i.test(failed.Extra ?? '') }).toEqual({ key: 'idx_status_created', sorts: false });
  });
});

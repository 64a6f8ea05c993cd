import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackgroundTask, isFinalStatus, TaskStatus } from '../src/tasks/index.js';
import { seedTasks } from './support/task-rows.js';
import { createTestApp, type TestApp } from './support/test-app.js';

interface SeededRow {
  taskId: string;
  taskType: string;
  status: TaskStatus;
  createdAt: Date;
}

const TYPES = ['email', 'report', 'analytics', 'cleanup'];
const STATUSES = Object.values(TaskStatus);

/**
 * 60 rows over every type and status, one second apart (two share a timestamp, to show the
 * tie-break), written as rows so the suite controls every column. No worker touches them:
 * their names have no handler.
 */
async function seedRows(t: TestApp): Promise<SeededRow[]> {
  const base = Date.UTC(2024, 0, 15, 10, 0, 0);
  const rows: SeededRow[] = Array.from({ length: 60 }, (_, i) => ({
    taskId: randomUUID(),
    taskType: TYPES[i % TYPES.length],
    status: STATUSES[(i * 7) % STATUSES.length],
    createdAt: new Date(base + Math.min(i, 58) * 1000),
  }));
  await seedTasks(t, rows.map((row) => ({
    taskId: row.taskId,
    taskName: `seeded.${row.taskType}`,
    taskType: row.taskType,
    status: row.status,
    errorMessage: row.status === TaskStatus.Failed ? 'boom' : null,
    retryCount: row.status === TaskStatus.Failed ? 3 : 0,
    createdAt: row.createdAt,
    startedAt: row.status === TaskStatus.Pending ? null : new Date(row.createdAt.getTime() + 100),
    completedAt: isFinalStatus(row.status) ? new Date(row.createdAt.getTime() + 900) : null,
  })));
  return rows;
}

/** Newest first; rows created in the same millisecond come in reverse insertion order. */
const newestFirst = (rows: SeededRow[]) => rows.map((row, index) => ({ row, index }))
  .sort((a, b) => b.row.createdAt.getTime() - a.row.createdAt.getTime() || b.index - a.index)
  .map(({ row }) => row.taskId);

describe('listing and counting (MariaDB)', () => {
  let t: TestApp;
  let rows: SeededRow[];

  beforeAll(async () => {
    t = await createTestApp({ suite: 'list' });
    rows = await seedRows(t);
  });
  afterAll(() => t.close());

  it('lists every task newest first with total_count, limit and offset (defaults 100 and 0)', async () => {
    const { body } = await t.http().get('/api/tasks/').expect(200);
    expect(body.total_count).toBe(60);
    expect(body.limit).toBe(100);
    expect(body.offset).toBe(0);
    expect(body.tasks.map((task: { task_id: string }) => task.task_id)).toEqual(newestFirst(rows));
    expect(Object.keys(body.tasks[0]).sort()).toEqual([
      'blocked', 'completed_at', 'created_at', 'error_message', 'error_type', 'expires_at', 'idempotency_key', 'input', 'max_retries', 'params',
      'parent_id', 'position', 'priority', 'progress', 'progress_message', 'result', 'retry_count', 'run_at', 'singleton_key', 'started_at', 'status',
      'task_id', 'task_name', 'task_type', 'timeout_seconds', 'workflow_id',
    ]);
  });

  it('lists the same entities as reading each task by id gives (types included)', async () => {
    const page = await t.tasks.listTasks({ limit: 5 });
    for (const listed of page.tasks) {
      const read = await t.tasks.getTaskStatus(listed.taskId);
      expect(listed).toBeInstanceOf(BackgroundTask);
      expect(typeof listed.blocked).toBe('boolean');
      expect(listed.params).toEqual(read.params);
      expect({ ...listed }).toEqual({ ...read });
    }
  });

  it.each(STATUSES)('filters by status %s', async (status) => {
    const { body } = await t.http().get('/api/tasks').query({ status }).expect(200);
    const expected = rows.filter((row) => row.status === status);
    expect(body.total_count).toBe(expected.length);
    expect(body.tasks.map((task: { task_id: string }) => task.task_id)).toEqual(newestFirst(expected));
  });

  it.each(TYPES)('filters by task_type %s', async (taskType) => {
    const { body } = await t.http().get('/api/tasks').query({ task_type: taskType }).expect(200);
    const expected = rows.filter((row) => row.taskType === taskType);
    expect(body.total_count).toBe(expected.length);
    expect(body.tasks.map((task: { task_id: string }) => task.task_id)).toEqual(newestFirst(expected));
  });

  it('combines status and task_type filters', async () => {
    for (const status of STATUSES) {
      for (const taskType of TYPES) {
        const { body } = await t.http().get('/api/tasks').query({ status, task_type: taskType }).expect(200);
        const expected = rows.filter((row) => row.status === status && row.taskType === taskType);
        expect(body.total_count).toBe(expected.length);
        expect(body.tasks.map((task: { task_id: string }) => task.task_id)).toEqual(newestFirst(expected));
      }
    }
  });

  it('pages with limit and offset: pages are disjoint and cover the list in order', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 60; offset += 7) {
      const { body } = await t.http().get('/api/tasks').query({ limit: 7, offset }).expect(200);
      expect(body.total_count).toBe(60);
      expect(body.limit).toBe(7);
      expect(body.offset).toBe(offset);
      seen.push(...body.tasks.map((task: { task_id: string }) => task.task_id));
    }
    expect(seen).toEqual(newestFirst(rows));
    const past = await t.http().get('/api/tasks').query({ offset: 60 }).expect(200);
    expect(past.body).toMatchObject({ tasks: [], total_count: 60 });
  });

  it('walks every page with next_cursor (keyset), alone and with a filter, ending with null', async () => {
    for (const query of [{}, { status: 'completed' }, { task_type: 'email', status: 'pending' }]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const { body } = await t.http().get('/api/tasks').query({ ...query, limit: 7, ...(cursor ? { cursor } : {}) }).expect(200);
        seen.push(...body.tasks.map((task: { task_id: string }) => task.task_id));
        cursor = body.next_cursor ?? undefined;
        pages++;
        expect(pages).toBeLessThan(20);
      } while (cursor);
      const expected = rows.filter(
        (row) => (!('status' in query) || row.status === query.status) && (!('task_type' in query) || row.taskType === query.task_type),
      );
      expect(seen).toEqual(newestFirst(expected));
    }
  });

  it('refuses a cursor it did not make, and a cursor with an offset', async () => {
    const bad = await t.http().get('/api/tasks').query({ cursor: 'not-a-cursor' }).expect(400);
    expect(bad.body.message).toEqual(['cursor is not a cursor returned by this API']);
    const { body } = await t.http().get('/api/tasks').query({ limit: 5 }).expect(200);
    const both = await t.http().get('/api/tasks').query({ cursor: body.next_cursor, offset: 5 }).expect(400);
    expect(both.body.message).toEqual(['cursor and offset cannot be combined']);
  });

  it('accepts limit 1 and 1000 and refuses 0, 1001 and a negative offset', async () => {
    expect((await t.http().get('/api/tasks?limit=1').expect(200)).body.tasks).toHaveLength(1);
    expect((await t.http().get('/api/tasks?limit=1000').expect(200)).body.tasks).toHaveLength(60);
    for (const query of ['limit=0', 'limit=1001', 'offset=-1', 'limit=ten', 'offset=1.5']) {
      const { body } = await t.http().get(`/api/tasks?${query}`).expect(400);
      expect(body.message.join(' ')).toMatch(/limit|offset/);
    }
  });

  it('counts by each filter, as in the seed: { count, status, task_type } (plus error_type)', async () => {
    expect((await t.http().get('/api/tasks/count/all').expect(200)).body).toEqual({ count: 60, status: null, task_type: null, error_type: null });
    const { body } = await t.http().get('/api/tasks/count/all').query({ status: 'pending', task_type: 'email' }).expect(200);
    const expected = rows.filter((row) => row.status === TaskStatus.Pending && row.taskType === 'email').length;
    expect(body).toEqual({ count: expected, status: 'pending', task_type: 'email', error_type: null });
    for (const status of STATUSES) {
      expect(await t.tasks.getTaskCount({ status })).toBe(rows.filter((row) => row.status === status).length);
    }
  });

  it("runs the seed's monitoring queries unchanged, and they agree with the API", async () => {
    const byStatus: { status: string; count: string }[] = await t.dataSource.query(`
      SELECT status, COUNT(*) as count
      FROM background_tasks
      GROUP BY status;`);
    for (const { status, count } of byStatus) {
      const api = await t.http().get('/api/tasks/count/all').query({ status }).expect(200);
      expect(api.body.count).toBe(Number(count));
    }
    expect(byStatus.reduce((sum, row) => sum + Number(row.count), 0)).toBe(60);

    const failed: { task_id: string; error_message: string; retry_count: number }[] = await t.dataSource.query(`
      SELECT task_id, task_name, error_message, retry_count
      FROM background_tasks
      WHERE status = 'failed'
      ORDER BY created_at DESC
      LIMIT 10;`);
    const apiFailed = await t.http().get('/api/tasks').query({ status: 'failed', limit: 10 }).expect(200);
    expect(failed.map((row) => row.task_id)).toEqual(apiFailed.body.tasks.map((task: { task_id: string }) => task.task_id));
    expect(failed.every((row) => row.error_message === 'boom' && row.retry_count === 3)).toBe(true);

    const longRunning: { task_id: string; duration_seconds: string }[] = await t.dataSource.query(`
      SELECT task_id, task_name,
             TIMESTAMPDIFF(SECOND, started_at, NOW()) as duration_seconds
      FROM background_tasks
      WHERE status = 'running'
        AND started_at IS NOT NULL
      ORDER BY duration_seconds DESC;`);
    expect(longRunning).toHaveLength((await t.http().get('/api/tasks/count/all?status=running')).body.count);
    expect(longRunning.every((row) => Number(row.duration_seconds) > 0)).toBe(true);

    const [rate] = await t.dataSource.query(`
      SELECT
          COUNT(*) as total_tasks,
          SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) as completed,
          SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) as failed,
          ROUND(SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) * 100.0 / COUNT(*), 2) as success_rate
      FROM background_tasks;`);
    const completed = (await t.http().get('/api/tasks/count/all?status=completed')).body.count;
    expect(Number(rate.total_tasks)).toBe(60);
    expect(Number(rate.completed)).toBe(completed);
    expect(Number(rate.failed)).toBe((await t.http().get('/api/tasks/count/all?status=failed')).body.count);
    expect(Number(rate.success_rate)).toBeCloseTo((completed * 100) / 60, 2);
  });

  it('reads one task by id with the seed response shape', async () => {
    const failed = rows.find((row) => row.status === TaskStatus.Failed)!;
    const { body } = await t.http().get(`/api/tasks/${failed.taskId}`).expect(200);
    expect(body).toEqual({
      task_id: failed.taskId,
      task_name: `seeded.${failed.taskType}`,
      task_type: failed.taskType,
      priority: 5,
      status: 'failed',
      params: {},
      result: null,
      error_message: 'boom',
      retry_count: 3,
      max_retries: 3,
      created_at: failed.createdAt.toISOString(),
      started_at: new Date(failed.createdAt.getTime() + 100).toISOString(),
      completed_at: new Date(failed.createdAt.getTime() + 900).toISOString(),
      progress: null,
      progress_message: null,
      error_type: null,
      run_at: null,
      timeout_seconds: null,
      expires_at: null,
      idempotency_key: null,
      singleton_key: null,
      // Workflow fields: a plain task is in none.
      workflow_id: null,
      parent_id: null,
      position: null,
      blocked: false,
      input: null,
    });
  });
});

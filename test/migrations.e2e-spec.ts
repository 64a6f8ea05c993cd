import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { tasksDataSourceOptions } from '../migrations/data-source.js';
import { dropDatabase, ensureDatabase } from '../src/config/ensure-database.js';
import { countMismatches } from './support/task-rows.js';
import { MYSQL_SERVER_URL, uniqueSuiteId } from './support/test-app.js';

describe('migrations (MariaDB)', () => {
  const databaseUrl = `${MYSQL_SERVER_URL}/tasks_test_${uniqueSuiteId('migrations')}`;
  let dataSource: DataSource;

  beforeAll(async () => {
    await ensureDatabase(databaseUrl);
    dataSource = await new DataSource(tasksDataSourceOptions(databaseUrl)).initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(databaseUrl);
  });

  const tableExists = async () =>
    (await dataSource.query(`SHOW TABLES LIKE 'background_tasks'`)).length === 1;

  const indexes = async () => {
    const rows: { INDEX_NAME: string; COLUMN_NAME: string; NON_UNIQUE: number | string }[] = await dataSource.query(
      `SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    );
    const byName: Record<string, string[]> = {};
    for (const row of rows) (byName[row.INDEX_NAME] ??= []).push(row.COLUMN_NAME);
    return byName;
  };

  const countsExist = async () => (await dataSource.query(`SHOW TABLES LIKE 'background_task_counts'`)).length === 1;
  const triggers = async () =>
    ((await dataSource.query(`SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY TRIGGER_NAME`)) as { TRIGGER_NAME: string }[]).map(
      (row) => row.TRIGGER_NAME,
    );

  const FEATURE_COLUMNS = ['error_type', 'idempotency_key', 'progress', 'progress_message', 'run_at', 'timeout_seconds'];
  const featureColumns = async () =>
    ((await dataSource.query(
      `SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks'
       AND COLUMN_NAME IN (?) ORDER BY COLUMN_NAME`,
      [FEATURE_COLUMNS],
    )) as { COLUMN_NAME: string }[]).map((row) => row.COLUMN_NAME);

  const hasColumn = async (name: string) =>
    Number(((await dataSource.query(
      `SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' AND COLUMN_NAME = ?`,
      [name],
    )) as { n: string | number }[])[0].n) === 1;
  const hasCountEpoch = () => hasColumn('count_epoch');
  const countColumns = async () =>
    ((await dataSource.query(
      `SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_task_counts' ORDER BY ORDINAL_POSITION`,
    )) as { COLUMN_NAME: string }[]).map((row) => row.COLUMN_NAME);

  it('goes up, down and up again on an empty database', async () => {
    expect(await tableExists()).toBe(false);
    expect(await dataSource.runMigrations()).toHaveLength(6);
    expect(await tableExists()).toBe(true);
    expect(await countsExist()).toBe(true);
    expect(await triggers()).toEqual(['background_tasks_count_delete', 'background_tasks_count_insert', 'background_tasks_count_update']);
    expect(await featureColumns()).toEqual(FEATURE_COLUMNS);
    expect((await indexes()).idx_idempotency_key).toEqual(['idempotency_key']);

    expect(await countColumns()).toEqual(['task_type', 'status', 'error_type', 'slot', 'count']);

    await dataSource.undoLastMigration();
    expect(await countColumns()).toEqual(['task_type', 'status', 'slot', 'count']);
    expect(await triggers()).toEqual(['background_tasks_count_delete', 'background_tasks_count_insert', 'background_tasks_count_update']);
    await dataSource.undoLastMigration();
    expect((await featureColumns()).length).toBe(FEATURE_COLUMNS.length);
    expect(await hasColumn('attempt_token')).toBe(false);
    await dataSource.undoLastMigration();
    expect(await hasCountEpoch()).toBe(false);
    expect(await triggers()).toEqual(['background_tasks_count_delete', 'background_tasks_count_insert', 'background_tasks_count_update']);
    await dataSource.undoLastMigration();
    expect(await featureColumns()).toEqual([]);
    expect((await indexes()).idx_idempotency_key).toBeUndefined();
    await dataSource.undoLastMigration();
    expect(await countsExist()).toBe(false);
    expect(await triggers()).toEqual([]);
    await dataSource.undoLastMigration();
    expect(await tableExists()).toBe(false);

    expect(await dataSource.runMigrations()).toHaveLength(6);
    expect(await tableExists()).toBe(true);
    expect(await countsExist()).toBe(true);
    expect(await featureColumns()).toEqual(FEATURE_COLUMNS);
  });

  it('keeps the counts exact through inserts, status and failure-class changes and deletes made with plain SQL', async () => {
    const counts = async () =>
      Object.fromEntries(
        ((await dataSource.query(`SELECT task_type, status, error_type, SUM(count) AS n FROM background_task_counts GROUP BY task_type, status, error_type HAVING n <> 0 ORDER BY task_type, status, error_type`)) as {
          task_type: string; status: string; error_type: string; n: string;
        }[]).map((row) => [`${row.task_type}/${row.status}/${row.error_type}`, Number(row.n)]),
      );
    const exact = async () => expect(await countMismatches((sql) => dataSource.query(sql))).toEqual([]);
    for (let i = 0; i < 40; i++) {
      await dataSource.query(`INSERT INTO background_tasks (task_id, task_name, task_type) VALUES (?, 'x', ?)`, [`t${i}`, i % 2 ? 'email' : 'report']);
    }
    await dataSource.query(`UPDATE background_tasks SET status = 'running' WHERE id % 3 = 0`);
    await dataSource.query(`UPDATE background_tasks SET status = 'completed' WHERE status = 'running' AND id % 2 = 0`);
    await dataSource.query(`UPDATE background_tasks SET task_type = 'cleanup' WHERE id % 5 = 0`);
    await dataSource.query(`UPDATE background_tasks SET status = 'failed', error_type = 'network' WHERE status = 'running'`);
    await dataSource.query(`UPDATE background_tasks SET error_type = 'timeout' WHERE id % 4 = 0 AND status = 'failed'`);
    await dataSource.query(`DELETE FROM background_tasks WHERE id % 7 = 0`);
    await exact();
    expect(Object.values(await counts()).reduce((sum, n) => sum + n, 0)).toBe(40 - Math.floor(40 / 7));

    // A change that flips count_epoch is the batch writer's, which counts it itself: the trigger leaves it alone.
    const before = await counts();
    await dataSource.query(`UPDATE background_tasks SET status = 'failed', priority = 99, count_epoch = count_epoch ^ 1 WHERE status = 'pending'`);
    expect(await counts()).toEqual(before);
    await dataSource.query(`UPDATE background_tasks SET status = 'pending', priority = 5, count_epoch = count_epoch ^ 1 WHERE priority = 99`);
    await exact();
  });

  it("creates the seed's columns and indexes plus the listing indexes", async () => {
    const columns: { COLUMN_NAME: string }[] = await dataSource.query(
      `SELECT COLUMN_NAME FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' ORDER BY ORDINAL_POSITION`,
    );
    expect(columns.map((column) => column.COLUMN_NAME)).toEqual([
      'id', 'task_id', 'task_name', 'task_type', 'priority', 'status', 'params', 'result', 'error_message',
      'retry_count', 'max_retries', 'created_at', 'started_at', 'completed_at',
      'progress', 'progress_message', 'error_type', 'run_at', 'timeout_seconds', 'idempotency_key', 'count_epoch',
      'attempt_token',
    ]);
    expect(await indexes()).toEqual({
      PRIMARY: ['id'],
      idx_task_id: ['task_id'],
      idx_status: ['status'],
      idx_priority: ['priority'],
      idx_status_priority: ['status', 'priority'],
      idx_created: ['created_at'],
      idx_status_created: ['status', 'created_at'],
      idx_type_created: ['task_type', 'created_at'],
      idx_type_status_created: ['task_type', 'status', 'created_at'],
      idx_idempotency_key: ['idempotency_key'],
      idx_error_type_created: ['error_type', 'created_at'],
      idx_error_type_status_created: ['error_type', 'status', 'created_at'],
    });
  });

});

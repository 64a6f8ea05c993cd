import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { tasksDataSourceOptions } from '../migrations/data-source.js';
import { dropDatabase, ensureDatabase } from '../src/config/ensure-database.js';
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

  it('goes up, down and up again on an empty database', async () => {
    expect(await tableExists()).toBe(false);
    expect(await dataSource.runMigrations()).toHaveLength(1);
    expect(await tableExists()).toBe(true);

    await dataSource.undoLastMigration();
    expect(await tableExists()).toBe(false);

    expect(await dataSource.runMigrations()).toHaveLength(1);
    expect(await tableExists()).toBe(true);
  });

  it("creates the seed's columns and indexes plus the listing indexes", async () => {
    const columns: { COLUMN_NAME: string }[] = await dataSource.query(
      `SELECT COLUMN_NAME FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' ORDER BY ORDINAL_POSITION`,
    );
    expect(columns.map((column) => column.COLUMN_NAME)).toEqual([
      'id', 'task_id', 'task_name', 'task_type', 'priority', 'status', 'params', 'result', 'error_message',
      'retry_count', 'max_retries', 'created_at', 'started_at', 'completed_at',
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
    });
  });

});

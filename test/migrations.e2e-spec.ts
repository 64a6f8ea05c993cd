import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mysql from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { tasksDataSourceOptions } from '../migrations/data-source.js';
import { TASKS_MIGRATIONS } from '../migrations/index.js';
import { TaskErrorType, TaskStatus } from '../src/tasks/index.js';
import { startPrivateMariaDb, type PrivateMariaDb } from './support/private-services.js';
import { countMismatches, seedTasks } from './support/task-rows.js';
import { uniqueSuiteId } from './support/test-app.js';

/**
 * The migrations as production databases run them: on a MariaDB with binary logging and MySQL
 * 8's sql_mode, as an application user that holds ALL on its own database and nothing else.
 */
describe('migrations (production-configured MariaDB, least-privileged user)', () => {
  let mariadb: PrivateMariaDb;
  let databaseName: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    mariadb = await startPrivateMariaDb();
    databaseName = `tasks_test_${uniqueSuiteId('migrations')}`;
    dataSource = await new DataSource(tasksDataSourceOptions(await mariadb.createAppDatabase(databaseName))).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await mariadb?.destroy();
  });

  const rowsOf = async (sql: string, parameters: unknown[] = []) => (await dataSource.query(sql, parameters)) as Record<string, string>[];
  const tables = async () => (await rowsOf('SHOW TABLES')).map((row) => Object.values(row)[0]).filter((name) => name !== 'migrations').sort();
  const triggers = async () => (await rowsOf('SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()')).map((row) => row.TRIGGER_NAME);
  const columnsOf = async (table: string) =>
    (await rowsOf('SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [table])).map((row) => row.COLUMN_NAME);
  const undoAll = async () => {
    while ((await rowsOf('SELECT id FROM migrations')).length > 0) await dataSource.undoLastMigration();
  };
  /** Undoes the latest migrations down to and including `name`; how many it undid. */
  const undoThrough = async (name: string) => {
    let undone = 0;
    while ((await rowsOf('SELECT id FROM migrations WHERE name = ?', [name])).length > 0) {
      await dataSource.undoLastMigration();
      undone++;
    }
    return undone;
  };
  /** The server's root on this database: what a pre-0.2 migration run with SUPER could leave. */
  const asRoot = async (sql: string) => {
    const root = await mysql.createConnection(`${mariadb.url}/${databaseName}`);
    try {
      await root.query(sql);
    } finally {
      await root.end();
    }
  };

  it('goes up from empty, down and up again, and creates no trigger', async () => {
    expect(await dataSource.runMigrations()).toHaveLength(TASKS_MIGRATIONS.length);
    expect(await tables()).toEqual(['background_task_counts', 'background_task_singletons', 'background_task_stats', 'background_tasks']);
    expect(await triggers()).toEqual([]);
    expect(await columnsOf('background_task_counts')).toEqual(['task_type', 'status', 'error_type', 'slot', 'count']);
    await undoAll();
    expect(await tables()).toEqual([]);
    expect(await dataSource.runMigrations()).toHaveLength(TASKS_MIGRATIONS.length);
    expect(await triggers()).toEqual([]);
  });

  it("creates the seed's columns and indexes plus the listing and feature indexes", async () => {
    expect(await columnsOf('background_tasks')).toEqual([
      'id', 'task_id', 'task_name', 'task_type', 'priority', 'status', 'params', 'result', 'error_message',
      'retry_count', 'max_retries', 'created_at', 'started_at', 'completed_at',
      'progress', 'progress_message', 'error_type', 'run_at', 'timeout_seconds', 'idempotency_key', 'attempt_token',
      'workflow_id', 'parent_id', 'position', 'blocked', 'input', 'error_status', 'expires_at', 'singleton_key',
    ]);
    const indexes: Record<string, string[]> = {};
    for (const row of await rowsOf(
      `SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    )) (indexes[row.INDEX_NAME] ??= []).push(row.COLUMN_NAME);
    expect(indexes).toEqual({
      PRIMARY: ['id'],
      idx_task_id: ['task_id'],
      idx_created: ['created_at'],
      idx_status_created: ['status', 'created_at'],
      idx_type_created: ['task_type', 'created_at'],
      idx_type_status_created: ['task_type', 'status', 'created_at'],
      idx_idempotency_key: ['idempotency_key'],
      idx_error_type_created: ['error_type', 'created_at'],
      idx_error_type_status_created: ['error_type', 'error_status', 'created_at'],
      idx_workflow_created: ['workflow_id', 'created_at'],
    });
  });

  it('runs again after a migration failed half-way, once the cause is fixed', async () => {
    await seedTasks({ dataSource }, [{ taskType: 'email' }, { taskType: 'email', status: TaskStatus.Failed, errorType: TaskErrorType.Network }]);
    // Undo back to before the counter migration 6, then leave what a run that died after its CREATE TABLE leaves.
    const undone = await undoThrough('CountByErrorType1764300000000');
    await dataSource.query('DROP TABLE background_task_counts');
    await dataSource.query('CREATE TABLE background_task_counts (task_type VARCHAR(100) NOT NULL, status VARCHAR(20) NOT NULL, slot TINYINT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (task_type, status, slot))');
    await dataSource.query("INSERT INTO background_task_counts VALUES ('email', 'pending', 0, 99)");
    expect(await dataSource.runMigrations()).toHaveLength(undone);
    expect(await countMismatches((sql) => dataSource.query(sql))).toEqual([]);
  });

  it('finishes migration 12 after a run that died between its ALTERs, and undoes it', async () => {
    const indexColumns = async (name: string) =>
      (await rowsOf('SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? ORDER BY SEQ_IN_INDEX', ['background_tasks', name]))
        .map((row) => row.COLUMN_NAME);
    // Migration 12 and every one after it.
    const fromTwelve = TASKS_MIGRATIONS.length - TASKS_MIGRATIONS.findIndex((migration) => migration.name === 'FewerIndexWrites1764900000000');
    expect(await undoThrough('FewerIndexWrites1764900000000')).toBe(fromTwelve);
    expect(await indexColumns('idx_error_type_status_created')).toEqual(['error_type', 'status', 'created_at']);
    expect(await indexColumns('idx_status_priority')).toEqual(['status', 'priority']);
    expect(await columnsOf('background_tasks')).not.toContain('error_status');
    // What the first ALTER leaves: the virtual column, the indexes as they were.
    await dataSource.query("ALTER TABLE background_tasks ADD COLUMN error_status ENUM('pending', 'running', 'completed', 'failed', 'cancelled') AS (IF(error_type IS NULL, NULL, status)) VIRTUAL");
    expect(await dataSource.runMigrations()).toHaveLength(fromTwelve);
    expect(await indexColumns('idx_error_type_status_created')).toEqual(['error_type', 'error_status', 'created_at']);
    expect({ priority: await indexColumns('idx_priority'), statusPriority: await indexColumns('idx_status_priority') }).toEqual({ priority: [], statusPriority: [] });
  });

  it('fills the stats summary from the rows that finished before it existed, at every resolution', async () => {
    await seedTasks({ dataSource }, [
      { taskType: 'email', status: TaskStatus.Completed, startedAt: new Date(Date.now() - 1500), completedAt: new Date() },
      { taskType: 'email', status: TaskStatus.Completed, startedAt: new Date(Date.now() - 20), completedAt: new Date() },
      { taskType: 'email', status: TaskStatus.Failed, errorType: TaskErrorType.Timeout, startedAt: new Date(Date.now() - 30_000), completedAt: new Date() },
    ]);
    // Back before migration 9 (the later ones go first), then up again.
    const undone = await undoThrough('TaskStats1764600000000');
    expect(await tables()).not.toContain('background_task_stats');
    expect(await dataSource.runMigrations()).toHaveLength(undone);
    const rows = await rowsOf("SELECT grain, status, error_type, SUM(finished) AS n FROM background_task_stats GROUP BY grain, status, error_type ORDER BY grain, status");
    const finished = await rowsOf("SELECT COUNT(*) AS n FROM background_tasks WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at IS NOT NULL");
    expect(rows.filter((row) => row.grain === 'm').reduce((sum, row) => sum + Number(row.n), 0)).toBe(Number(finished[0].n));
    expect(rows.filter((row) => row.grain === 'h').reduce((sum, row) => sum + Number(row.n), 0)).toBe(Number(finished[0].n));
    expect(rows.filter((row) => row.grain === 'd').reduce((sum, row) => sum + Number(row.n), 0)).toBe(Number(finished[0].n));
    expect(Number(finished[0].n)).toBeGreaterThanOrEqual(3);
    expect(rows).toContainEqual(expect.objectContaining({ grain: 'm', status: 'failed', error_type: 'timeout' }));
    // 1.5 s and 20 ms fall in the 1-2.5 s and 10-25 ms buckets.
    const buckets = await rowsOf("SELECT duration_bucket FROM background_task_stats WHERE grain = 'm' AND status = 'completed' ORDER BY duration_bucket");
    expect(buckets.map((row) => Number(row.duration_bucket))).toEqual(expect.arrayContaining([1, 7]));
  });

  it('upgrades a database migrated before 0.2: the counter triggers and count_epoch go, the counts are recounted', async () => {
    // What the earlier migrations 2-6 left, created here as root (they needed SUPER on such a server).
    await asRoot('ALTER TABLE background_tasks ADD COLUMN count_epoch TINYINT UNSIGNED NOT NULL DEFAULT 0');
    await asRoot("CREATE TRIGGER background_tasks_count_insert AFTER INSERT ON background_tasks FOR EACH ROW UPDATE background_task_counts SET count = count + 1 WHERE task_type = NEW.task_type AND slot = 0");
    await asRoot("INSERT INTO background_tasks (task_id, task_name, task_type) VALUES ('old-row', 'seeded', 'report')");
    await dataSource.query("DELETE FROM migrations WHERE name IN ('CountsWithoutTriggers1764400000000', 'ExactIds1764500000000')");
    // The one step of this upgrade that needs the privileged user: dropping its triggers.
    const privileged = await new DataSource(tasksDataSourceOptions(`${mariadb.url}/${databaseName}`)).initialize();
    try {
      expect(await privileged.runMigrations()).toHaveLength(2);
    } finally {
      await privileged.destroy();
    }
    expect(await triggers()).toEqual([]);
    expect(await columnsOf('background_tasks')).not.toContain('count_epoch');
    expect(await countMismatches((sql) => dataSource.query(sql))).toEqual([]);
  });
});

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TASK_COUNT_SLOTS } from '../src/tasks/store/task-counts.js';

/** The counter triggers, keyed by (type, status[, error class]); `withErrorType` picks the version. */
function counterTriggers(withErrorType: boolean): string[] {
  const key = (row: 'NEW' | 'OLD') =>
    withErrorType
      ? { columns: 'task_type, status, error_type, slot', values: `${row}.task_type, ${row}.status, COALESCE(${row}.error_type, ''), CRC32(${row}.task_id) % ${TASK_COUNT_SLOTS}`,
          where: `task_type = ${row}.task_type AND status = ${row}.status AND error_type = COALESCE(${row}.error_type, '') AND slot = CRC32(${row}.task_id) % ${TASK_COUNT_SLOTS}` }
      : { columns: 'task_type, status, slot', values: `${row}.task_type, ${row}.status, CRC32(${row}.task_id) % ${TASK_COUNT_SLOTS}`,
          where: `task_type = ${row}.task_type AND status = ${row}.status AND slot = CRC32(${row}.task_id) % ${TASK_COUNT_SLOTS}` };
  const unchanged = `OLD.status <=> NEW.status AND OLD.task_type <=> NEW.task_type AND OLD.task_id <=> NEW.task_id${
    withErrorType ? ' AND OLD.error_type <=> NEW.error_type' : ''
  }`;
  return [
    `CREATE TRIGGER background_tasks_count_insert AFTER INSERT ON background_tasks FOR EACH ROW
       INSERT INTO background_task_counts (${key('NEW').columns}, count) VALUES (${key('NEW').values}, 1)
       ON DUPLICATE KEY UPDATE count = count + 1`,
    `CREATE TRIGGER background_tasks_count_update AFTER UPDATE ON background_tasks FOR EACH ROW
     BEGIN
       IF @tasks_counts_by_writer IS NULL AND OLD.count_epoch <=> NEW.count_epoch AND NOT (${unchanged}) THEN
         UPDATE background_task_counts SET count = count - 1 WHERE ${key('OLD').where};
         INSERT INTO background_task_counts (${key('NEW').columns}, count) VALUES (${key('NEW').values}, 1)
         ON DUPLICATE KEY UPDATE count = count + 1;
       END IF;
     END`,
    `CREATE TRIGGER background_tasks_count_delete AFTER DELETE ON background_tasks FOR EACH ROW
       UPDATE background_task_counts SET count = count - 1 WHERE ${key('OLD').where}`,
  ];
}

/** Rebuilds `background_task_counts` (with or without the error class) from the rows, and its triggers. */
async function rebuildCounts(queryRunner: QueryRunner, withErrorType: boolean): Promise<void> {
  for (const name of ['insert', 'update', 'delete']) await queryRunner.query(`DROP TRIGGER IF EXISTS background_tasks_count_${name}`);
  await queryRunner.query('DROP TABLE background_task_counts');
  await queryRunner.query(`
    CREATE TABLE background_task_counts (
      task_type VARCHAR(100) NOT NULL,
      status ENUM('pending', 'running', 'completed', 'failed', 'cancelled') NOT NULL,
      ${withErrorType ? "error_type VARCHAR(20) NOT NULL DEFAULT ''," : ''}
      slot TINYINT UNSIGNED NOT NULL,
      count BIGINT NOT NULL DEFAULT 0,
      PRIMARY KEY (task_type, status, ${withErrorType ? 'error_type, ' : ''}slot)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `);
  const errorType = withErrorType ? "COALESCE(error_type, ''), " : '';
  await queryRunner.query(`
    INSERT INTO background_task_counts (task_type, status, ${withErrorType ? 'error_type, ' : ''}slot, count)
    SELECT task_type, status, ${errorType}CRC32(task_id) % ${TASK_COUNT_SLOTS}, COUNT(*) FROM background_tasks
    GROUP BY task_type, status, ${errorType}CRC32(task_id) % ${TASK_COUNT_SLOTS}
  `);
  for (const trigger of counterTriggers(withErrorType)) await queryRunner.query(trigger);
}

/**
 * Counts by failure class too: `background_task_counts` is keyed by (task_type, status,
 * error_type, slot), `''` standing for "no failure", so a count filtered by `error_type`
 * (alone or with status and type) is a sum over a few counter rows like the others, however
 * large the table. Run it while no writer is active: the table is rebuilt from the rows.
 */
export class CountByErrorType1764300000000 implements MigrationInterface {
  name = 'CountByErrorType1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rebuildCounts(queryRunner, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await rebuildCounts(queryRunner, false);
  }
}

import type { QueryRunner } from 'typeorm';
import { TASK_COUNT_SLOTS } from '../src/tasks/store/task-counts.js';

/*
 * The counter table's DDL, shared by the migrations that (re)build it. Since migration 7 no
 * trigger keeps it: the library updates it in the same transaction as each of its writes.
 */

/** The triggers migrations 2-6 created before 0.2. */
const OLD_TRIGGERS = ['background_tasks_count_insert', 'background_tasks_count_update', 'background_tasks_count_delete'];

/**
 * Drops the old counter triggers where they exist. Only then: with binary logging on, even a
 * `DROP TRIGGER IF EXISTS` needs SUPER, which an application user does not have (a database
 * that has them was migrated by a user who had it, and needs that user for this once).
 */
export async function dropCounterTriggers(queryRunner: QueryRunner): Promise<void> {
  const existing: { TRIGGER_NAME: string }[] = await queryRunner.query(
    'SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME IN (?)',
    [OLD_TRIGGERS],
  );
  for (const { TRIGGER_NAME: name } of existing) await queryRunner.query(`DROP TRIGGER ${name}`);
}

/**
 * Drops and creates `background_task_counts` (keyed by failure class too, or not) and fills it
 * from the rows, so that a run interrupted half-way can simply run again.
 */
export async function rebuildCounterTable(queryRunner: QueryRunner, withErrorType: boolean): Promise<void> {
  await queryRunner.query('DROP TABLE IF EXISTS background_task_counts');
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
  await refillCounterTable(queryRunner, withErrorType);
}

/** Counts the rows into `background_task_counts` (emptied first). */
export async function refillCounterTable(queryRunner: QueryRunner, withErrorType = true): Promise<void> {
  const errorType = withErrorType ? "COALESCE(error_type, ''), " : '';
  await queryRunner.query('DELETE FROM background_task_counts');
  await queryRunner.query(`
    INSERT INTO background_task_counts (task_type, status, ${withErrorType ? 'error_type, ' : ''}slot, count)
    SELECT task_type, status, ${errorType}CRC32(task_id) % ${TASK_COUNT_SLOTS}, COUNT(*) FROM background_tasks
    GROUP BY task_type, status, ${errorType}CRC32(task_id) % ${TASK_COUNT_SLOTS}
  `);
}

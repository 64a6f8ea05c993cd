import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Columns of the task features: progress, failure class, delayed start, time limit and
 * idempotency key. All nullable, so existing rows and writers are unaffected.
 *
 * - `idx_idempotency_key` is UNIQUE: MySQL itself refuses a second task with the same key,
 *   across processes and long after Redis forgot the job (NULLs do not collide);
 * - `idx_error_type_created` and `idx_error_type_status_created` serve newest-first listing
 *   filtered by `error_type`, alone or with a status (a type filter on top is a cheap filter
 *   within them: every type has failures). Counting uses the counter table.
 */
export class AddTaskFeatures1764000000000 implements MigrationInterface {
  name = 'AddTaskFeatures1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE background_tasks
        ADD COLUMN progress TINYINT UNSIGNED NULL DEFAULT NULL,
        ADD COLUMN progress_message VARCHAR(500) NULL DEFAULT NULL,
        ADD COLUMN error_type ENUM('timeout', 'network', 'database', 'validation', 'resource', 'unknown') NULL DEFAULT NULL,
        ADD COLUMN run_at TIMESTAMP(3) NULL DEFAULT NULL,
        ADD COLUMN timeout_seconds INT NULL DEFAULT NULL,
        ADD COLUMN idempotency_key VARCHAR(255) NULL DEFAULT NULL,
        ADD UNIQUE INDEX idx_idempotency_key (idempotency_key),
        ADD INDEX idx_error_type_created (error_type, created_at),
        ADD INDEX idx_error_type_status_created (error_type, status, created_at)
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE background_tasks
        DROP INDEX idx_error_type_status_created,
        DROP INDEX idx_error_type_created,
        DROP INDEX idx_idempotency_key,
        DROP COLUMN idempotency_key,
        DROP COLUMN timeout_seconds,
        DROP COLUMN run_at,
        DROP COLUMN error_type,
        DROP COLUMN progress_message,
        DROP COLUMN progress
    `);
  }
}

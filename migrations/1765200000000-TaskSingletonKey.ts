import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `singleton_key` on the task's row, so that reading a task (the API, the dashboard, SQL) shows
 * the key it was enqueued with. Nullable and last, so MySQL 8 and MariaDB add it in place
 * without copying the table (ALGORITHM=INSTANT). No index: which task holds a key is decided in
 * `background_task_singletons` (migration 14); no query filters on this column. Compared byte
 * for byte, as the keys are there (and as `idempotency_key` is, migration 8).
 */
export class TaskSingletonKey1765200000000 implements MigrationInterface {
  name = 'TaskSingletonKey1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE background_tasks ADD COLUMN singleton_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL DEFAULT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE background_tasks DROP COLUMN singleton_key');
  }
}

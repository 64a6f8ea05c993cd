import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `expires_at`: a task not started by then is not started (Celery's `expires`). Nullable and
 * last, so MySQL 8 and MariaDB add it in place without copying the table (ALGORITHM=INSTANT),
 * and existing rows and writers are unaffected. No index: the worker checks the time the job
 * carries when it picks the job up; no query filters on it.
 */
export class TaskExpiry1765000000000 implements MigrationInterface {
  name = 'TaskExpiry1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE background_tasks ADD COLUMN expires_at TIMESTAMP(3) NULL DEFAULT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE background_tasks DROP COLUMN expires_at');
  }
}

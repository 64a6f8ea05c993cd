import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `attempt_token`: a random token each attempt writes when it starts. The attempt's later
 * writes (progress, outcome) apply only while the row still holds its token, so a worker
 * that lost its job's lock (BullMQ handed the job to another worker, which started a new
 * attempt) cannot overwrite the newer attempt's row with a late result or failure.
 */
export class AddAttemptToken1764200000000 implements MigrationInterface {
  name = 'AddAttemptToken1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE background_tasks ADD COLUMN attempt_token CHAR(16) CHARACTER SET ascii NULL DEFAULT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE background_tasks DROP COLUMN attempt_token');
  }
}

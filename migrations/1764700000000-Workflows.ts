import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workflows (chains, groups, chords): every node is a row. `workflow_id` names the root of a
 * member's workflow (NULL for plain tasks and for roots), `parent_id` and `position` its place,
 * `blocked` a step that waits for its predecessors (it has no job yet), `input` what it
 * receives from them (the previous step's result, or a group's results).
 */
export class Workflows1764700000000 implements MigrationInterface {
  name = 'Workflows1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const columns: { COLUMN_NAME: string }[] = await queryRunner.query(
      "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' AND COLUMN_NAME = 'workflow_id'",
    );
    // DDL is not transactional in MySQL: a run that died after this ALTER finds it done.
    if (columns.length > 0) return;
    await queryRunner.query(`
      ALTER TABLE background_tasks
        ADD COLUMN workflow_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL DEFAULT NULL,
        ADD COLUMN parent_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL DEFAULT NULL,
        ADD COLUMN position SMALLINT UNSIGNED NULL DEFAULT NULL,
        ADD COLUMN blocked TINYINT(1) NOT NULL DEFAULT 0,
        ADD COLUMN input JSON NULL DEFAULT NULL,
        ADD INDEX idx_workflow_created (workflow_id, created_at)
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE background_tasks
        DROP INDEX idx_workflow_created,
        DROP COLUMN workflow_id, DROP COLUMN parent_id, DROP COLUMN position, DROP COLUMN blocked, DROP COLUMN input
    `);
  }
}

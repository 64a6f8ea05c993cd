import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Task ids and idempotency keys compare byte for byte: under the table's case- and
 * accent-insensitive collation `Key-X` and `key-x` named one task (and an upper-case task id
 * found a row that cancel then did not match). Binary collation on both columns; their unique
 * indexes are rebuilt with them. Trailing spaces still compare equal in SQL, which is why the
 * module refuses keys that start or end with whitespace.
 */
export class ExactIds1764500000000 implements MigrationInterface {
  name = 'ExactIds1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE background_tasks
        MODIFY task_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        MODIFY idempotency_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL DEFAULT NULL
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE background_tasks
        MODIFY task_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
        MODIFY idempotency_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL DEFAULT NULL
    `);
  }
}

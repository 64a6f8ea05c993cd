import type { MigrationInterface, QueryRunner } from 'typeorm';
import { hasColumn, hasIndex, indexColumns } from './table-facts.js';

const FAILURE_CLASS_INDEX = 'idx_error_type_status_created';

/**
 * Fewer index entries to rewrite when a task changes status (every task does, at least once):
 *
 * - `idx_priority` and `idx_status_priority` go. The seed declared them, but no query of the
 *   module or of the seed reads by priority (BullMQ orders the work); `idx_status_created`
 *   serves every lookup by status.
 * - `idx_error_type_status_created` keeps its name and purpose (newest first by failure class and
 *   status) but holds `error_status`, a virtual column that is the row's status when the row has
 *   a failure class and NULL when it has none. A task that never failed changes status without
 *   touching this index; before, every status change deleted and inserted an entry in it.
 *
 * Adding a virtual column changes no row (instant on MySQL 8 and MariaDB); the index is built
 * online. Processes of the previous version keep working against the new schema (their hint
 * names the same index).
 */
export class FewerIndexWrites1764900000000 implements MigrationInterface {
  name = 'FewerIndexWrites1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await hasColumn(queryRunner, 'error_status'))) {
      await queryRunner.query(
        "ALTER TABLE background_tasks ADD COLUMN error_status ENUM('pending', 'running', 'completed', 'failed', 'cancelled') AS (IF(error_type IS NULL, NULL, status)) VIRTUAL",
      );
    }
    const rebuild = !(await indexColumns(queryRunner, FAILURE_CLASS_INDEX)).includes('error_status');
    const changes = [
      ...(rebuild && (await hasIndex(queryRunner, FAILURE_CLASS_INDEX)) ? [`DROP INDEX ${FAILURE_CLASS_INDEX}`] : []),
      ...(rebuild ? [`ADD INDEX ${FAILURE_CLASS_INDEX} (error_type, error_status, created_at)`] : []),
      ...((await hasIndex(queryRunner, 'idx_priority')) ? ['DROP INDEX idx_priority'] : []),
      ...((await hasIndex(queryRunner, 'idx_status_priority')) ? ['DROP INDEX idx_status_priority'] : []),
    ];
    if (changes.length > 0) await queryRunner.query(`ALTER TABLE background_tasks ${changes.join(', ')}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE background_tasks
        DROP INDEX ${FAILURE_CLASS_INDEX},
        ADD INDEX ${FAILURE_CLASS_INDEX} (error_type, status, created_at),
        ADD INDEX idx_priority (priority),
        ADD INDEX idx_status_priority (status, priority)
    `);
    await queryRunner.query('ALTER TABLE background_tasks DROP COLUMN error_status');
  }
}

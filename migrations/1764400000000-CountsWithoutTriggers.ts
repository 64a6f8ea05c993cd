import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dropCounterTriggers, refillCounterTable } from './counter-table.js';

/**
 * Counts without triggers: creating a trigger needs SUPER (or `log_bin_trust_function_creators`)
 * on every server with binary logging, which production application users do not have. The
 * library keeps `background_task_counts` in the same transaction as each of its writes instead.
 * For databases migrated before 0.2 this drops the old triggers and the `count_epoch` marker
 * column, and recounts the rows. Run it while no writer is active. Safe to run again.
 */
export class CountsWithoutTriggers1764400000000 implements MigrationInterface {
  name = 'CountsWithoutTriggers1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await dropCounterTriggers(queryRunner);
    const [{ n }]: { n: string | number }[] = await queryRunner.query(
      `SELECT COUNT(*) AS n FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'background_tasks' AND COLUMN_NAME = 'count_epoch'`,
    );
    if (Number(n) > 0) await queryRunner.query('ALTER TABLE background_tasks DROP COLUMN count_epoch');
    await refillCounterTable(queryRunner);
  }

  /** Nothing to undo that a least-privileged user could redo: the triggers stay gone. */
  async down(): Promise<void> {}
}

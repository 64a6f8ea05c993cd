import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dropCounterTriggers, rebuildCounterTable } from './counter-table.js';

/**
 * Counts by failure class too: `background_task_counts` is keyed by (task_type, status,
 * error_type, slot), `''` standing for "no failure", so a count filtered by `error_type`
 * (alone or with status and type) is a sum over a few counter rows like the others, however
 * large the table. Run it while no writer is active: the table is rebuilt from the rows (so a
 * run interrupted half-way can run again).
 */
export class CountByErrorType1764300000000 implements MigrationInterface {
  name = 'CountByErrorType1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Databases migrated before 0.2 have counter triggers on the old table shape.
    await dropCounterTriggers(queryRunner);
    await rebuildCounterTable(queryRunner, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await rebuildCounterTable(queryRunner, false);
  }
}

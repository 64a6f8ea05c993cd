import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rebuildCounterTable } from './counter-table.js';

/**
 * Exact task counts by (task_type, status) that do not grow with the table, in 16 slots per
 * pair so that concurrent writers rarely wait for the same counter row. The library keeps them
 * in the same transaction as each of its writes. (Before 0.2 this migration also created
 * triggers, which servers with binary logging refuse without SUPER; migration 7 drops them
 * where they exist.) Safe to run again after a failure: the table is rebuilt from the rows.
 */
export class AddTaskCounts1763900000000 implements MigrationInterface {
  name = 'AddTaskCounts1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rebuildCounterTable(queryRunner, false);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS background_task_counts');
  }
}

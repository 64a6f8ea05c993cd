import type { MigrationInterface, QueryRunner } from 'typeorm';
import { hasIndex } from './table-facts.js';

/**
 * `idx_status` goes: `idx_status_created` (status, created_at) serves every read it served (the
 * seed's `GROUP BY status`, the status filters), and each status change rewrites one index
 * entry fewer. `test/indexes.e2e-spec.ts` EXPLAINs every list filter and the seed's queries.
 */
export class LeanIndexes1764800000000 implements MigrationInterface {
  name = 'LeanIndexes1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A run that died after the DROP finds it done.
    if (await hasIndex(queryRunner, 'idx_status')) await queryRunner.query('ALTER TABLE background_tasks DROP INDEX idx_status');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (!(await hasIndex(queryRunner, 'idx_status'))) await queryRunner.query('ALTER TABLE background_tasks ADD INDEX idx_status (status)');
  }
}

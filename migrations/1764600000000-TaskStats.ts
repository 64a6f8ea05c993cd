import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CREATE_TASK_STATS_TABLE, rebuildStatsStatements, TASK_STATS_TABLE } from '../src/tasks/store/task-stats.js';

/**
 * The outcome summary behind `GET /api/tasks/stats` (see store/task-stats.ts), filled from the
 * finished rows already in the table. Dropped first, so a run that died half-way runs again.
 */
export class TaskStats1764600000000 implements MigrationInterface {
  name = 'TaskStats1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ${TASK_STATS_TABLE}`);
    await queryRunner.query(CREATE_TASK_STATS_TABLE);
    for (const statement of rebuildStatsStatements()) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${TASK_STATS_TABLE}`);
  }
}

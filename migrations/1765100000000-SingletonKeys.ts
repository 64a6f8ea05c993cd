import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CREATE_SINGLETON_KEYS_TABLE, SINGLETON_KEYS_TABLE } from '../src/tasks/store/singleton-keys.js';

/**
 * Singleton keys (at most one unfinished task per key): a table of their own, so that tasks
 * without a key cost no column, index entry or statement. A new, empty table: nothing to copy.
 */
export class SingletonKeys1765100000000 implements MigrationInterface {
  name = 'SingletonKeys1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ${SINGLETON_KEYS_TABLE}`);
    await queryRunner.query(CREATE_SINGLETON_KEYS_TABLE);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${SINGLETON_KEYS_TABLE}`);
  }
}

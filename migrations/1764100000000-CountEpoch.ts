import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TASK_COUNT_SLOTS } from '../src/tasks/store/task-counts.js';

/** The update trigger of AddTaskCounts; `skipWhen` is the condition under which the batch writer counts itself. */
const updateTrigger = (skipWhen: string) => `
  CREATE TRIGGER background_tasks_count_update AFTER UPDATE ON background_tasks FOR EACH ROW
  BEGIN
    IF NOT (${skipWhen})
       AND NOT (OLD.status <=> NEW.status AND OLD.task_type <=> NEW.task_type AND OLD.task_id <=> NEW.task_id) THEN
      UPDATE background_task_counts SET count = count - 1
       WHERE task_type = OLD.task_type AND status = OLD.status AND slot = CRC32(OLD.task_id) % ${TASK_COUNT_SLOTS};
      INSERT INTO background_task_counts (task_type, status, slot, count)
      VALUES (NEW.task_type, NEW.status, CRC32(NEW.task_id) % ${TASK_COUNT_SLOTS}, 1)
      ON DUPLICATE KEY UPDATE count = count + 1;
    END IF;
  END
`;

/**
 * Lets the batch writer tell the update trigger "this change is counted already" without a
 * session variable: its UPDATE flips `count_epoch`, and the trigger skips rows whose epoch
 * changed. That saves the two `SET @tasks_counts_by_writer` round trips of every batch. Any
 * other writer (a handler, plain SQL) leaves the epoch alone and is counted by the trigger as
 * before; the session variable is still honoured, so a writer of the previous version can run
 * beside this one during a rolling deploy.
 */
export class CountEpoch1764100000000 implements MigrationInterface {
  name = 'CountEpoch1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE background_tasks ADD COLUMN count_epoch TINYINT UNSIGNED NOT NULL DEFAULT 0');
    await queryRunner.query('DROP TRIGGER background_tasks_count_update');
    await queryRunner.query(updateTrigger('@tasks_counts_by_writer IS NOT NULL OR NOT (OLD.count_epoch <=> NEW.count_epoch)'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER background_tasks_count_update');
    await queryRunner.query(updateTrigger('@tasks_counts_by_writer IS NOT NULL'));
    await queryRunner.query('ALTER TABLE background_tasks DROP COLUMN count_epoch');
  }
}

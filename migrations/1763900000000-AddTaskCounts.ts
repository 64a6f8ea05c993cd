import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TASK_COUNT_SLOTS } from '../src/tasks/store/task-counts.js';

/**
 * Exact task counts by (task_type, status) that do not grow with the table: triggers on
 * `background_tasks` keep `background_task_counts` in step in the same transaction as every
 * insert, status change and delete, whoever makes it (the library, a handler, plain SQL).
 * A task's counter slot is `CRC32(task_id) % 16`, so writers of different tasks rarely wait
 * for the same counter row. The library's transition writer sets `@tasks_counts_by_writer`
 * inside its transactions and applies one aggregated delta per batch itself, so its batches
 * do not run two counter statements per row. On MySQL 8 with binary logging, creating triggers needs the
 * TRIGGER privilege and `log_bin_trust_function_creators = 1` (or SUPER).
 */
export class AddTaskCounts1763900000000 implements MigrationInterface {
  name = 'AddTaskCounts1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE background_task_counts (
        task_type VARCHAR(100) NOT NULL,
        status ENUM('pending', 'running', 'completed', 'failed', 'cancelled') NOT NULL,
        slot TINYINT UNSIGNED NOT NULL,
        count BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (task_type, status, slot)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    `);
    await queryRunner.query(`
      INSERT INTO background_task_counts (task_type, status, slot, count)
      SELECT task_type, status, CRC32(task_id) % ${TASK_COUNT_SLOTS}, COUNT(*) FROM background_tasks
      GROUP BY task_type, status, CRC32(task_id) % ${TASK_COUNT_SLOTS}
    `);
    await queryRunner.query(`
      CREATE TRIGGER background_tasks_count_insert AFTER INSERT ON background_tasks FOR EACH ROW
        INSERT INTO background_task_counts (task_type, status, slot, count)
        VALUES (NEW.task_type, NEW.status, CRC32(NEW.task_id) % ${TASK_COUNT_SLOTS}, 1)
        ON DUPLICATE KEY UPDATE count = count + 1
    `);
    await queryRunner.query(`
      CREATE TRIGGER background_tasks_count_update AFTER UPDATE ON background_tasks FOR EACH ROW
      BEGIN
        IF @tasks_counts_by_writer IS NULL
           AND NOT (OLD.status <=> NEW.status AND OLD.task_type <=> NEW.task_type AND OLD.task_id <=> NEW.task_id) THEN
          UPDATE background_task_counts SET count = count - 1
           WHERE task_type = OLD.task_type AND status = OLD.status AND slot = CRC32(OLD.task_id) % ${TASK_COUNT_SLOTS};
          INSERT INTO background_task_counts (task_type, status, slot, count)
          VALUES (NEW.task_type, NEW.status, CRC32(NEW.task_id) % ${TASK_COUNT_SLOTS}, 1)
          ON DUPLICATE KEY UPDATE count = count + 1;
        END IF;
      END
    `);
    await queryRunner.query(`
      CREATE TRIGGER background_tasks_count_delete AFTER DELETE ON background_tasks FOR EACH ROW
        UPDATE background_task_counts SET count = count - 1
         WHERE task_type = OLD.task_type AND status = OLD.status AND slot = CRC32(OLD.task_id) % ${TASK_COUNT_SLOTS}
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER IF EXISTS background_tasks_count_delete');
    await queryRunner.query('DROP TRIGGER IF EXISTS background_tasks_count_update');
    await queryRunner.query('DROP TRIGGER IF EXISTS background_tasks_count_insert');
    await queryRunner.query('DROP TABLE background_task_counts');
  }
}

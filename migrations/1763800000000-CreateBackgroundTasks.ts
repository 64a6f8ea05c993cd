import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Creates `background_tasks`: the seed's columns and indexes (its UNIQUE and idx_task_id are
 * one unique index), millisecond timestamps, and the indexes that serve newest-first listing
 * and counting by status and/or type. Plain SQL that MySQL 8 and MariaDB 10.11 both accept.
 */
export class CreateBackgroundTasks1763800000000 implements MigrationInterface {
  name = 'CreateBackgroundTasks1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS background_tasks (
        id INT NOT NULL AUTO_INCREMENT,
        task_id VARCHAR(255) NOT NULL,
        task_name VARCHAR(255) NOT NULL,
        task_type VARCHAR(100) NOT NULL,
        priority INT NOT NULL DEFAULT 5,
        status ENUM('pending', 'running', 'completed', 'failed', 'cancelled') NOT NULL DEFAULT 'pending',
        params JSON NULL,
        result JSON NULL,
        error_message TEXT NULL,
        retry_count INT NOT NULL DEFAULT 0,
        max_retries INT NOT NULL DEFAULT 3,
        created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        started_at TIMESTAMP(3) NULL DEFAULT NULL,
        completed_at TIMESTAMP(3) NULL DEFAULT NULL,
        PRIMARY KEY (id),
        UNIQUE INDEX idx_task_id (task_id),
        INDEX idx_status (status),
        INDEX idx_priority (priority),
        INDEX idx_status_priority (status, priority),
        INDEX idx_created (created_at),
        INDEX idx_status_created (status, created_at),
        INDEX idx_type_created (task_type, created_at),
        INDEX idx_type_status_created (task_type, status, created_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS background_tasks');
  }
}

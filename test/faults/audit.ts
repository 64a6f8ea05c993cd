import type { Connection } from 'mysql2/promise';

/**
 * A test-only audit of every change of a task row, written by MySQL triggers in the same
 * transaction as the change: the record of transitions cannot miss one, even when a process
 * or MySQL itself is killed.
 */
export async function installAudit(db: Connection): Promise<void> {
  await db.query(`
    CREATE TABLE task_audit (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      task_id VARCHAR(255) NOT NULL,
      old_status VARCHAR(16) NULL,
      new_status VARCHAR(16) NULL,
      old_retry INT NULL,
      new_retry INT NULL,
      error_message TEXT NULL,
      old_outcome INT UNSIGNED NULL,
      new_outcome INT UNSIGNED NULL,
      at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      INDEX (task_id)
    )`);
  await db.query(`
    CREATE TRIGGER task_audit_insert AFTER INSERT ON background_tasks FOR EACH ROW
      INSERT INTO task_audit (task_id, old_status, new_status, old_retry, new_retry)
      VALUES (NEW.task_id, NULL, NEW.status, NULL, NEW.retry_count)`);
  await db.query(`
    CREATE TRIGGER task_audit_update AFTER UPDATE ON background_tasks FOR EACH ROW
      INSERT INTO task_audit (task_id, old_status, new_status, old_retry, new_retry, error_message, old_outcome, new_outcome)
      VALUES (NEW.task_id, OLD.status, NEW.status, OLD.retry_count, NEW.retry_count, NEW.error_message,
              CRC32(CONCAT_WS('|', OLD.result, OLD.error_message, OLD.error_type)), CRC32(CONCAT_WS('|', NEW.result, NEW.error_message, NEW.error_type)))`);
  await db.query(`
    CREATE TRIGGER task_audit_delete AFTER DELETE ON background_tasks FOR EACH ROW
      INSERT INTO task_audit (task_id, old_status, new_status, old_retry, new_retry)
      VALUES (OLD.task_id, OLD.status, NULL, OLD.retry_count, NULL)`);
}

/** One recorded change. `new_status` null: the row was deleted; `old_status` null: inserted. */
export interface AuditRow {
  task_id: string;
  old_status: string | null;
  new_status: string | null;
  old_retry: number | null;
  new_retry: number | null;
  error_message: string | null;
  /** Checksums of (result, error_message, error_type) before and after an update. */
  old_outcome: number | null;
  new_outcome: number | null;
}

export async function readAudit(db: Connection): Promise<AuditRow[]> {
  const [rows] = await db.query('SELECT task_id, old_status, new_status, old_retry, new_retry, error_message, old_outcome, new_outcome FROM task_audit ORDER BY id');
  return rows as AuditRow[];
}

import { BACKGROUND_TASKS_TABLE } from './background-task.entity.js';

/**
 * Singleton keys (pg-boss's `singletonKey`, BullMQ's deduplication): at most one unfinished
 * task per key. A table of its own, so a task without a key costs nothing: no column, no index
 * entry, no statement. A key's row names the task that last took it; the key is free again once
 * that task is finished (or gone), which needs no write when the task ends: the next enqueue
 * with the key looks, under the key row's lock, and takes it over.
 */
export const SINGLETON_KEYS_TABLE = 'background_task_singletons';

export const CREATE_SINGLETON_KEYS_TABLE = `
  CREATE TABLE ${SINGLETON_KEYS_TABLE} (
    singleton_key VARCHAR(255) NOT NULL,
    task_id VARCHAR(255) NOT NULL,
    PRIMARY KEY (singleton_key),
    INDEX idx_singleton_task (task_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/** Runs one statement in the transaction the claim belongs to. */
export type TransactionQuery = (sql: string, parameters: unknown[]) => Promise<unknown>;

/**
 * Takes `key` for `taskId` in the caller's transaction, or answers the id of the unfinished task
 * that holds it. The key row stays locked until that transaction ends, so two enqueues with one
 * key run one after the other (two that both find no row may deadlock on the gap: the loser's
 * retry then finds the winner's).
 */
export async function claimSingletonKey(query: TransactionQuery, key: string, taskId: string): Promise<{ holder: string } | undefined> {
  const [held] = (await query(`SELECT task_id FROM ${SINGLETON_KEYS_TABLE} WHERE singleton_key = ? FOR UPDATE`, [key])) as Array<{ task_id: string }>;
  if (held) {
    const [holder] = (await query(`SELECT task_id FROM ${BACKGROUND_TASKS_TABLE} WHERE task_id = ? AND status IN ('pending', 'running')`, [held.task_id])) as Array<{ task_id: string }>;
    if (holder) return { holder: holder.task_id };
  }
  await query(`INSERT INTO ${SINGLETON_KEYS_TABLE} (singleton_key, task_id) VALUES (?, ?) ON DUPLICATE KEY UPDATE task_id = ?`, [key, taskId, taskId]);
  return undefined;
}

/** The statement that frees the keys of deleted tasks (part of the delete's transaction). */
export function releaseKeysStatement(taskIds: string[]): [string, unknown[]] {
  return [`DELETE FROM ${SINGLETON_KEYS_TABLE} WHERE task_id IN (?)`, [taskIds]];
}

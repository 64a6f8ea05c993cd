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
 * that holds it. The upsert locks the key's row exclusively, inserted or found (a primary key's
 * duplicate takes a record lock, no gap lock), so two enqueues with one key run one after the
 * other, and enqueues with different keys never wait for each other. A locking read, first
 * locking the key row with `FOR UPDATE` and then inserting, deadlocked instead: both enqueues
 * of two new keys took the same gap's lock, then each waited for the other's to insert.
 */
export async function claimSingletonKey(query: TransactionQuery, key: string, taskId: string): Promise<{ holder: string } | undefined> {
  await query(`INSERT INTO ${SINGLETON_KEYS_TABLE} (singleton_key, task_id) VALUES (?, ?) ON DUPLICATE KEY UPDATE task_id = task_id`, [key, taskId]);
  // The row is ours to read now (locked): a locking read sees it as committed, whatever the transaction's snapshot.
  const [held] = (await query(`SELECT task_id FROM ${SINGLETON_KEYS_TABLE} WHERE singleton_key = ? FOR UPDATE`, [key])) as Array<{ task_id: string }>;
  if (held.task_id === taskId) return undefined;
  const [holder] = (await query(`SELECT task_id FROM ${BACKGROUND_TASKS_TABLE} WHERE task_id = ? AND status IN ('pending', 'running')`, [held.task_id])) as Array<{ task_id: string }>;
  if (holder) return { holder: holder.task_id };
  await query(`UPDATE ${SINGLETON_KEYS_TABLE} SET task_id = ? WHERE singleton_key = ?`, [taskId, key]);
  return undefined;
}

/** The statement that frees the keys of deleted tasks (part of the delete's transaction). */
export function releaseKeysStatement(taskIds: string[]): [string, unknown[]] {
  return [`DELETE FROM ${SINGLETON_KEYS_TABLE} WHERE task_id IN (?)`, [taskIds]];
}

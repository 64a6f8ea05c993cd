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

/** A task that takes a singleton key, unless an unfinished task holds it. */
export interface SingletonClaim {
  key: string;
  taskId: string;
}

/**
 * Takes each claim's key for its task in the caller's transaction (one claim per key), and
 * answers, by key, the unfinished tasks that hold the keys it could not take. The upsert locks
 * each key's row exclusively, inserted or found (a primary key's duplicate takes a record lock,
 * no gap lock), so enqueues of one key run one after the other, and enqueues of other keys never
 * wait for them. The keys are locked in one order (sorted) whatever the batch, so two batches
 * that share keys wait for each other rather than deadlock. A locking read first, locking the
 * key rows with `FOR UPDATE` and then inserting, deadlocked instead: two enqueues of two new keys
 * took the same gap's lock, then each waited for the other's insert.
 */
export async function claimSingletonKeys(query: TransactionQuery, claims: SingletonClaim[]): Promise<Map<string, string>> {
  const ordered = [...claims].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const keys = ordered.map((claim) => claim.key);
  await query(`INSERT INTO ${SINGLETON_KEYS_TABLE} (singleton_key, task_id) VALUES ? ON DUPLICATE KEY UPDATE task_id = task_id`, [ordered.map((claim) => [claim.key, claim.taskId])]);
  // The rows are ours to read now (locked): a locking read sees them as committed, whatever the transaction's snapshot.
  const rows = (await query(`SELECT singleton_key, task_id FROM ${SINGLETON_KEYS_TABLE} WHERE singleton_key IN (?) FOR UPDATE`, [keys])) as KeyRow[];
  const claimant = new Map(ordered.map((claim) => [claim.key, claim.taskId]));
  const held = rows.filter((row) => row.task_id !== claimant.get(row.singleton_key));
  if (held.length === 0) return new Map();
  const unfinished = new Set(((await query(`SELECT task_id FROM ${BACKGROUND_TASKS_TABLE} WHERE task_id IN (?) AND status IN ('pending', 'running')`, [held.map((row) => row.task_id)])) as Array<{ task_id: string }>).map((row) => row.task_id));
  const holders = new Map(held.filter((row) => unfinished.has(row.task_id)).map((row) => [row.singleton_key, row.task_id]));
  // The other keys' tasks have finished (or are gone): their keys are taken over.
  const freed = held.filter((row) => !holders.has(row.singleton_key)).map((row) => row.singleton_key);
  if (freed.length > 0) {
    const cases = freed.map(() => 'WHEN ? THEN ?').join(' ');
    await query(`UPDATE ${SINGLETON_KEYS_TABLE} SET task_id = CASE singleton_key ${cases} END WHERE singleton_key IN (?)`, [...freed.flatMap((key) => [key, claimant.get(key)]), freed]);
  }
  return holders;
}

interface KeyRow {
  singleton_key: string;
  task_id: string;
}

/** The statement that frees the keys of deleted tasks (part of the delete's transaction). */
export function releaseKeysStatement(taskIds: string[]): [string, unknown[]] {
  return [`DELETE FROM ${SINGLETON_KEYS_TABLE} WHERE task_id IN (?)`, [taskIds]];
}

import { TaskStatus } from '../lifecycle/task-status.js';
import { BACKGROUND_TASKS_TABLE } from './background-task.entity.js';
import { MAX_BATCH_TEXT } from './group-commit.queue.js';

/** What a new row holds; the database stamps `created_at` and `run_at` from its own clock. */
export interface NewTaskRow {
  taskId: string;
  taskName: string;
  taskType: string;
  priority: number;
  maxRetries: number;
  params: Record<string, unknown>;
  /** `params` as JSON, serialised once: what its batch weighs and what the INSERT sends. */
  paramsJson: string;
  /** Wait before the first attempt (a delayed task); the row's `run_at` is the database's now plus this. */
  delayMs?: number;
  timeoutSeconds?: number;
  idempotencyKey?: string;
  /** Recorded on the row for reading; the claim on the key is made apart (see singleton-keys.ts). */
  singletonKey?: string;
  /** Not started by then, not started; written by the database's clock, as `run_at` is. */
  expiresAt?: Date | null;
  /** Workflow rows: the root's id (null for the root), the parent, the place in it, and whether it waits. */
  workflowId?: string | null;
  parentId?: string | null;
  position?: number;
  blocked?: boolean;
}

/** A validated task ready to be recorded and queued: its row, and when its first attempt is due (null: at once). */
export type NewTask = NewTaskRow & { runAt: Date | null };

/** A new row that takes a singleton key. */
export type KeyedTaskRow = NewTaskRow & { singletonKey: string };

const INSERT = `INSERT INTO ${BACKGROUND_TASKS_TABLE}
  (task_id, task_name, task_type, priority, status, params, max_retries, run_at, timeout_seconds, idempotency_key, workflow_id, parent_id, position, blocked, expires_at, singleton_key)
  VALUES ?`;

/**
 * The multi-row INSERTs of new `pending` rows: one, unless their params outweigh
 * MAX_BATCH_TEXT (an enqueue batch never does), so that no statement outgrows MySQL's
 * `max_allowed_packet`. One placeholder for all of a statement's rows (the driver writes each as
 * a list): a template with 16 placeholders per row cost more to build and to scan than the values.
 */
export function pendingInserts(tasks: NewTaskRow[]): Array<[string, unknown[]]> {
  const statements: Array<[string, unknown[]]> = [];
  let rows: unknown[][] = [];
  let weight = 0;
  for (const task of tasks) {
    if (rows.length > 0 && weight + task.paramsJson.length > MAX_BATCH_TEXT) {
      statements.push([INSERT, [rows]]);
      [rows, weight] = [[], 0];
    }
    rows.push(rowOf(task));
    weight += task.paramsJson.length;
  }
  if (rows.length > 0) statements.push([INSERT, [rows]]);
  return statements;
}

function rowOf(task: NewTaskRow): unknown[] {
  return [
    task.taskId, task.taskName, task.taskType, task.priority, TaskStatus.Pending, task.paramsJson, task.maxRetries,
    task.delayMs ? databaseNowPlus(task.delayMs) : null, task.timeoutSeconds ?? null, task.idempotencyKey ?? null,
    task.workflowId ?? null, task.parentId ?? null, task.position ?? null, task.blocked ? 1 : 0,
    task.expiresAt ? databaseNowPlus(task.expiresAt.getTime() - Date.now()) : null, task.singletonKey ?? null,
  ];
}

/** A time by the database's clock (`run_at`, `expires_at`): its now plus `ms` (rounded to whole milliseconds). */
function databaseNowPlus(ms: number): { toSqlString(): string } {
  const micros = Math.round(ms) * 1000;
  if (!Number.isSafeInteger(micros)) throw new RangeError(`time out of range: now + ${ms} ms`);
  return { toSqlString: () => `TIMESTAMPADD(MICROSECOND, ${micros}, CURRENT_TIMESTAMP(3))` };
}

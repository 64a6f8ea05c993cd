import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { BACKGROUND_TASKS_TABLE } from './background-task.entity.js';
import type { TaskErrorType } from '../failures/task-error-type.js';
import { TaskStatus, type TaskTransition } from '../lifecycle/task-status.js';
import { GroupCommitQueue } from './group-commit.queue.js';
import {
  applyTransitions,
  type AttemptGuard,
  type RowChange,
  type RowState,
  type TransitionRequest,
  type TransitionValues,
} from '../lifecycle/transition-batch.js';

export type { AttemptGuard } from '../lifecycle/transition-batch.js';

/** A failed attempt as the row records it. */
export interface RecordedFailure {
  message: string;
  errorType: TaskErrorType;
  /** For a retry: how long until the next attempt (stored as `run_at`). */
  retryDelayMs?: number;
}

/** The counter table and its slots per (type, status, error class); see the CountByErrorType migration. */
const COUNTS_TABLE = 'background_task_counts';
const COUNT_SLOTS = 16;

/** Longest error message kept in the row (TEXT holds 64 KiB; a stack trace is not a message). */
const MAX_ERROR_MESSAGE_LENGTH = 8000;
/** Most requests written in one transaction. */
const MAX_BATCH = 500;
/**
 * Batches in flight at once. Overlapping them hides the round trips and lets InnoDB merge
 * their commits; the row locks (taken in task-id order) keep them apart where they meet.
 */
const MAX_CONCURRENT_BATCHES = 4;
/** MySQL's deadlock and lock-wait-timeout errors: the batch is simply tried again. */
const RETRYABLE_ERRNOS = new Set([1213, 1205]);

/**
 * Writes lifecycle transitions into `background_tasks` as compare-and-set changes, with the
 * rules of the one transition table: a write whose source status no longer holds is a stale
 * or duplicate event (the task was cancelled, or already moved on); it resolves `false` and
 * changes nothing.
 *
 * Writes are group-committed: requests that arrive while a batch is being written wait for
 * the next one, which locks its rows (`SELECT … FOR UPDATE`), applies every request in order
 * ({@link applyTransitions}) and writes the net change of each row in one `UPDATE`, all in one
 * transaction. Under load that is one commit for hundreds of transitions instead of one each;
 * alone, a write goes out at once. Timestamps come from the database clock.
 */
@Injectable()
export class TaskStateWriter {
  private readonly batches = new GroupCommitQueue<TransitionRequest, boolean>(
    (requests) => this.writeBatch(requests),
    MAX_BATCH,
    MAX_CONCURRENT_BATCHES,
  );

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * `pending|running -> running`: an attempt starts. With `attemptToken`, the attempt's later
   * writes can be guarded by it (`{ attemptToken }`), so they apply to this attempt only.
   */
  start(taskId: string, attemptToken?: string): Promise<boolean> {
    return this.write(taskId, 'start', attemptToken === undefined ? {} : { attemptToken });
  }

  /** `running -> completed` with the handler's result. */
  complete(taskId: string, result: unknown, guard?: AttemptGuard): Promise<boolean> {
    return this.write(taskId, 'complete', { result: result ?? null, errorMessage: null, errorType: null }, guard);
  }

  /**
   * `running -> pending`: attempt number `attempt` failed and another follows. `retry_count`
   * is set to `attempt` rather than incremented, so a failed attempt that is delivered twice
   * (BullMQ re-runs a job whose worker died after this write) is still counted once.
   */
  retry(taskId: string, failure: RecordedFailure, attempt: number, guard?: AttemptGuard): Promise<boolean> {
    return this.write(
      taskId,
      'retry',
      { errorMessage: truncate(failure.message), errorType: failure.errorType, retryCount: attempt, runAfterMs: failure.retryDelayMs ?? null },
      guard,
    );
  }

  /**
   * `running -> pending` without counting a failure: the attempt was interrupted (its worker
   * shut down, or stalled) and the job goes back to the queue.
   */
  requeue(taskId: string, reason = 'interrupted: the worker shut down', guard?: AttemptGuard): Promise<boolean> {
    return this.write(taskId, 'retry', { errorMessage: reason }, guard);
  }

  /** `running -> failed`: attempts exhausted or the error is not retryable. */
  fail(taskId: string, failure: RecordedFailure, guard?: AttemptGuard): Promise<boolean> {
    return this.write(taskId, 'fail', { errorMessage: truncate(failure.message), errorType: failure.errorType }, guard);
  }

  /**
   * The latest progress of a running attempt (not a transition: no lock, no batch). A report
   * that arrives after the attempt ended changes nothing.
   */
  async progress(taskId: string, attemptToken: string, percent: number, message: string | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${BACKGROUND_TASKS_TABLE} SET progress = ?, progress_message = ? WHERE task_id = ? AND status = 'running' AND attempt_token = ?`,
      [percent, message, taskId, attemptToken],
    );
  }

  /** The row's status and retry count, to tell a lost write from a refused one. */
  async read(taskId: string): Promise<{ status: TaskStatus; retryCount: number } | undefined> {
    const [row]: { status: TaskStatus; retry_count: number }[] = await this.dataSource.query(
      `SELECT status, retry_count FROM ${BACKGROUND_TASKS_TABLE} WHERE task_id = ?`,
      [taskId],
    );
    return row && { status: row.status, retryCount: row.retry_count };
  }

  /** `pending|running -> cancelled`. */
  cancel(taskId: string): Promise<boolean> {
    return this.write(taskId, 'cancel', {});
  }

  private write(taskId: string, transition: TaskTransition, values: TransitionValues, guard?: AttemptGuard): Promise<boolean> {
    return this.batches.submit({ taskId, transition, values, guard });
  }

  private async writeBatch(batch: TransitionRequest[]): Promise<boolean[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction((manager) => this.applyBatch(manager, batch));
      } catch (error) {
        if (attempt >= 5 || !RETRYABLE_ERRNOS.has((error as { errno?: number }).errno ?? 0)) throw error;
      }
    }
  }

  private async applyBatch(manager: EntityManager, batch: TransitionRequest[]): Promise<boolean[]> {
    const ids = [...new Set(batch.map((request) => request.taskId))].sort();
    const locked: LockedRow[] = await manager.query(
      `SELECT task_id, task_type, status, error_type, started_at, attempt_token FROM ${BACKGROUND_TASKS_TABLE} WHERE task_id IN (?) ORDER BY task_id FOR UPDATE`,
      [ids],
    );
    const rows = new Map<string, RowState>(
      locked.map((row) => [row.task_id, { status: row.status, startedAt: row.started_at, attemptToken: row.attempt_token }]),
    );
    const { outcomes, changes } = applyTransitions(batch, rows);
    if (changes.size === 0) return outcomes;
    const deltas = countDeltas(locked, changes);
    // The UPDATE flips `count_epoch`, so the counter trigger skips these rows (see the
    // CountEpoch migration); the batch applies its own net delta instead.
    const [sql, parameters] = updateStatement(changes);
    await manager.query(sql, parameters);
    if (deltas.length > 0) {
      await manager.query(
        `INSERT INTO ${COUNTS_TABLE} (task_type, status, error_type, slot, count) VALUES ? ON DUPLICATE KEY UPDATE count = count + VALUES(count)`,
        [deltas],
      );
    }
    return outcomes;
  }
}

/** A row as a batch reads it under its lock. */
interface LockedRow {
  task_id: string;
  task_type: string;
  status: TaskStatus;
  error_type: TaskErrorType | null;
  started_at: Date | null;
  attempt_token: string | null;
}

/**
 * The net change of the counts by (task type, status, error class) that a batch makes, as
 * rows for `background_task_counts` (`''`: no failure). Counts are sums over slots, so a
 * batch may put its delta in any slot; a random one keeps concurrent batches off each
 * other's counter rows.
 */
function countDeltas(locked: LockedRow[], changes: Map<string, RowChange>): unknown[][] {
  const net = new Map<string, number>();
  const add = (key: string[], delta: number) => {
    const joined = key.join('\u0000');
    net.set(joined, (net.get(joined) ?? 0) + delta);
  };
  for (const row of locked) {
    const change = changes.get(row.task_id);
    if (!change) continue;
    const oldErrorType = row.error_type ?? '';
    const newErrorType = 'errorType' in change.values ? (change.values.errorType ?? '') : oldErrorType;
    if (change.status === row.status && newErrorType === oldErrorType) continue;
    add([row.task_type, row.status, oldErrorType], -1);
    add([row.task_type, change.status, newErrorType], +1);
  }
  const slot = Math.floor(Math.random() * COUNT_SLOTS);
  return [...net].filter(([, delta]) => delta !== 0).map(([key, delta]) => [...key.split('\u0000'), slot, delta]);
}

/** One `UPDATE` that gives every changed row its own values (`CASE task_id WHEN … END`). */
function updateStatement(changes: Map<string, RowChange>): [string, unknown[]] {
  const parameters: unknown[] = [];
  const entries = [...changes.entries()];
  const caseOf = (column: string, pick: (change: RowChange) => { value: unknown } | undefined, valueSql = '?'): string | undefined => {
    const whens = entries.flatMap(([taskId, change]) => {
      const picked = pick(change);
      if (!picked) return [];
      parameters.push(taskId, picked.value);
      return [`WHEN ? THEN ${valueSql}`];
    });
    return whens.length > 0 ? `${column} = CASE task_id ${whens.join(' ')} ELSE ${column} END` : undefined;
  };
  const stampOf = (column: string, when: (change: RowChange) => boolean, valueSql = 'CURRENT_TIMESTAMP(3)'): string | undefined => {
    const ids = entries.filter(([, change]) => when(change)).map(([taskId]) => taskId);
    if (ids.length === 0) return undefined;
    parameters.push(ids);
    return `${column} = CASE WHEN task_id IN (?) THEN ${valueSql} ELSE ${column} END`;
  };
  const assignments = [
    caseOf('status', (change) => ({ value: change.status })),
    stampOf('started_at', (change) => change.started),
    stampOf('completed_at', (change) => change.finished),
    caseOf('result', (change) => ('result' in change.values ? { value: toJsonText(change.values.result) } : undefined)),
    caseOf('error_message', (change) => ('errorMessage' in change.values ? { value: change.values.errorMessage ?? null } : undefined)),
    caseOf('retry_count', (change) => (change.values.retryCount !== undefined ? { value: change.values.retryCount } : undefined)),
    caseOf('error_type', (change) => ('errorType' in change.values ? { value: change.values.errorType ?? null } : undefined)),
    caseOf('run_at', (change) => ('runAfterMs' in change.values ? { value: change.values.runAfterMs ?? null } : undefined), 'TIMESTAMPADD(MICROSECOND, ? * 1000, CURRENT_TIMESTAMP(3))'),
    // Progress belongs to an attempt: a new attempt starts without one; a completed task is at 100.
    caseOf('progress', (change) => (change.status === TaskStatus.Completed ? { value: 100 } : change.started ? { value: null } : undefined)),
    stampOf('progress_message', (change) => change.started && change.status !== TaskStatus.Completed, 'NULL'),
    caseOf('attempt_token', (change) => (change.values.attemptToken !== undefined ? { value: change.values.attemptToken } : undefined)),
    'count_epoch = count_epoch ^ 1',
  ].filter((assignment): assignment is string => assignment !== undefined);
  parameters.push(entries.map(([taskId]) => taskId));
  return [`UPDATE ${BACKGROUND_TASKS_TABLE} SET ${assignments.join(', ')} WHERE task_id IN (?)`, parameters];
}

/** A JSON column value as text; SQL NULL for no result. */
function toJsonText(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function truncate(message: string): string {
  return message.length > MAX_ERROR_MESSAGE_LENGTH ? `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…` : message;
}

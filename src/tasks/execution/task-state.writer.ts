import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BackgroundTask } from '../background-task.entity.js';
import { TASK_TRANSITIONS, type TaskTransition } from '../task-status.js';

/** Longest error message kept in the row (TEXT holds 64 KiB; a stack trace is not a message). */
const MAX_ERROR_MESSAGE_LENGTH = 8000;

/** Applies a write only to the attempt that started at `startedAt`. */
export interface AttemptGuard {
  startedAt: Date | null;
}

/**
 * Writes lifecycle transitions into `background_tasks` as compare-and-set updates:
 * `UPDATE … SET status = <to> WHERE task_id = ? AND status IN (<from>)`, with the rule taken
 * from {@link TASK_TRANSITIONS}. A write that matches no row is a stale or duplicate event
 * (the task was cancelled, or already moved on): it returns `false` and changes nothing.
 * Timestamps are stamped by the entity subscriber.
 */
@Injectable()
export class TaskStateWriter {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** `pending|running -> running`: an attempt starts. */
  start(taskId: string): Promise<boolean> {
    return this.write(taskId, 'start', {});
  }

  /** `running -> completed` with the handler's result. */
  complete(taskId: string, result: unknown): Promise<boolean> {
    return this.write(taskId, 'complete', { result: result ?? null, errorMessage: null });
  }

  /**
   * `running -> pending`: attempt number `attempt` failed and another follows. `retry_count`
   * is set to `attempt` rather than incremented, so a failed attempt that is delivered twice
   * (BullMQ re-runs a job whose worker died after this write) is still counted once.
   */
  retry(taskId: string, errorMessage: string, attempt: number, guard?: AttemptGuard): Promise<boolean> {
    return this.write(taskId, 'retry', { errorMessage: truncate(errorMessage), retryCount: attempt }, guard);
  }

  /**
   * `running -> pending` without counting a failure: the attempt was interrupted (its worker
   * shut down) and the job goes back to the queue.
   */
  requeue(taskId: string, reason = 'interrupted: the worker shut down', guard?: AttemptGuard): Promise<boolean> {
    return this.write(taskId, 'retry', { errorMessage: reason }, guard);
  }

  /** `running -> failed`: attempts exhausted or the error is not retryable. */
  fail(taskId: string, errorMessage: string, guard?: AttemptGuard): Promise<boolean> {
    return this.write(taskId, 'fail', { errorMessage: truncate(errorMessage) }, guard);
  }

  /** `pending|running -> cancelled`. */
  cancel(taskId: string): Promise<boolean> {
    return this.write(taskId, 'cancel', {});
  }

  private async write(
    taskId: string,
    transition: TaskTransition,
    values: Record<string, unknown>,
    guard?: AttemptGuard,
  ): Promise<boolean> {
    const rule = TASK_TRANSITIONS[transition];
    const update = this.dataSource
      .createQueryBuilder()
      .update(BackgroundTask)
      .set({ ...values, status: rule.to })
      .where('task_id = :taskId', { taskId })
      .andWhere('status IN (:...from)', { from: rule.from });
    if (guard) {
      if (guard.startedAt) update.andWhere('started_at = :startedAt', { startedAt: guard.startedAt });
      else update.andWhere('started_at IS NULL');
    }
    // mysql2 reports matched rows, so `affected` is 1 exactly when the WHERE held.
    const outcome = await update.execute();
    return (outcome.affected ?? 0) > 0;
  }
}

function truncate(message: string): string {
  return message.length > MAX_ERROR_MESSAGE_LENGTH ? `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…` : message;
}

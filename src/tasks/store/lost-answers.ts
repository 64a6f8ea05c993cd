import { TASK_TRANSITIONS, TaskStatus } from '../lifecycle/task-status.js';
import type { TransitionRequest } from '../lifecycle/transition-batch.js';
import type { CommittedChange, LockedRow } from './committed-change.js';

/** How long a batch's ids stay uncertain: well inside the reconciler's minimum age, so its repairs are never taken for them. */
const UNCERTAIN_FOR_MS = 30_000;
/** Most ids remembered at once: an outage under load refuses many batches. */
const MAX_UNCERTAIN = 50_000;

/**
 * The changes of commits whose answers an outage lost. MySQL may apply a batch's COMMIT and
 * die (or lose the connection) before it answers: the writer cannot tell that from a batch that
 * never landed, so its callers write the same requests again once MySQL answers
 * (DatabaseHealth.durably), and those are refused: their rows already hold what was asked. The
 * commit listeners (live events, metrics) were never told of the lost commit. So the task ids
 * of a batch an outage met are remembered for a while, and the first batch after that writes
 * one of them tells, for a request refused because its row already holds the transition's
 * target status, that row's change as the lost commit made it. Changes the lost commit made by
 * cascade (a workflow's own row, released steps) are not told this way; a stream of that row
 * reads it (events/task-follower.ts), as a waiter does.
 */
export class LostAnswers {
  private readonly since = new Map<string, number>();
  private readonly listeners: Array<(taskIds: string[]) => void> = [];

  /** Calls `listener` with a batch's task ids when an outage met its commit. */
  onUncertain(listener: (taskIds: string[]) => void): void {
    this.listeners.push(listener);
  }

  /** An outage met the commit of the batch writing `taskIds`: it may have landed, unseen. */
  uncertain(taskIds: string[]): void {
    const now = Date.now();
    for (const taskId of taskIds) {
      this.since.delete(taskId);
      this.since.set(taskId, now);
    }
    for (const [taskId, at] of this.since) {
      if (this.since.size <= MAX_UNCERTAIN && now - at < UNCERTAIN_FOR_MS) break;
      this.since.delete(taskId);
    }
    for (const listener of this.listeners) listener(taskIds);
  }

  /** The changes that the refused requests of `batch` reveal (see the class); nothing is forgotten yet, the transaction may be tried again. */
  revealedBy(batch: readonly TransitionRequest[], outcomes: readonly boolean[], locked: readonly LockedRow[]): CommittedChange[] {
    if (this.since.size === 0) return [];
    const rows = new Map(locked.map((row) => [row.task_id, row]));
    const revealed = new Map<string, CommittedChange>();
    batch.forEach(({ taskId, transition }, index) => {
      const row = rows.get(taskId);
      if (outcomes[index] || !row || !this.since.has(taskId) || row.status !== TASK_TRANSITIONS[transition].to) return;
      const progress = row.status === TaskStatus.Completed ? { progress: 100 } : {};
      revealed.set(taskId, { kind: 'status', taskId, taskType: row.task_type, taskName: row.task_name, status: row.status, errorType: row.error_type, ...progress });
    });
    return [...revealed.values()];
  }

  /** A batch committed: its ids are certain again (the first write after the outage decided them). */
  settled(batch: readonly TransitionRequest[]): void {
    if (this.since.size === 0) return;
    for (const { taskId } of batch) this.since.delete(taskId);
  }
}

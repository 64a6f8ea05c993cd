import type { Job } from 'bullmq';
import { isUnwrittenStart, type WorkerAttempt } from '../lifecycle/transition-batch.js';
import type { TaskJobData } from '../queue/task-job.js';
import type { FreshTask } from '../store/task-state.writer.js';

/**
 * Completions written behind at once in one process before a handler's success waits for its
 * own write: several batches' worth, so the writer's batches fill, yet bounded in memory.
 */
const MAX_UNWRITTEN_COMPLETIONS = 1000;

/**
 * A handler's success written behind: the worker tells BullMQ the job completed (with the
 * result as its return value) without waiting for the row's `completed` to commit, so its slot
 * takes the next job while the outcome waits for its batch. The row is still written by this
 * process (MySQL outages are waited out); if the process dies first, the job's return value in
 * Redis carries the result and the reconciler writes it (TaskReconciler). Failures are not
 * written behind: BullMQ must not schedule a retry the row does not know of yet.
 */
export class CompletionWrites {
  private readonly inFlight = new Set<Promise<void>>();

  /**
   * @param onError a write that failed for another reason than an outage (the reconciler will
   *   write the outcome from the job's return value).
   * @param maxInFlight past this many unwritten completions, a completion waits for its own
   *   write, so a slow MySQL slows the workers down instead of piling outcomes up in memory.
   */
  constructor(
    private readonly onError: (taskId: string, error: Error) => void,
    private readonly maxInFlight = MAX_UNWRITTEN_COMPLETIONS,
  ) {}

  /** Starts `write`; resolves at once unless too many writes are in flight. */
  async submit(taskId: string, write: () => Promise<unknown>): Promise<void> {
    const written: Promise<void> = write()
      .then(
        () => undefined,
        (error: Error) => this.onError(taskId, error),
      )
      .finally(() => this.inFlight.delete(written));
    this.inFlight.add(written);
    if (this.inFlight.size > this.maxInFlight) await written;
  }

  /** Resolves when every completion submitted so far is written (or failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}

/**
 * What the state writer may assume of the task whose handler just succeeded: that its row is
 * as its enqueue left it (FreshTask), when this is the task's first attempt, outside any
 * workflow, and its `running` was never written. Else undefined: the writer reads the row.
 */
export function freshTaskOf(job: Job<TaskJobData>, taskType: string, guard: WorkerAttempt): FreshTask | undefined {
  const first = job.attemptsMade === 0 && !job.data.priorAttempts && !job.data.workflowId;
  return first && isUnwrittenStart(guard) ? { taskType, taskName: job.name } : undefined;
}

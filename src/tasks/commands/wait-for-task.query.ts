import { Injectable } from '@nestjs/common';
import { catchError, filter, firstValueFrom, fromEvent, NEVER, race, timer, type Observable } from 'rxjs';
import { InvalidTaskRequestError, TaskWaitTimeoutError } from '../errors/tasks.errors.js';
import { TaskEventBus } from '../events/task-event.bus.js';
import { isFinalStatus, type TaskStatus } from '../lifecycle/task-status.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import { FindTasksQuery } from './find-tasks.query.js';
import { WATCH_POLL_MS, WatchedRows } from '../store/watched-rows.js';

/** The longest `setTimeout` Node keeps (a longer one fires at once). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface WaitForTaskOptions {
  /** Give up after this long (TaskWaitTimeoutError); no limit when left out. */
  timeoutMs?: number;
  /** Stop waiting when it aborts (the promise rejects with its reason). */
  signal?: AbortSignal;
}

/**
 * Waits for a task to reach a final state, as Celery's `AsyncResult.get(timeout)` does. The row
 * is the answer, read from MySQL; the live events (any process's commits) only say when to read
 * it again, and the row's reads every {@link WATCH_POLL_MS} (see WatchedRows) stand in for an
 * event that never came.
 */
@Injectable()
export class WaitForTaskQuery {
  constructor(
    private readonly finder: FindTasksQuery,
    private readonly events: TaskEventBus,
    private readonly watched: WatchedRows,
  ) {}

  /** The row once completed, failed or cancelled; throws TaskWaitTimeoutError when `timeoutMs` runs out first. */
  async wait(taskId: string, { timeoutMs, signal }: WaitForTaskOptions = {}): Promise<BackgroundTask> {
    const task = await this.finalOrCurrent(taskId, { timeoutMs, signal });
    if (!isFinalStatus(task.status)) throw new TaskWaitTimeoutError(taskId, task.status, timeoutMs!);
    return task;
  }

  /** The row once completed, failed or cancelled, or as it is when `timeoutMs` has passed (a long poll's answer). */
  async finalOrCurrent(taskId: string, { timeoutMs, signal }: WaitForTaskOptions = {}): Promise<BackgroundTask> {
    assertTimeout(timeoutMs);
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      // The stream's position first, then the row: a change committed in between is in the stream.
      // Without Redis there is no position, and the reads alone find the outcome.
      const after = await this.events.latestId().catch(() => undefined);
      const task = await this.finder.get(taskId);
      if (isFinalStatus(task.status) || (deadline !== undefined && Date.now() >= deadline)) return task;
      const stops = [this.finalEvent(taskId, after), this.finalRead(taskId), signal ? fromEvent(signal, 'abort') : NEVER];
      if (deadline !== undefined) stops.push(timer(deadline - Date.now()));
      // Whatever ended the wait, the row says what is true now; a user's retry may even have
      // reopened the task since its final event, and then the wait goes on.
      await firstValueFrom(race(stops));
    }
  }

  /** The first event that says the task is final (none when Redis is not answering). */
  private finalEvent(taskId: string, after: string | undefined): Observable<unknown> {
    if (after === undefined) return NEVER;
    return this.events.subscribe({ taskId }, after).pipe(
      filter((event) => isFinalStatus(event.status as TaskStatus)),
      catchError(() => NEVER),
    );
  }

  /**
   * A read of the row (every {@link WATCH_POLL_MS}, with every other followed row) that finds it
   * final, or gone (deleted by hand: the last read then says so); a read MySQL refuses is
   * skipped.
   */
  private finalRead(taskId: string): Observable<unknown> {
    return this.watched.watch(taskId).pipe(filter(({ row }) => row === null || isFinalStatus(row.status)));
  }
}

function assertTimeout(timeoutMs: number | undefined): void {
  if (timeoutMs === undefined) return;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new InvalidTaskRequestError([`timeoutMs must be an integer from 0 to ${MAX_TIMEOUT_MS} (or left out: no limit)`]);
  }
}

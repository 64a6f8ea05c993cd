import { Observable } from 'rxjs';
import { isFinalStatus, type TaskStatus } from '../lifecycle/task-status.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import type { RowRead } from '../store/watched-rows.js';
import type { TaskEvent } from './task-event.js';

/** A task's row as an event with the stream position `id`: the stream's first (`snapshot`), or a `status` the stream missed. */
export function eventOfRow(task: BackgroundTask, id: string, kind: 'snapshot' | 'status', at: Date): TaskEvent {
  return {
    id,
    kind,
    task_id: task.taskId,
    task_type: task.taskType,
    task_name: task.taskName,
    status: task.status,
    error_type: task.errorType,
    progress: task.progress,
    progress_message: task.progressMessage,
    at: at.toISOString(),
  };
}

/**
 * One task's events until its final status: the snapshot, then each committed change the live
 * stream carries, with the row's reads (`rows`, see WatchedRows) standing in for a change it
 * never carried (the process that committed it died before appending it, Redis refused the
 * append, or a commit whose answer was lost changed the row by cascade). Without the reads such
 * a stream never ended. A final row is told at once (the stream then ends, so an event still on
 * its way is not told twice); any other status once two reads in a row found it, so that an
 * event on its way has a whole interval to come first; a read that began before the last event
 * was told tells nothing (the row it read may be older than the event). A row that is gone
 * ends the stream.
 */
export function followTask(snapshot: TaskEvent, changes: Observable<TaskEvent>, rows: Observable<RowRead>): Observable<TaskEvent> {
  return new Observable<TaskEvent>((observer) => {
    let told = snapshot;
    let toldAt = performance.now();
    let previousRead: string | undefined;
    const tell = (event: TaskEvent) => {
      told = event;
      toldAt = performance.now();
      observer.next(event);
      if (isFinalStatus(event.status as TaskStatus)) observer.complete();
    };
    tell(snapshot);
    if (observer.closed) return;
    const subscription = changes.subscribe({ next: tell, error: (error: unknown) => observer.error(error), complete: () => observer.complete() });
    subscription.add(
      rows.subscribe(({ row, startedAt }) => {
        if (observer.closed) return;
        // Gone (deleted by hand): nothing more will happen to it.
        if (!row) return observer.complete();
        const overtaken = startedAt < toldAt;
        const missed = !overtaken && row.status !== told.status && (isFinalStatus(row.status) || row.status === previousRead);
        previousRead = overtaken ? undefined : row.status;
        if (missed) tell(eventOfRow(row, told.id, 'status', isFinalStatus(row.status) ? (row.completedAt ?? new Date()) : new Date()));
      }),
    );
    return subscription;
  });
}

import { describe, expect, it } from '@jest/globals';
import { Subject, firstValueFrom, toArray } from 'rxjs';
import { TaskNotFoundError } from '../errors/tasks.errors.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import type { TaskEvent } from './task-event.js';
import { eventOfRow, followTask } from './task-follower.js';

const TASK_ID = '01a24df3-0a14-7000-bd44-3326f4d5778f';
const POLL_MS = 20;
const row = (status: TaskStatus): BackgroundTask => ({ taskId: TASK_ID, taskType: 'test', taskName: 'test.record', status, errorType: null, progress: null, progressMessage: null, completedAt: null }) as BackgroundTask;
const event = (id: string, status: TaskStatus): TaskEvent => ({ ...eventOfRow(row(status), id, 'status', new Date()) });
const snapshot = eventOfRow(row(TaskStatus.Pending), '5-0', 'snapshot', new Date());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What the follower told, as `kind:status@id`. */
const told = (events: TaskEvent[]) => events.map((e) => `${e.kind}:${e.status}@${e.id}`);

/** Follows a task whose row reads `rows()` at each read; `changes` is the live stream. */
function follow(rows: () => BackgroundTask, changes = new Subject<TaskEvent>()) {
  let reads = 0;
  const events = firstValueFrom(followTask(snapshot, changes, async () => (reads++, rows()), POLL_MS).pipe(toArray()));
  return { events, changes, reads: () => reads };
}

describe('followTask: one task\'s events, with the row standing in for a change the live stream missed', () => {
  it('tells the live changes and ends at the final one', async () => {
    const { events, changes } = follow(() => row(TaskStatus.Pending));
    changes.next(event('6-0', TaskStatus.Running));
    changes.next(event('7-0', TaskStatus.Completed));
    changes.next(event('8-0', TaskStatus.Failed));
    expect(told(await events)).toEqual(['snapshot:pending@5-0', 'status:running@6-0', 'status:completed@7-0']);
  });

  it('tells a final row the stream never carried at the next read, with the last position it told, and ends', async () => {
    const { events } = follow(() => row(TaskStatus.Completed));
    expect(told(await events)).toEqual(['snapshot:pending@5-0', 'status:completed@5-0']);
  });

  it('tells any other status only once two reads in a row found it', async () => {
    // One read found `running`, the next `cancelled`: an event on its way would have come first.
    const statuses = [TaskStatus.Pending, TaskStatus.Pending, TaskStatus.Running, TaskStatus.Cancelled];
    const once = follow(() => row(statuses.shift()!));
    expect(told(await once.events)).toEqual(['snapshot:pending@5-0', 'status:cancelled@5-0']);
    const steady = follow(() => row(TaskStatus.Running));
    while (steady.reads() < 3) await sleep(5);
    steady.changes.next(event('9-0', TaskStatus.Completed));
    expect(told(await steady.events)).toEqual(['snapshot:pending@5-0', 'status:running@5-0', 'status:completed@9-0']);
  });

  it('tells nothing from a read that a live event overtook', async () => {
    const changes = new Subject<TaskEvent>();
    let reads = 0;
    let release: () => void = () => {};
    // The first read finds `pending`; the second starts, the stream tells `running`, then the read
    // answers with the row as it was before: `pending` twice in a row, yet older than the event.
    const readRow = () => (++reads === 1 ? Promise.resolve(row(TaskStatus.Pending)) : new Promise<BackgroundTask>((resolve) => (release = () => resolve(row(TaskStatus.Pending)))));
    const events = firstValueFrom(followTask(snapshot, changes, readRow, POLL_MS).pipe(toArray()));
    while (reads < 2) await sleep(5);
    changes.next(event('6-0', TaskStatus.Running));
    release();
    await sleep(POLL_MS * 3);
    changes.next(event('7-0', TaskStatus.Completed));
    expect(told(await events)).toEqual(['snapshot:pending@5-0', 'status:running@6-0', 'status:completed@7-0']);
  });

  it('ends when the row is gone, and waits out a read that failed otherwise', async () => {
    let reads = 0;
    const gone = followTask(snapshot, new Subject<TaskEvent>(), async () => {
      reads += 1;
      if (reads === 1) throw new Error('MySQL away');
      throw new TaskNotFoundError(TASK_ID);
    }, POLL_MS);
    expect(told(await firstValueFrom(gone.pipe(toArray())))).toEqual(['snapshot:pending@5-0']);
    expect(reads).toBe(2);
  });
});

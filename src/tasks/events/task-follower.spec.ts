import { describe, expect, it } from '@jest/globals';
import { Subject, firstValueFrom, toArray } from 'rxjs';
import { TaskStatus } from '../lifecycle/task-status.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import type { RowRead } from '../store/watched-rows.js';
import type { TaskEvent } from './task-event.js';
import { eventOfRow, followTask } from './task-follower.js';

const TASK_ID = '01a24df3-0a14-7000-bd44-3326f4d5778f';
const row = (status: TaskStatus): BackgroundTask => ({ taskId: TASK_ID, taskType: 'test', taskName: 'test.record', status, errorType: null, progress: null, progressMessage: null, completedAt: null }) as BackgroundTask;
const event = (id: string, status: TaskStatus): TaskEvent => eventOfRow(row(status), id, 'status', new Date());
const snapshot = eventOfRow(row(TaskStatus.Pending), '5-0', 'snapshot', new Date());
/** What the follower told, as `kind:status@id`. */
const told = (events: TaskEvent[]) => events.map((e) => `${e.kind}:${e.status}@${e.id}`);

/** A follower fed by hand: `live` the live stream, `read(status)` one read of the row begun now (null: gone). */
function follow() {
  const live = new Subject<TaskEvent>();
  const reads = new Subject<RowRead>();
  const events = firstValueFrom(followTask(snapshot, live, reads).pipe(toArray()));
  const read = (status: TaskStatus | null, startedAt = performance.now()) => reads.next({ row: status === null ? null : row(status), startedAt });
  return { events, live, read };
}

describe("followTask: one task's events, with the row standing in for a change the live stream missed", () => {
  it('tells the live changes and ends at the final one', async () => {
    const { events, live, read } = follow();
    live.next(event('6-0', TaskStatus.Running));
    read(TaskStatus.Running);
    live.next(event('7-0', TaskStatus.Completed));
    live.next(event('8-0', TaskStatus.Failed));
    expect(told(await events)).toEqual(['snapshot:pending@5-0', 'status:running@6-0', 'status:completed@7-0']);
  });

  it('tells a final row the stream never carried at the first read that finds it, with the last position it told, and ends', async () => {
    const { events, read } = follow();
    read(TaskStatus.Pending);
    read(TaskStatus.Completed);
    expect(told(await events)).toEqual(['snapshot:pending@5-0', 'status:completed@5-0']);
  });

  it('tells any other status only once two reads in a row found it', async () => {
    const { events, live, read } = follow();
    // One read found `running`, the next `cancelled`: an event on its way would have come first.
    read(TaskStatus.Running);
    read(TaskStatus.Cancelled);
    expect(told(await events)).toEqual(['snapshot:pending@5-0', 'status:cancelled@5-0']);
    const steady = follow();
    steady.read(TaskStatus.Running);
    steady.read(TaskStatus.Running);
    steady.live.next(event('9-0', TaskStatus.Completed));
    expect(told(await steady.events)).toEqual(['snapshot:pending@5-0', 'status:running@5-0', 'status:completed@9-0']);
    live.complete();
  });

  it('tells nothing from a read that began before the last event was told', async () => {
    const { events, live, read } = follow();
    read(TaskStatus.Pending);
    // This read began, then the stream told `running`, then the read answered with the row as it
    // was before: `pending` twice in a row, yet older than the event.
    const begun = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 2));
    live.next(event('6-0', TaskStatus.Running));
    read(TaskStatus.Pending, begun);
    live.next(event('7-0', TaskStatus.Completed));
    expect(told(await events)).toEqual(['snapshot:pending@5-0', 'status:running@6-0', 'status:completed@7-0']);
  });

  it('ends when the row is gone', async () => {
    const { events, read } = follow();
    read(null);
    expect(told(await events)).toEqual(['snapshot:pending@5-0']);
  });
});

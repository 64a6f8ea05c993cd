import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { BackgroundTask } from './background-task.entity.js';
import { TaskRepository } from './task.repository.js';

/**
 * How often the rows that waiters and task streams follow are read. The live events say at
 * once when a task changed; an event lost with the process that committed it, or while Redis
 * was down, costs at most this.
 */
export const WATCH_POLL_MS = 5_000;
/** Task ids per read: one `IN` list by the unique index. */
const IDS_PER_READ = 500;

/** One read of a followed task's row: the row (null once it is gone), and when the read began (`performance.now()`). */
export interface RowRead {
  row: BackgroundTask | null;
  startedAt: number;
}

/**
 * The rows of the tasks that someone follows (a waiter, a task's event stream), read together:
 * every {@link WATCH_POLL_MS}, one query by the unique task id index for all of them (500 ids
 * a query), where each follower read its own row. A thousand open long polls or streams cost
 * two queries every 5 s instead of 200 a second. A read MySQL refuses is skipped; the next
 * tick reads again. The timer runs only while someone follows a row.
 */
@Injectable()
export class WatchedRows implements OnApplicationShutdown {
  private readonly followers = new Map<string, Set<(read: RowRead) => void>>();
  private timer?: NodeJS.Timeout;
  private reading = false;

  constructor(private readonly repository: TaskRepository) {}

  /** The task's row at every tick from now on, until unsubscribed. */
  watch(taskId: string): Observable<RowRead> {
    return new Observable<RowRead>((observer) => {
      const deliver = (read: RowRead) => observer.next(read);
      const forTask = this.followers.get(taskId) ?? new Set();
      this.followers.set(taskId, forTask.add(deliver));
      if (!this.timer) {
        this.timer = setInterval(() => void this.readAll(), WATCH_POLL_MS);
        this.timer.unref();
      }
      return () => {
        forTask.delete(deliver);
        if (forTask.size === 0 && this.followers.get(taskId) === forTask) this.followers.delete(taskId);
        if (this.followers.size === 0) this.stop();
      };
    });
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async readAll(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const taskIds = [...this.followers.keys()];
      for (let first = 0; first < taskIds.length; first += IDS_PER_READ) {
        const ids = taskIds.slice(first, first + IDS_PER_READ);
        const startedAt = performance.now();
        // MySQL away: the next tick reads again.
        const rows = await this.repository.findByIds(ids).catch(() => undefined);
        if (!rows) return;
        const byId = new Map(rows.map((row) => [row.taskId, row]));
        for (const taskId of ids) for (const deliver of this.followers.get(taskId) ?? []) deliver({ row: byId.get(taskId) ?? null, startedAt });
      }
    } finally {
      this.reading = false;
    }
  }
}

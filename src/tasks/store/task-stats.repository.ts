import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { InjectTasksDataSource } from './tasks-connection.js';
import type { TaskStatus } from '../lifecycle/task-status.js';
import { TASK_COUNTS_TABLE } from './task-counts.js';
import { outcomeSpans, rebuildStatsStatements, TASK_STATS_TABLE, type StatsGrain, type StatsSpan } from './task-stats.js';

/** Which outcomes to read: finished in [from, to), at a resolution, of a type and/or name. */
export interface StatsWindow {
  from: Date;
  to: Date;
  grain: StatsGrain;
  taskType?: string;
  taskName?: string;
}

/** Finished tasks of one (type, name, status, error class, duration bucket) in a window. */
export interface OutcomeGroup {
  taskType: string;
  taskName: string;
  status: TaskStatus;
  errorType: string;
  durationBucket: number;
  finished: number;
  durationMs: number;
}

/** Finished tasks per bucket and status (the throughput series). */
export interface OutcomePoint {
  at: Date;
  status: TaskStatus;
  finished: number;
}

/** Rows of the exact counts per (type, status, error class). */
export interface CountGroup {
  taskType: string;
  status: TaskStatus;
  errorType: string;
  count: number;
}

/** The reads of the outcome summary and the exact counts behind the stats route and the metrics. */
@Injectable()
export class TaskStatsRepository {
  constructor(@InjectTasksDataSource() private readonly dataSource: DataSource) {}

  /**
   * Along the summary's primary key (grain, bucket_start, …): range reads of a small table, the
   * whole coarser buckets inside the window from the coarser grain (see outcomeSpans).
   */
  async outcomes(window: StatsWindow): Promise<OutcomeGroup[]> {
    const rows: Record<string, string | number>[] = await this.dataSource.query(...this.outcomesStatement(window));
    return rows.map((row) => ({
      taskType: String(row.task_type),
      taskName: String(row.task_name),
      status: row.status as TaskStatus,
      errorType: String(row.error_type),
      durationBucket: Number(row.duration_bucket),
      finished: Number(row.finished),
      durationMs: Number(row.duration_ms),
    }));
  }

  async series(window: StatsWindow): Promise<OutcomePoint[]> {
    const rows: { bucket_start: Date; status: TaskStatus; finished: string | number }[] = await this.dataSource.query(...this.seriesStatement(window));
    return rows.map((row) => ({ at: row.bucket_start, status: row.status, finished: Number(row.finished) }));
  }

  /** The statement `outcomes` runs (the index tests EXPLAIN it). */
  outcomesStatement(window: StatsWindow): [string, unknown[]] {
    const { where, parameters } = windowWhere(outcomeSpans(window.grain, window.from, window.to), window);
    return [
      `SELECT task_type, task_name, status, error_type, duration_bucket, SUM(finished) AS finished, SUM(duration_ms) AS duration_ms
         FROM ${TASK_STATS_TABLE} WHERE ${where} GROUP BY task_type, task_name, status, error_type, duration_bucket`,
      parameters,
    ];
  }

  /** The statement `series` runs (the index tests EXPLAIN it). */
  seriesStatement(window: StatsWindow): [string, unknown[]] {
    const { where, parameters } = windowWhere([window], window);
    return [`SELECT bucket_start, status, SUM(finished) AS finished FROM ${TASK_STATS_TABLE} WHERE ${where} GROUP BY bucket_start, status ORDER BY bucket_start`, parameters];
  }

  /** Every non-zero exact count: at most (types × statuses × error classes) groups, whatever the table's size. */
  async counts(taskType?: string): Promise<CountGroup[]> {
    const rows: { task_type: string; status: TaskStatus; error_type: string; count: string | number }[] = await this.dataSource.query(
      `SELECT task_type, status, error_type, SUM(count) AS count FROM ${TASK_COUNTS_TABLE}
         ${taskType === undefined ? '' : 'WHERE task_type = ?'} GROUP BY task_type, status, error_type HAVING SUM(count) <> 0`,
      taskType === undefined ? [] : [taskType],
    );
    return rows.map((row) => ({ taskType: row.task_type, status: row.status, errorType: row.error_type, count: Number(row.count) }));
  }

  /** Refills the summary from the finished rows, in one transaction (the history of purged rows is lost). */
  async rebuild(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      for (const statement of rebuildStatsStatements()) await manager.query(statement);
    });
  }

  /** Deletes summary rows of `grain` older than `maxAgeMs`; returns how many went. */
  async purge(grain: StatsGrain, maxAgeMs: number): Promise<number> {
    const result: { affectedRows?: number } = await this.dataSource.query(
      `DELETE FROM ${TASK_STATS_TABLE} WHERE grain = ? AND bucket_start < NOW() - INTERVAL ? SECOND`,
      [grain, Math.round(maxAgeMs / 1000)],
    );
    return result.affectedRows ?? 0;
  }
}

/** The rows of `spans` (each a range of the primary key), of the window's type and name if given. */
function windowWhere(spans: StatsSpan[], window: StatsWindow): { where: string; parameters: unknown[] } {
  const ranges = spans.map(() => '(grain = ? AND bucket_start >= ? AND bucket_start < ?)');
  const conditions = [ranges.length === 1 ? ranges[0] : `(${ranges.join(' OR ')})`];
  const parameters: unknown[] = spans.flatMap((span) => [span.grain, span.from, span.to]);
  if (window.taskType !== undefined) conditions.push('task_type = ?'), parameters.push(window.taskType);
  if (window.taskName !== undefined) conditions.push('task_name = ?'), parameters.push(window.taskName);
  return { where: conditions.join(' AND '), parameters };
}

import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BACKGROUND_TASKS_TABLE } from './background-task.entity.js';
import { FINAL_STATUSES } from '../lifecycle/task-status.js';
import { TASKS_OPTIONS, type ResolvedTasksOptions } from '../tasks.options.js';

/**
 * Deletes finished rows (completed, failed, cancelled) that finished more than a given age
 * ago, `batchSize` rows per statement (oldest first, along `idx_created`), so a purge never
 * holds many locks at once. Pending and running rows are never touched; the counter
 * triggers keep the counts exact.
 */
@Injectable()
export class TaskRetention {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
  ) {}

  /**
   * Purges rows finished more than `maxAgeMs` ago; returns how many were deleted. Without an
   * age, the `retention.finishedMaxAgeMs` option applies, and its 0 ("keep every row") purges
   * nothing, even if a cleanup job queued by an earlier configuration still runs.
   */
  async purgeFinished(maxAgeMs?: number): Promise<number> {
    if (maxAgeMs === undefined) {
      if (this.options.retention.finishedMaxAgeMs <= 0) return 0;
      maxAgeMs = this.options.retention.finishedMaxAgeMs;
    }
    const ageMicros = Math.round(maxAgeMs * 1000);
    const { batchSize } = this.options.retention;
    let deleted = 0;
    for (;;) {
      // A row finishes after it is created, so `created_at` bounds the scan to old rows.
      const result: { affectedRows: number } = await this.dataSource.query(
        `DELETE FROM ${BACKGROUND_TASKS_TABLE}
          WHERE created_at < NOW(3) - INTERVAL ? MICROSECOND
            AND status IN (?)
            AND COALESCE(completed_at, created_at) < NOW(3) - INTERVAL ? MICROSECOND
          ORDER BY created_at
          LIMIT ?`,
        [ageMicros, FINAL_STATUSES, ageMicros, batchSize],
      );
      deleted += result.affectedRows;
      if (result.affectedRows < batchSize) return deleted;
    }
  }
}

import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TaskHandler, TaskProcessor, type TaskContext } from '../tasks/index.js';

/** The seed's analytics task: aggregates the task table by type and status. */
@TaskProcessor('analytics')
export class AnalyticsTasks {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @TaskHandler('afirgen_tasks.analytics.task_stats')
  async taskStats() {
    const rows: { task_type: string; status: string; count: string; avg_seconds: string | null }[] =
      await this.dataSource.query(`
        SELECT task_type, status, COUNT(*) AS count,
               AVG(TIMESTAMPDIFF(MICROSECOND, started_at, completed_at)) / 1000000 AS avg_seconds
        FROM background_tasks GROUP BY task_type, status ORDER BY task_type, status`);
    const byType: Record<string, Record<string, number>> = {};
    for (const row of rows) (byType[row.task_type] ??= {})[row.status] = Number(row.count);
    const total = rows.reduce((sum, row) => sum + Number(row.count), 0);
    return { total, by_type: byType };
  }
}

/** Largest number of rows one DELETE removes, so the purge never holds long locks. */
const PURGE_BATCH = 1000;

/** The seed's cleanup task: deletes finished rows older than `older_than_days` (default 30). */
@TaskProcessor('cleanup')
export class CleanupTasks {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @TaskHandler('afirgen_tasks.cleanup.purge_finished_tasks')
  async purgeFinishedTasks(params: { older_than_days?: unknown }, context: TaskContext) {
    const days = params.older_than_days ?? 30;
    if (typeof days !== 'number' || !(days >= 0)) throw new Error('older_than_days must be a number >= 0');
    let deleted = 0;
    for (;;) {
      if (context.signal.aborted) break;
      const outcome: { affectedRows: number } = await this.dataSource.query(
        `DELETE FROM background_tasks
         WHERE status IN ('completed', 'failed', 'cancelled')
           AND completed_at < NOW(3) - INTERVAL ? SECOND
         LIMIT ${PURGE_BATCH}`,
        [Math.round(days * 86400)],
      );
      deleted += outcome.affectedRows;
      if (outcome.affectedRows < PURGE_BATCH) break;
    }
    return { deleted, older_than_days: days };
  }
}

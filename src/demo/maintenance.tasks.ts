import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TaskHandler, TaskProcessor, TasksService, TaskValidationError } from 'tasks-module';

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

/** The seed's cleanup task: deletes finished rows older than `older_than_days` (default 30). */
@TaskProcessor('cleanup')
export class CleanupTasks {
  constructor(private readonly tasks: TasksService) {}

  /** The library's own purge (batched, never touching unfinished rows), with the task's age. */
  // Deletes history: the application starts it (a schedule, an admin's code), never an HTTP client.
  @TaskHandler('afirgen_tasks.cleanup.purge_finished_tasks', { enqueue: 'internal' })
  async purgeFinishedTasks(params: { older_than_days?: unknown }) {
    const days = params.older_than_days ?? 30;
    if (typeof days !== 'number' || !(days >= 0)) throw new TaskValidationError('older_than_days must be a number >= 0');
    const deleted = await this.tasks.purgeFinishedTasks(days * 86_400_000);
    return { deleted, older_than_days: days };
  }
}
